"""Tables across runs: `python -m gandi.report [LOG_DIR] [--runs] [--markdown] [--csv PATH]`.

One row per setting, data (a fingerprint of what the runs ran on: runs on other data, or tested
against synthetic anomalies instead of real ones, are never averaged together), detector and
threshold (runs of one setting id whose settings differ, by their setting hash, are rows of
their own, the hash beside the id: `3 (hash 0483ba7b3f95)`): mean ± std over distinct seeds of
its finished runs (one seed: the mean alone) of the test AUC and F1 of the detector as exported
(the tracked score at the label-free sweet spot; costly scorers on the final networks), and,
for the tracked score, the AUC at the last step and the oracle best test AUC (chosen with test
labels: shown, never used). `--csv` also writes the per-run rows the table is made from (what
`python -m gandi.paper` reads: `benchmarks/results/distributions.csv`).

`--runs` lists every run folder instead, finished or not: signature, setting, status, last step,
last checkpoint and sweet-spot AUC so far. A run that says `running` but whose process is gone
(SIGKILL, a power cut) is listed as `killed`, with the `--resume` command that continues it.
"""
from __future__ import annotations

import datetime as dt
import shlex
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from gandi.outputs.liveness import observed_status
from gandi.outputs.results import load_results
from gandi.outputs.run_folder import REAL, SYNTHETIC, RunFolders, atomic_write_bytes
from gandi.outputs.run_rows import final_rows, mean_std
from gandi.cli import ExitingParser

NUMBERS = ("auc", "f1", "last_step_auc", "oracle_best_auc")
MC_THRESHOLD = "mc_threshold"  # the final table's row of the Monte-Carlo threshold
UNRECORDED = "unrecorded"  # the test anomalies of a gandi.Detector fit from before runs said
TEST_SHOWN = {REAL: "real anomalies", SYNTHETIC: "synthetic anomalies", UNRECORDED: "not recorded"}


def data_of(saved: dict, result: dict) -> dict:
    """The run's data record (gandi.settings.validation.data_record) from its setting.json
    (`saved`); for runs from before runs recorded it, made from its setting (the fingerprint of
    its data keys: a gandi.Detector fit's files were new for every fit, so each such run stands
    alone, and its test anomalies, real or synthetic, were not recorded)."""
    record = saved.get("data")
    if record is None:
        from gandi.settings.validation import data_record  # imports TensorFlow: old runs only
        python_fit = str(result["setting_id"]).startswith("python_")
        record = data_record(result["setting"], UNRECORDED if python_fit else REAL)
    return record


def setting_hash_of(saved: dict) -> str:
    """The run's setting hash (gandi.settings.fingerprint.run_setting_hash) from its
    setting.json (`saved`); for runs from before runs recorded it, made from the setting saved
    there (as validated: the results' copy has jit_compile "auto" resolved, which differs by
    machine)."""
    if "setting_hash" in saved:
        return saved["setting_hash"]
    from gandi.settings.fingerprint import run_setting_hash  # imports TensorFlow: old runs
    return run_setting_hash(saved["setting"])


ROW_KEYS = ("detector", "auc", "f1", "threshold_source", "last_step_auc", "oracle_best_auc")


def collect(log_dir) -> pd.DataFrame:
    """One row per (run, detector of its final table) found under log_dir/results."""
    rows = []
    for path in sorted(Path(log_dir, "results").glob("*/results.pkl")):
        r = load_results(path)
        saved = RunFolders(path.parent.parent.parent, path.parent.name).read_saved()
        data = data_of(saved, r)
        run = {"signature": r["signature"], "setting": r["setting_id"],
               "name": r["setting"]["name"], "seed": r["seeds"]["numpy"], "status": r["status"],
               "sweet_spot_step": (r["sweet_spot"] or {}).get("step"),
               "tf_seed": r["seeds"]["tf"], "data": f"{data['label']} {data['fingerprint']}",
               "test_anomalies": data["test_anomalies"],
               "setting_hash": setting_hash_of(saved)}
        rows += [{**run, **{key: final[key] for key in ROW_KEYS}} for final in final_rows(r)]
    return pd.DataFrame(rows)


