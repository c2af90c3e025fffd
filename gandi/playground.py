"""The driver: `python -m gandi.playground [--list [--keys]] [--settings N ... | --setting-file FILE]
[--log-dir DIR] ...`

Validates every chosen setting and the log dir before anything runs: bad input gets one line
naming what was wrong and what is allowed, exit status 2, and no run folder.
"""
from __future__ import annotations

import json
import os
import pickle
import re
import sys

from gandi.cli import (EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_INTERRUPTED, BadInput, Parser,
                       import_tensorflow_quietly)

# what a setting's ensemble writes into its run folder (run_ensemble)
REPORT_FILE, ENSEMBLE_FILE = "ensemble.csv", "ensemble.pkl"


def _parser():
    p = Parser(prog="python -m gandi.playground",
                description="Train GANs on numbered settings from run_params and track the "
                            "discriminator as an anomaly detector.")
    p.add_argument("--list", action="store_true", help="print the numbered settings and exit")
    p.add_argument("--keys", action="store_true",
                   help="with --list: print every setting key instead (default, what reads it, "
                        "what it does, what is allowed)")
    p.add_argument("--settings", nargs="+", metavar="N",
                   help="setting numbers to run, one after another (default: the default setting)")
    p.add_argument("--setting-file", metavar="FILE",
                   help="run the one setting in a JSON file (an object of setting keys, e.g. "
                        "your own table) instead of a numbered one; it is named after the file")
    p.add_argument("--log-dir", default="log_dir", help="where run folders go (default: log_dir)")
    p.add_argument("--seed", type=int, help="numpy and TensorFlow seed for every run")
    p.add_argument("--steps", type=int, help="override the training length (e.g. smoke runs)")
    p.add_argument("--resume", metavar="RUN",
                   help="continue a run from its latest checkpoint: a signature (under --log-dir) "
                        "or the path of one of its folders, e.g. log_dir/results/<signature>")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def settings_table(settings: dict) -> str:
    from gandi.detectors import DETECTORS
    from gandi.settings.keys import DEFAULTS, defaults_for
    rows = [("#", "name", "detector", "data", "anomaly", "networks", "length")]
    for number, raw in sorted(settings.items()):
        s = {**defaults_for(raw.get("detector", DEFAULTS["detector"])), **raw}
        if s["dataset"] == "distribution":
            data, anomaly = s["distribution"], s["anomaly"]
        elif s["dataset"] == "table":
            data = s["data_file"] or f"{s['train_file']} / {s['test_file']}"
            anomaly = f"{s['label_column']} in {list(s['anomaly_values'])}"
        elif s["dataset"] == "folder":
            data, anomaly = f"{s['image_dir']} ({s['image_size']}x{s['image_size']}x" \
                f"{s['channels']})", "abnormal/"
        elif s["normal_class"] is not None:
            data, anomaly = f"{s['dataset']}, normal class {s['normal_class']}", "other classes"
        else:
            data, anomaly = f"{s['dataset']}, all but {s['anomaly_class']}", \
                f"class {s['anomaly_class']}"
        length = f"{s['epochs']} epochs" if s["epochs"] else str(s["steps"])
        rows.append((str(number), s["name"], s["detector"], data, anomaly,
                     "/".join(s[k] for k in DETECTORS[s["detector"]].arch_keys), length))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def setting_from_file(path) -> tuple[str, object]:
    """(name, raw setting) from a JSON file; the name, made of word characters, goes into the
    run's signature."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        raise BadInput(f"--setting-file {path}: file not found") from None
    except json.JSONDecodeError as err:
        raise BadInput(f"--setting-file {path}: not valid JSON ({err.msg} at line {err.lineno}, "
                       f"column {err.colno})") from None
    except (OSError, UnicodeDecodeError) as err:
        raise BadInput(f"--setting-file {path}: cannot read it ({err})") from None
    name = re.sub(r"\W+", "_", os.path.splitext(os.path.basename(path))[0]).strip("_") or "file"
    if isinstance(raw, dict):  # reports show the name: the file's unless the setting has one
        raw = {"name": name, **raw}
    return name, raw


def chosen_settings(args, available: dict, default) -> list[tuple[int | str, dict]]:
    """Validate every chosen setting (with command-line overrides) before any run starts."""
    from gandi.data.errors import DataError
    from gandi.data.image_folders import folder_layout
    from gandi.data.tables import TABLE_FILE_KEYS, table_file
    from gandi.settings.validation import validate
    if args.setting_file:
        if args.settings:
            raise BadInput("--setting-file runs the setting in its file; it takes no --settings")
        picks = [setting_from_file(args.setting_file)]
    else:
        picks = []
        for text in args.settings or [str(default)]:
            try:
                number = int(text)
            except ValueError:
                number = None
            if number not in available:
                raise BadInput(f"unknown setting {text!r}; available: "
                               + ", ".join(str(n) for n in sorted(available)))
            picks.append((number, available[number]))
    chosen = []
    for number, raw in picks:
        if isinstance(raw, dict):  # anything else: validate says what is wrong with it
            raw = dict(raw)
            if args.seed is not None:
                raw["numpy_seed"] = raw["tf_seed"] = args.seed
            if args.steps is not None:
                raw["steps"], raw["epochs"] = args.steps, None
        setting = validate(raw, label=str(number))
        try:  # a missing file or folder stops every run, not only the one needing it
            for key in TABLE_FILE_KEYS:
                if setting[key] is not None:
                    table_file(key, setting[key])
            if setting["image_dir"] is not None:
                folder_layout(setting["image_dir"])  # its sub-folders; images are read later
        except DataError as err:
            raise BadInput(f"setting {number}: {err}") from None
        chosen.append((number, setting))
    return chosen


def main(argv=None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.keys and not args.list:
            raise BadInput("--keys goes with --list: python -m gandi.playground --list --keys")
        import_tensorflow_quietly()
        import run_params
        if args.list and args.keys:
            from gandi.settings.key_table import text_table
            print(text_table(), end="")
            return 0
        if args.list:
            print(settings_table(run_params.SETTINGS))
            return 0
        from gandi.outputs.run_folder import LogDirError, RunFolders, check_writable
        from gandi.settings.validation import SettingError
        try:
            if args.resume:
                if (args.settings or args.setting_file or args.steps is not None
                        or args.seed is not None):
                    raise BadInput("--resume continues a run with its own setting; it takes no "
                                   "--settings, --setting-file, --steps or --seed")
                chosen = [(None, RunFolders.find(args.resume, args.log_dir))]
                check_writable(chosen[0][1].log_dir)
            else:
                chosen = chosen_settings(args, run_params.SETTINGS, run_params.DEFAULT_SETTING)
                log_dir = check_writable(args.log_dir)
        except (SettingError, LogDirError, LookupError) as err:
            raise BadInput(str(err)) from None
    except BadInput as err:
        print(f"gandi.playground: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT

    from gandi.data.errors import DataError
    from gandi.experiment import ResumeError, resume_run, run_setting
    summary = []
    for number, setting in chosen:
        try:  # data problems show when a run loads its data, before its folders exist
            if number is None:  # a resumed run: its folders, then its own setting and log dir
                results = resume_run(setting, progress=not args.no_progress)
                number, log_dir = results["setting_id"], setting.log_dir
                setting = results["setting"]
            else:
                results = run_setting(number, setting, log_dir, progress=not args.no_progress)
        except (SettingError, DataError, ResumeError) as err:
            print(f"gandi.playground: error: {err}", file=sys.stderr)
            return EXIT_BAD_INPUT
        summary.append(_summary_line(number, results))
        print(summary[-1], flush=True)
        for warning in results.get("warnings", []):
            print(f"gandi.playground: warning: setting {number}: {warning}", file=sys.stderr,
                  flush=True)
        if results["status"] == "interrupted":
            # the command that continues, as it can be typed: with the log dir it ran in
            print("interrupted: the last checkpoint and the results so far are saved in "
                  f"{results['run'].results}; continue with python -m gandi.playground "
                  f"--resume {results['run'].results}", file=sys.stderr)
            return EXIT_INTERRUPTED
        if results["status"] == "diverged":
            print(f"{results['error']}; the last good checkpoint and the results up to it are "
                  f"in {results['run'].results}", file=sys.stderr)
            return EXIT_DIVERGED
        if setting.get("ensemble_members"):
            summary.append(_ensemble(number, setting, results, log_dir, args))
            print(summary[-1], flush=True)
    if len(summary) > 1:
        print("\nsummary:\n" + "\n".join(summary))
    return 0


def _ensemble(number, setting, results, log_dir, args) -> str:
    """The setting's ensemble (run_ensemble), after its own run: one line."""
    from gandi.data.splits import SYNTHETIC, SYNTHETIC_NOTE
    ensemble = run_ensemble(number, setting, results, log_dir,
                            progress=not args.no_progress)
    for warning in ensemble["warnings"]:
        print(f"gandi.playground: warning: setting {number}: {warning}", file=sys.stderr,
              flush=True)
    return (f"setting {number} ensemble of {len(ensemble['members'])} (chosen without labels: "
            f"{', '.join(ensemble['members'])}): test AUC {ensemble['auc']:.3f}"
            + (f" {SYNTHETIC_NOTE}" if ensemble["test_anomalies"] == SYNTHETIC else "")
            + f"; every candidate: {ensemble['report']}")


