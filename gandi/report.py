"""Tables across runs: `python -m gandi.report [LOG_DIR] [--markdown]`.

For each setting, mean ± std over its runs (seeds) of the test AUC at the label-free sweet spot,
at the last step, and the oracle best test AUC (chosen with test labels: shown, never used).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from gandi.outputs.results import load_results


def collect(log_dir) -> pd.DataFrame:
    """One row per finished run found under log_dir/results."""
    rows = []
    for path in sorted(Path(log_dir, "results").glob("*/results.pkl")):
        r = load_results(path)
        m = r["measurements"]
        final = r["final"].set_index("detector") if len(r["final"]) else None
        rows.append({
            "signature": r["signature"], "setting": r["setting_id"], "name": r["setting"]["name"],
            "seed": r["seeds"]["numpy"], "status": r["status"],
            "sweet_spot_step": (r["sweet_spot"] or {}).get("step"),
            "sweet_spot_auc": (r["sweet_spot"] or {}).get("test_auc", np.nan),
            "sweet_spot_f1": final.loc["discriminator", "f1"] if final is not None else np.nan,
            "mc_f1": final.loc["mc_threshold", "f1"] if final is not None else np.nan,
            "last_step_auc": m["d_auc"].iloc[-1] if "d_auc" in m else np.nan,
            "oracle_best_auc": (r["best_test_auc"] or {}).get("test_auc", np.nan),
            "last_ks_stat": m["ks_stat"].iloc[-1] if "ks_stat" in m else np.nan,
        })
    return pd.DataFrame(rows)


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Per setting: mean ± std over runs of each number, and the number of runs."""
    numbers = ["sweet_spot_auc", "sweet_spot_f1", "mc_f1", "last_step_auc", "oracle_best_auc",
               "last_ks_stat"]
    out = []
    for (setting, name), group in runs.groupby(["setting", "name"], sort=True):
        row = {"setting": setting, "name": name, "runs": len(group)}
        for key in numbers:
            v = group[key].astype(float)
            row[key] = f"{v.mean():.3f} ± {v.std(ddof=0):.3f}"
        out.append(row)
    return pd.DataFrame(out)


def markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + " --- |" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m gandi.report", description=__doc__.splitlines()[0])
    p.add_argument("log_dir", nargs="?", default="log_dir")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = p.parse_args(argv)
    runs = collect(args.log_dir)
    if runs.empty:
        print(f"gandi.report: error: no results under {args.log_dir}/results", file=sys.stderr)
        return 2
    table = summarise(runs)
    print(markdown(table) if args.markdown else table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