def _with_row_labels(runs: pd.DataFrame) -> pd.DataFrame:
    """Runs as the table shows them: a threshold row (mc_threshold: the tracked detector's
    scores at the Monte-Carlo threshold) under its detector's name, with a `threshold` column;
    CSVs from before data were recorded: one data set per setting, real anomalies; from before
    setting hashes were: one setting per id."""
    runs = runs.copy()
    if "signature" not in runs:
        runs["signature"] = [f"run {i}" for i in range(len(runs))]
    if "seed" not in runs:  # rows made by hand: nothing says two runs shared a seed
        runs["seed"] = runs["signature"]
    defaults = {"data": "", "test_anomalies": REAL, "tf_seed": runs["seed"],
                "threshold_source": "", "setting_hash": ""}
    for column, default in defaults.items():
        if column not in runs:
            runs[column] = default
    for column in ("data", "setting_hash"):  # a CSV's empty cell, or a hash read as a number
        runs[column] = runs[column].fillna("").astype(str)
    tracked = runs[(runs["detector"] != MC_THRESHOLD) & runs["last_step_auc"].notna()]
    tracked_name = dict(zip(tracked["signature"], tracked["detector"]))
    threshold = runs["threshold_source"].fillna("").astype(str)
    is_mc = runs["detector"] == MC_THRESHOLD
    runs["threshold"] = threshold.where(~is_mc, MC_THRESHOLD + ": " + threshold)
    runs["detector"] = runs["detector"].where(
        ~is_mc, runs["signature"].map(tracked_name).fillna(MC_THRESHOLD))
    return runs