def run_ensemble(setting_id, setting: dict, results: dict, log_dir, progress: bool) -> dict:
    """The playground's ensemble (a setting's `ensemble_members`), after the finished run
    `results` of `setting`: each other gandi member runs as a run of the same setting (its
    detector replaced, the same seed: one split and scaling), the classical members are fitted
    on that split's training normals, and `Ensemble.choose` keeps the `ensemble_top` best, as
    `Ensemble.fit` does. Written into the setting's run folder (results/): REPORT_FILE (every
    candidate's criterion, whether chosen, its test AUC: reporting only) and ENSEMBLE_FILE (the
    fitted gandi.Ensemble, pickled: decision_function on raw rows or images, export). Returns
    {"members", "auc", "test_anomalies", "report", "warnings"}."""
    from gandi.data.splits import SYNTHETIC
    from gandi.detectors import DETECTORS
    from gandi.ensemble import Ensemble
    from gandi.estimator import load
    from gandi.experiment import run_setting
    from gandi.outputs.run_folder import atomic_save, atomic_write_bytes
    from gandi.settings.validation import ensemble_member_setting
    names = [setting["detector"], *setting["ensemble_members"]]
    ensemble = Ensemble(members=names, top=setting["ensemble_top"], seed=setting["numpy_seed"],
                        log_dir=str(log_dir), verbose=1)
    candidates = {setting["detector"]: load(str(results["run"].results), log_dir)}
    warnings = []
    for name in setting["ensemble_members"]:
        if name not in DETECTORS:
            candidates[name] = ensemble.classical(name)
            continue
        print(f"gandi.playground: setting {setting_id}: running ensemble member {name}",
              file=sys.stderr, flush=True)
        member = run_setting(f"{setting_id}_{name}", ensemble_member_setting(setting, name),
                             log_dir, progress=progress)
        if member["status"] != "finished":  # a diverged member is left out, and said so
            warnings.append(f"ensemble member {name} ended {member['status']} "
                            f"({member['run'].results}); the ensemble is chosen without it")
            continue
        warnings += [f"ensemble member {name}: {w}" for w in member.get("warnings", [])]
        candidates[name] = load(str(member["run"].results), log_dir)
    ensemble.choose(candidates, labelled=results["test_anomalies"] != SYNTHETIC)
    folder = results["run"].results
    atomic_save(folder / REPORT_FILE, lambda path: ensemble.report_.to_csv(path, index=False))
    atomic_write_bytes(folder / ENSEMBLE_FILE, pickle.dumps(ensemble))
    row = ensemble.report_[ensemble.report_["member"] == "ensemble"].iloc[0]
    return {"members": ensemble.members_, "auc": float(row["auc"]),
            "test_anomalies": row["test_anomalies"], "report": folder / REPORT_FILE,
            "warnings": warnings}


