"""The benchmark command end to end in --quick mode on real MNIST slices: CSV and markdown read
back, published numbers beside ours, and a second run that skips the finished cells."""
import pandas as pd
import pytest

from conftest import MNIST_DIR, needs_mnist
from gandi.benchmark import main, parse_classes, BenchmarkError

PUBLISHED_HEADER = "paper,method,dataset,protocol,class,metric,value,std,approximate,source,note\n"


@needs_mnist
def test_quick_benchmark_writes_resumes_and_compares(tmp_path, capsys):
    published = tmp_path / "published.csv"
    published.write_text(PUBLISHED_HEADER
                         + "Test 2024,DCAE,mnist,normal_class,0,auc,0.976,0.007,false,Table 1,\n"
                         + "Test 2024,DCAE,mnist,normal_class,1,auc,0.983,,true,Figure 2,\n"
                         + "Test 2024,OC-SVM,mnist,normal_class,1,auc,0.995,,false,Table 1,\n")
    args = ["--quick", "--detectors", "discriminator", "autoencoder", "--out", str(tmp_path / "out"),
            "--log-dir", str(tmp_path / "log"), "--data-dir", str(MNIST_DIR),
            "--published", str(published)]
    assert main(args) == 0
    cells = pd.read_csv(tmp_path / "out" / "mnist_normal_class.csv")
    assert sorted(zip(cells["detector"], cells["class"])) == [
        ("autoencoder", 0), ("autoencoder", 1), ("discriminator", 0), ("discriminator", 1)]
    assert cells["auc"].between(0, 1).all() and (cells["seed"] == 0).all()
    runs = sorted(p.name for p in (tmp_path / "log" / "results").iterdir())
    assert sorted(cells["signature"]) == runs
    md = (tmp_path / "out" / "mnist_normal_class.md").read_text()
    assert ("| class | discriminator (ours) | autoencoder (ours) | DCAE (published) | "
            "OC-SVM (published) |") in md
    assert "0.976" in md and "~0.983" in md  # the figure value is marked approximate
    assert md.splitlines()[[l.startswith("| 1 |") for l in md.splitlines()].index(True)].endswith(
        "| ~0.983 | 0.995 |")
    assert "Oracle: best test AUC over training (chosen WITH test labels" in md
    ours = cells.set_index(["detector", "class"])["auc"]
    assert f"| 0 | {ours[('discriminator', 0)]:.3f} ± 0.000 |" in md

    # a second run finds every cell finished: nothing runs, nothing new is written
    capsys.readouterr()
    assert main(args) == 0
    assert "0 cell(s) to run, 4 already finished" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "log" / "results").iterdir()) == runs
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "out" / "mnist_normal_class.csv"), cells)


def test_bad_arguments(capsys):
    assert parse_classes("0-3") == [0, 1, 2, 3] and parse_classes("1,5") == [1, 5]
    with pytest.raises(BenchmarkError):
        parse_classes("zero")
    assert main(["--detectors", "nope", "--quick"]) == 2
    assert "no mnist setting for nope" in capsys.readouterr().err