def _mean_over_seeds(values: pd.Series, seeds: pd.Series) -> str:
    """mean ± std over distinct seeds (gandi.outputs.run_rows.mean_std), runs of one seed
    averaged first: a repeat of a seed is no spread."""
    return mean_std(values.astype(float).groupby(seeds.to_numpy()).mean())


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Per setting, data, kind of test anomalies, detector and threshold, over finished runs:
    mean ± std over seeds of each number, the runs and the seeds. Runs on other data (another
    fingerprint), against synthetic anomalies, or of another setting under the same id (another
    setting hash: a setting file edited between runs, gandi.Detector fits with other
    parameters) are never averaged with each other."""
    finished = _with_row_labels(runs[runs["status"] == "finished"])
    out = []
    for (setting, name, data, anomalies, detector, threshold, method), group in finished.groupby(
            ["setting", "name", "data", "test_anomalies", "detector", "threshold",
             "setting_hash"], sort=False):
        seeds = group["seed"].astype(str) + "-" + group["tf_seed"].astype(str)
        # setting, name and detector first, as before data were columns (gandi.paper's rows)
        row = {"setting": setting, "name": name, "detector": detector, "threshold": threshold,
               "data": data, "test": TEST_SHOWN.get(anomalies, anomalies),
               "runs": len(group), "seeds": seeds.nunique(), "setting_hash": method}
        for key in NUMBERS:
            row[key] = _mean_over_seeds(group[key], seeds)
        out.append(row)
    if not out:
        return pd.DataFrame()
    # numbered settings by number, then settings from a --setting-file by name
    order = lambda column: column.map(  # noqa: E731
        lambda setting: (1, 0, setting) if isinstance(setting, str) else (0, setting, ""))
    table = pd.DataFrame(out).sort_values("setting", kind="stable", key=order)
    return _hash_where_ids_repeat(table)


def _hash_where_ids_repeat(table: pd.DataFrame) -> pd.DataFrame:
    """The setting column as the reader tells settings apart: an id whose runs had more than
    one setting (hash) shows each row's hash beside it; one setting per id, the id alone (the
    table as before hashes were recorded)."""
    hashes = table.groupby("setting", sort=False)["setting_hash"].transform("nunique")
    shown = [f"{setting} (hash {method})" if n > 1 else setting
             for setting, method, n in zip(table["setting"], table["setting_hash"], hashes)]
    return table.assign(setting=shown).drop(columns="setting_hash")


def run_folders(log_dir) -> pd.DataFrame:
    """One row per run folder under log_dir/results, from its status.json (read, never
    unpickled: listing runs runs no pickle) and its checkpoint index."""
    rows = []
    for folder in sorted(Path(log_dir, "results").iterdir() if Path(log_dir, "results").is_dir()
                         else []):
        run = RunFolders(log_dir, folder.name)
        if not run.status_file.is_file():
            continue  # a folder being created, or not gandi's
        try:
            status = run.read_status()
            setting_id = run.read_setting()[0] if run.setting_file.is_file() else ""
        except (OSError, ValueError, KeyError):  # torn by hand: say so, do not stop the list
            rows.append({"signature": folder.name, "status": "unreadable"})
            continue
        written = dt.datetime.fromtimestamp(run.status_file.stat().st_mtime, dt.timezone.utc)
        sweet = status.get("sweet_spot") or {}
        rows.append({"signature": folder.name, "setting": setting_id,
                     "status": observed_status(status, written), "last_step": status.get("step"),
                     "last_checkpoint": run.last_checkpoint(),
                     "sweet_spot_step": sweet.get("step"),
                     "sweet_spot_auc": sweet.get("test_auc", np.nan)})
    return pd.DataFrame(rows, columns=["signature", "setting", "status", "last_step",
                                       "last_checkpoint", "sweet_spot_step", "sweet_spot_auc"])


def resume_command(log_dir, signature: str) -> str:
    return (f"python -m gandi.playground --log-dir {shlex.quote(str(log_dir))} "
            f"--resume {signature}")


def _print_run_folders(log_dir, as_markdown: bool, csv: str | None) -> int:
    runs = run_folders(log_dir)
    if runs.empty:
        print(f"gandi.report: error: no run folders under {log_dir}/results", file=sys.stderr)
        return 2
    if csv:
        atomic_write_bytes(Path(csv), runs.to_csv(index=False).encode())
    shown = runs.astype(object).where(runs.notna(), "")
    shown["sweet_spot_auc"] = [f"{v:.3f}" if isinstance(v, float) else v
                               for v in shown["sweet_spot_auc"]]
    print(markdown(shown) if as_markdown else shown.to_string(index=False))
    killed = runs[runs["status"] == "killed"]
    resumable = [sig for sig, step in zip(killed["signature"], killed["last_checkpoint"])
                 if pd.notna(step)]
    if resumable:
        print("\nkilled runs continue from their last checkpoint with:")
        for sig in resumable:
            print(f"  {resume_command(log_dir, sig)}")
    if len(killed) > len(resumable):
        print(f"({len(killed) - len(resumable)} killed run(s) died before their first "
              f"checkpoint: start them again)")
    return 0


def markdown(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + " --- |" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = ExitingParser(prog="python -m gandi.report", name="gandi.report",
                       description=__doc__.splitlines()[0])
    p.add_argument("log_dir", nargs="?", default="log_dir")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument("--csv", help="also write the per-run rows to this CSV file")
    p.add_argument("--runs", action="store_true",
                   help="list every run folder with its status (killed runs: how to resume)")
    args = p.parse_args(argv)
    if args.runs:
        return _print_run_folders(args.log_dir, args.markdown, args.csv)
    runs = collect(args.log_dir)
    table = summarise(runs) if len(runs) else pd.DataFrame()
    if table.empty:
        print(f"gandi.report: error: no finished runs under {args.log_dir}/results",
              file=sys.stderr)
        return 2
    print(markdown(table) if args.markdown else table.to_string(index=False))
    if (table["test"] == TEST_SHOWN[SYNTHETIC]).any():
        print("(synthetic anomalies: corrupted copies of held-out normals, where the data had "
              "no anomaly: a gandi.Detector fit without eval_set, a table of normal rows "
              "only; not comparable with real anomalies)")
    if args.csv:
        atomic_write_bytes(Path(args.csv), runs.to_csv(index=False).encode())
    others = runs[runs["status"] != "finished"]["signature"].nunique()
    if others:
        print(f"({others} unfinished run(s) left out)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
