"""The paper's "what was tried" line under a gap to a published number
(gandi.studies.paper.tried), on variant-study rows as benchmarks/variant_auc.py writes them."""
import pandas as pd

from gandi.studies.paper.tried import tried_line


def study(path, key, rows, order=None):
    cells = pd.DataFrame([{"setting": s, "class": c, "seed": seed, key: v, "detector": d,
                           "auc": auc, "steps": 10, "seconds": 1.0, "cpu_seconds": 1.0}
                          for s, c, seed, v, d, auc in rows])
    cells[order or list(cells.columns)].to_csv(path, index=False)


def test_each_value_is_averaged_over_the_classes_every_value_has(tmp_path):
    # setting 11: AnoGAN on MNIST; setting 14: AnoGAN on Fashion-MNIST
    study(tmp_path / "epochs_auc.csv", "epochs", [
        (11, 2, 0, 2, "anogan", 0.60), (11, 2, 1, 2, "anogan", 0.64),
        (11, 2, 0, 20, "anogan", 0.80), (11, 2, 1, 20, "anogan", 0.78),
        (11, 8, 0, 2, "anogan", 0.50),  # digit 8 has no 20-epoch row: left out of both means
        (14, 6, 0, 20, "anogan", 0.10)])  # another data set
    line = tried_line(tmp_path, "anogan", "mnist")
    assert "`epochs` 2: 0.620, 20: 0.790" in line
    assert "(classes 2, 2 seed(s) each; `benchmarks/results/epochs_auc.md`)" in line
    fashion = tried_line(tmp_path, "anogan", "fashion_mnist")
    assert "`epochs` 20: 0.100 (classes 6, 1 seed(s) each" in fashion
    assert tried_line(tmp_path, "egbad", "mnist") == ""


def test_the_key_is_found_whatever_the_column_order(tmp_path):
    order = ["setting", "detector", "class", "seed", "epochs", "auc", "steps", "seconds",
             "cpu_seconds"]  # precision_auc.csv's order
    study(tmp_path / "epochs_auc.csv", "epochs", [
        (20, 1, 0, 2, "egbad", 0.9), (20, 1, 0, 8, "egbad", 0.8)], order)
    line = tried_line(tmp_path, "egbad", "mnist")
    assert "`epochs` 2: 0.900, 8: 0.800" in line
    pd.DataFrame({"seed": [0], "auc": [0.5]}).to_csv(tmp_path / "other_auc.csv", index=False)
    assert tried_line(tmp_path, "egbad", "mnist") == line  # a table of another shape: skipped


def test_a_study_of_what_a_saving_costs_is_not_an_attempt_at_the_gap(tmp_path):
    study(tmp_path / "precision_auc.csv", "precision", [
        (20, 1, 0, "float32", "egbad", 0.9), (20, 1, 0, "mixed_bfloat16", "egbad", 0.8)])
    assert tried_line(tmp_path, "egbad", "mnist") == ""
    study(tmp_path / "stop_patience_auc.csv", "stop_patience", [
        (20, 1, 0, 0, "egbad", 0.9), (20, 1, 0, 5, "egbad", 0.8)])
    line = tried_line(tmp_path, "egbad", "mnist")
    assert "`stop_patience`" in line and "precision" not in line


def test_a_study_of_the_anomaly_class_cells_goes_under_that_protocol_only(tmp_path):
    """`variant_auc.py --protocol anomaly_class` writes `anomaly_class_<key>_auc...csv`: its
    classes are anomaly digits, so its line belongs under the anomaly_class gaps, not the
    one-class ones; rows with the newer tracking column count like the others."""
    study(tmp_path / "anomaly_class_epochs_auc.csv", "epochs", [
        (20, 1, 0, 1, "egbad", 0.4), (20, 1, 0, 3, "egbad", 0.5)])
    study(tmp_path / "epochs_auc.csv", "epochs", [
        (20, 1, 0, 2, "egbad", 0.9), (20, 1, 0, 8, "egbad", 0.8)])
    cells = pd.read_csv(tmp_path / "epochs_auc.csv").assign(tracking_cpu_seconds=0.2)
    cells.to_csv(tmp_path / "epochs_auc.csv", index=False)
    one_class = tried_line(tmp_path, "egbad", "mnist")
    assert "(one-class runs of its settings" in one_class
    assert "`epochs` 2: 0.900, 8: 0.800" in one_class and "0.400" not in one_class
    protocol = tried_line(tmp_path, "egbad", "mnist", "anomaly_class")
    assert "(the anomaly_class cells of its settings" in protocol
    assert "`epochs` 1: 0.400, 3: 0.500" in protocol and "0.900" not in protocol
    assert "anomaly_class_epochs_auc.md" in protocol
    study(tmp_path / "anomaly_class_track_validation_limit_auc.csv", "track_validation_limit",
          [(25, 1, 0, None, "egbad", 0.7), (25, 1, 0, 1000, "egbad", 0.6)])
    assert "track_validation_limit" not in tried_line(tmp_path, "egbad", "mnist", "anomaly_class")


def test_the_search_study_names_only_what_its_rows_varied(tmp_path):
    """anogan_search.csv is a table of its own: the line names the columns its rows vary
    (here the length and the step size, not the loss weight they all share)."""
    pd.DataFrame({"class": [2, 2, 2], "epochs": 20, "seed": 0, "iterations": [50, 100, 100],
                  "tolerance": 0.01, "lr": [0.05, 0.05, 0.01], "lambda": 0.1,
                  "auc": [0.8, 0.79, 0.78]}).to_csv(tmp_path / "anogan_search.csv", index=False)
    line = tried_line(tmp_path, "anogan", "mnist")
    assert ("the latent search's length and step size (`benchmarks/results/anogan_search.md`)"
            in line)
    assert tried_line(tmp_path, "anogan", "mnist", "anomaly_class") == ""
    assert tried_line(tmp_path, "egbad", "mnist") == ""
