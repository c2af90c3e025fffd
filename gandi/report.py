"""Tables across runs: `python -m gandi.report [LOG_DIR] [--markdown] [--csv PATH]`.

One row per setting and detector: mean ± std over its finished runs (seeds) of the test AUC and
F1 of the detector as exported (the tracked score at the label-free sweet spot; costly scorers
on the final networks), and, for the tracked score, the AUC at the last step and the oracle best
test AUC (chosen with test labels: shown, never used). `--csv` also writes the per-run rows the
table is made from (what `python -m gandi.paper` reads: `benchmarks/results/distributions.csv`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from gandi.outputs.results import load_results

NUMBERS = ("auc", "f1", "last_step_auc", "oracle_best_auc")


def collect(log_dir) -> pd.DataFrame:
    """One row per (run, detector of its final table) found under log_dir/results."""
    rows = []
    for path in sorted(Path(log_dir, "results").glob("*/results.pkl")):
        r = load_results(path)
        m = r["measurements"]
        run = {"signature": r["signature"], "setting": r["setting_id"],
               "name": r["setting"]["name"], "seed": r["seeds"]["numpy"], "status": r["status"],
               "sweet_spot_step": (r["sweet_spot"] or {}).get("step")}
        for final in r["final"].to_dict("records"):
            tracked = bool(final.get("tracked", False))  # the score followed over training
            rows.append({**run, "detector": final["detector"], "auc": final["auc"],
                         "f1": final["f1"], "threshold_source": final["threshold_source"],
                         "last_step_auc": m["d_auc"].iloc[-1] if tracked else np.nan,
                         "oracle_best_auc": ((r["best_test_auc"] or {}).get("test_auc", np.nan)
                                             if tracked else np.nan)})
    return pd.DataFrame(rows)


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Per setting and detector, over finished runs: mean ± std of each number, and the count."""
    finished = runs[runs["status"] == "finished"]
    out = []
    for (setting, name, detector), group in finished.groupby(["setting", "name", "detector"],
                                                              sort=False):
        row = {"setting": setting, "name": name, "detector": detector, "runs": len(group)}
        for key in NUMBERS:
            v = group[key].astype(float)
            row[key] = "" if v.isna().all() else f"{v.mean():.3f} ± {v.std(ddof=0):.3f}"
        out.append(row)
    if not out:
        return pd.DataFrame()
    # numbered settings by number, then settings from a --setting-file by name
    order = lambda column: column.map(  # noqa: E731
        lambda setting: (1, 0, setting) if isinstance(setting, str) else (0, setting, ""))
    return pd.DataFrame(out).sort_values("setting", kind="stable", key=order)


def markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + " --- |" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m gandi.report", description=__doc__.splitlines()[0])
    p.add_argument("log_dir", nargs="?", default="log_dir")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("--csv", help="also write the per-run rows to this CSV file")
    args = p.parse_args(argv)
    runs = collect(args.log_dir)
    table = summarise(runs) if len(runs) else pd.DataFrame()
    if table.empty:
        print(f"gandi.report: error: no finished runs under {args.log_dir}/results",
              file=sys.stderr)
        return 2
    print(markdown(table) if args.markdown else table.to_string(index=False))
    if args.csv:
        from gandi.outputs.run_folder import atomic_write_bytes
        atomic_write_bytes(Path(args.csv), runs.to_csv(index=False).encode())
    others = runs[runs["status"] != "finished"]["signature"].nunique()
    if others:
        print(f"({others} unfinished run(s) left out)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
