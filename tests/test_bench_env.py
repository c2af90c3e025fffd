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
