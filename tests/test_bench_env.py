"""The benchmark scripts' resumable loop (benchmarks/bench_env.py): two scripts writing one CSV
keep each other's rows."""
import sys

import pandas as pd

from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_env import run_missing_cells  # noqa: E402


def test_two_studies_writing_one_file_keep_each_others_rows(tmp_path, capsys):
    csv = tmp_path / "epochs_auc.csv"
    columns = ["class", "seed", "auc"]
    seen = []

    def other_study_writes(cls):  # another process finishes class 7 while this one runs class 1
        if cls == 1:
            pd.DataFrame([{"class": 7, "seed": 0, "auc": 0.7}]).to_csv(csv, index=False)
        seen.append(cls)
        return {"auc": cls / 10}

    cells = run_missing_cells(csv, columns, ({"class": c, "seed": 0} for c in (1, 7, 9)),
                              lambda seed, **cell: other_study_writes(cell["class"]))
    assert seen == [1, 9]  # class 7: finished by the other one meanwhile, not run again
    again = pd.read_csv(csv)
    assert again.sort_values("class")["auc"].tolist() == [0.1, 0.7, 0.9]
    assert cells.sort_values("class")["auc"].tolist() == [0.1, 0.7, 0.9]


def test_a_resumed_study_skips_its_finished_none_cells(tmp_path):
    """A study's base value None (`--values null 1000`) reads back from the CSV as NaN: a
    resumed study runs neither it nor 1000 (read back as 1000.0) again."""
    csv = tmp_path / "track_validation_limit_auc.csv"
    columns = ["class", "seed", "track_validation_limit", "auc"]
    todo = [{"class": 2, "seed": 0, "track_validation_limit": v} for v in (None, 1000)]
    seen = []

    def run(seed, **cell):
        seen.append(cell["track_validation_limit"])
        return {"auc": 0.9}

    run_missing_cells(csv, columns, iter(todo), run)
    cells = run_missing_cells(csv, columns, iter(todo), run)
    assert seen == [None, 1000] and len(cells) == 2


def test_ensembles_choose_members_by_the_criterion_never_by_test_labels():
    """hybrid_ensembles.cell_rows (tables, and the image grid's benchmarks/image_hybrid.py): the
    top k are the candidates whose validation normals are told best from the synthetic
    references; a candidate with the best test AUC but the lowest criterion is not taken."""
    import numpy as np
    from hybrid_ensembles import cell_rows
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(50), np.ones(50)]
    arrays = {"test_y": y}
    for name, criterion_gap, test_gap in (("vae", 3.0, 0.5), ("lof", 2.0, 0.5),
                                          ("knn", 1.0, 0.5), ("kde", 0.0, 5.0)):
        arrays[f"{name}__val"] = rng.normal(0, 1, 200)
        arrays[f"{name}__ref"] = rng.normal(criterion_gap, 1, 200)
        arrays[f"{name}__test"] = rng.normal(0, 1, 100) + test_gap * y
    rows = pd.DataFrame(cell_rows(3, 0, _npz(arrays), "class", ("vae",), {}))
    members = rows.set_index("method")["members"]
    assert members["hybrid (top 3)"] == "vae lof knn"  # not kde, the best on the test set
    assert members["classical (top 3)"] == "lof knn kde" and members["gandi (top 3)"] == "vae"
    assert rows.set_index("method").loc["kde", "auc"] > 0.99 and (rows["class"] == 3).all()


class _npz(dict):
    """The kept-scores file as np.load gives it: arrays by name, and their names in `files`."""
    @property
    def files(self):
        return list(self)
