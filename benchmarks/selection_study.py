"""What each label-free criterion would have chosen, replayed on finished runs
(`gandi.studies.criterion_study`): prints the mean cost per detector and criterion, and per data set.

    python benchmarks/selection_study.py LOG_DIR [LOG_DIR ...] [--csv FILE]

--csv writes one row per run and criterion (data, detector, seed, criterion, chosen, step, auc,
cost); the paper's tables section shows it when it is benchmarks/results/selection_study.csv.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from gandi.studies.criterion_study import COLUMNS, markdown, run_costs  # noqa: E402
from gandi.outputs.results import load_results  # noqa: E402
from gandi.outputs.run_folder import atomic_write_bytes  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("log_dirs", nargs="+", metavar="LOG_DIR")
    p.add_argument("--csv", help="write the per-run rows here")
    args = p.parse_args(argv)
    rows = []
    for log_dir in args.log_dirs:
        for path in sorted(Path(log_dir, "results").glob("*/results.pkl")):
            results = load_results(path)
            if results["status"] == "finished":
                rows += run_costs(results)
    if not rows:
        print(f"selection_study: error: no finished run with a tracked test AUC under "
              f"{', '.join(args.log_dirs)}", file=sys.stderr)
        return 2
    study = pd.DataFrame(rows, columns=COLUMNS)
    print(markdown(study))
    if args.csv:
        atomic_write_bytes(Path(args.csv), study.to_csv(index=False).encode())
        print(f"wrote {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