def _summary_line(number, results) -> str:
    from gandi.data.splits import SYNTHETIC, SYNTHETIC_NOTE
    sweet, best = results["sweet_spot"], results["best_test_auc"]
    text = f"setting {number} {results['status']} ({results['signature']}): "
    stopped = results.get("stopped_early")
    if stopped:  # stop_patience: fewer steps than the setting's, on purpose
        text += (f"stopped early at step {stopped['step']} of {stopped['budget']} (the criterion "
                 f"gained nothing for {stopped['patience']} tracked steps); ")
    if sweet:
        text += (f"sweet spot at step {sweet['step']} ({sweet['criterion']}="
                 f"{sweet['criterion_value']:.3f}"
                 # below 0.5 the score ranks the reference above the validation normals: the
                 # detector is no better than chance there, or inverted
                 + (", below chance: no step told normals from the reference"
                    if sweet["criterion_value"] < 0.5 else "")
                 # a D-scored detector's direction, chosen without labels (tracking/orientation)
                 + (", score direction turned round: D ranked the synthetic references as more "
                    "normal than the validation normals" if sweet.get("direction") == -1 else "")
                 + f"), test AUC there {sweet['test_auc']:.3f}")
    if sweet and results.get("test_anomalies") == SYNTHETIC:
        text += f" {SYNTHETIC_NOTE}"
    if best:
        text += f"; best test AUC {best['test_auc']:.3f} at step {best['step']} (oracle, uses labels)"
    return (text + f"; results: {results['run'].results_file}; plots: "
            f"{results['run'].plots}")


if __name__ == "__main__":
    sys.exit(main())
