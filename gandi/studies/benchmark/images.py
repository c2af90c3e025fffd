"""The image benchmark (`python -m gandi.benchmark --dataset mnist|fashion_mnist`, see its
__main__.py): every (detector, class, seed) cell a run, the classical detectors on the same split,
the markdown beside the published numbers, and the speed section measured after the grid
(`image_speed.py`).
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from gandi.cli import parse_classes
from gandi.outputs.run_rows import COLUMNS, clock, mean_std, result_row, spent
from gandi.studies.benchmark.cells import (QUICK_NOTE, announce, cell_keys, read_cells,
                                          run_items, stale_lines, stale_rows, without_replaced,
                                          write_atomic)
from gandi.studies.benchmark.image_cells import (ANOMALY_CLASS, GRID, cell_setting,
                                                current_hashes, detector_settings)
from gandi.studies.benchmark.image_speed import measure_speed, speed_markdown, speed_section

ROOT = Path(__file__).resolve().parents[3]  # the checkout: gandi/studies/benchmark/images.py
PUBLISHED = ROOT / "benchmarks" / "published.csv"
# gandi detector -> the method name published tables use
PUBLISHED_NAMES = {"anogan": "AnoGAN", "egbad": "EGBAD", "ganomaly": "GANomaly",
                   "autoencoder": "DCAE", "vae": "VAE", "aae": "AAE"}
def run_cell(detector, cls, number, setting, log_dir) -> dict:
    from gandi.experiment import run_setting
    from gandi.settings.validation import validate
    started = clock()
    setting = validate(setting, label=str(number))
    results = run_setting(number, setting, log_dir, progress=False)
    return result_row(results, detector, cls, spent(started), setting)


def classical_cells(detectors, cls: int, seed: int, setting: dict) -> list[dict]:
    """One row per classical detector (`gandi.detectors.classical`): fitted on the training normals of
    the split a gandi run of this class and seed draws (`setting` validated: its data keys and
    seed), flattened pixels scaled as gandi scales them; AUC and F1 (at the 95th percentile of
    the validation normals' scores) on its test set. No training curve: no oracle."""
    from gandi.detectors.classical import CLASSICAL
    from gandi.data import load_splits
    from gandi.tracking.metrics import detection_metrics
    from gandi.tracking.thresholds import validation_threshold
    data = load_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    rows = []
    for name in detectors:
        started = clock()
        detector = CLASSICAL[name](seed=seed).fit(data.train)
        test = detector.score(data.test_x)
        threshold = validation_threshold(detector.score(data.validation),
                                         setting["threshold_percentile"])
        metrics = detection_metrics(data.test_y, test, threshold)
        rows.append({"detector": name, "family": "classical", "class": cls, "seed": seed,
                     "auc": metrics["auc"], "auprc": metrics["ap"], "f1": metrics["f1"],
                     "oracle_best_auc": np.nan,
                     "signature": "", **spent(started)})
    return rows


def published_auc(dataset: str, protocol: str, path: Path = PUBLISHED,
                  metric: str = "auc") -> pd.DataFrame:
    """Published numbers of one metric ("auc" or "auprc") as {(method, class): value} rows."""
    if not path.is_file():
        return pd.DataFrame(columns=["method", "class", "value", "paper", "approximate", "note"])
    table = pd.read_csv(path)
    table = table[(table["dataset"] == dataset) & (table["protocol"] == protocol)
                  & (table["metric"] == metric)]
    if "note" not in table:
        table = table.assign(note="")
    return table[["method", "class", "value", "paper", "approximate", "note"]]


def _published_cell(pub: pd.DataFrame, cls, classes) -> str:
    """One method's published AUC for a class (~ when read off a figure), or its mean over the
    benchmarked classes."""
    if cls == "mean":
        pub = pub[pub["class"].isin(classes)]
        return f"{pub['value'].mean():.3f}" if len(pub) else ""
    hit = pub[pub["class"] == cls]
    if hit.empty:
        return ""
    return ("~" if bool(hit["approximate"].iloc[0]) else "") + f"{hit['value'].iloc[0]:.3f}"


def metric_table(cells: pd.DataFrame, published: pd.DataFrame, metric: str,
                 family: dict) -> str:
    """One metric's markdown table: a row per class and the mean, a column per detector (ours
    or classical) followed by its published twin when `published` has one, then the published
    methods no gandi detector reproduces."""
    classes = sorted(cells["class"].unique())
    detectors = list(dict.fromkeys(cells["detector"]))
    methods = set(published["method"])
    header = ["class"]
    for d in detectors:
        header.append(f"{d} (classical)" if family.get(d) == "classical" else f"{d} (ours)")
        if d in PUBLISHED_NAMES and PUBLISHED_NAMES[d] in methods:
            header.append(f"{PUBLISHED_NAMES[d]} (published)")
    # published methods that no gandi detector reproduces (e.g. Deep SVDD): reference columns
    references = [m for m in dict.fromkeys(published["method"])
                  if m not in PUBLISHED_NAMES.values()]
    header += [f"{m} (published)" for m in references]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for cls in classes + ["mean"]:
        row = [str(cls)]
        for d in detectors:
            mine = cells[cells["detector"] == d]
            if cls == "mean":  # mean over classes of the per-class means
                per_class = mine.groupby("class")[metric].mean().dropna()
                partial = (f" ({len(per_class)} of {len(classes)} classes)"
                           if len(per_class) < len(classes) else "")  # unfinished: not comparable
                row.append(f"{per_class.mean():.3f}{partial}" if len(per_class) else "")
            else:
                row.append(mean_std(mine[mine["class"] == cls][metric], show_n=True))
            name = PUBLISHED_NAMES.get(d)
            if name and name in methods:
                row.append(_published_cell(published[published["method"] == name], cls, classes))
        row += [_published_cell(published[published["method"] == m], cls, classes)
                for m in references]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def changed_keys(detectors, changes: dict, why: str) -> str:
    """A line per detector whose grid setting `changes` (GRID, ANOMALY_CLASS) alter."""
    return "".join(f"{d}: its setting with "
                   + ", ".join(f"{k} = {v}" for k, v in changes[d].items())
                   + f" ({why}; not in --quick).\n\n" for d in detectors if d in changes)


def markdown(cells: pd.DataFrame, dataset: str, protocol: str,
             published_path: Path = PUBLISHED) -> str:
    classes = sorted(cells["class"].unique())
    detectors = list(dict.fromkeys(cells["detector"]))
    out = io.StringIO()
    out.write(f"# {dataset}, {protocol}: test AUC per class\n\n"
              "Ours: mean ± std over n seeds (a single number: one seed), the model chosen "
              "without test labels. Classical: `gandi.detectors.classical` fitted on the same split's "
              "training normals (flattened pixels, the same scaling). Published: "
              "from `benchmarks/published.csv` (~ = approximate: read off a figure or quoted "
              "by a secondary source).\n\n")
    if protocol == "anomaly_class":
        out.write("One class is the anomaly, the other nine are normal (the GANomaly and EGBAD "
                  "protocol). Each detector trains its one-class setting's epochs divided by 9 "
                  "(at least 1): the same number of training images as its normal_class cell.\n\n")
        out.write(changed_keys(detectors, ANOMALY_CLASS, "nine normal classes: more training "
                               "normals to compare with"))
    out.write(changed_keys(detectors, GRID, "cost"))
    family = (dict(zip(cells["detector"], cells["family"])) if "family" in cells
              else {})  # classical rows are named so; gandi's are "ours"
    out.write(metric_table(cells, published_auc(dataset, protocol, published_path), "auc",
                           family))
    if "auprc" in cells and cells["auprc"].notna().any():
        auprc = published_auc(dataset, protocol, published_path, "auprc")
        out.write("\n## AUPRC (average precision, anomaly = positive) per class\n\n"
                  "The same runs and choices as above; AUPRC depends on the share of anomalies "
                  "in the test set, so compare it only on the same protocol.\n\n")
        out.write(metric_table(cells, auprc, "auprc", family))
    ours = [d for d in detectors if family.get(d) != "classical"]  # only a run has a curve
    out.write("\n## Oracle: best test AUC over training (chosen WITH test labels: an upper "
              "bound, not a result)\n\nEmpty for a score computed once on the final networks "
              "(AnoGAN): it is not followed over training.\n\n| class | " + " | ".join(ours)
              + " |\n|" + " --- |" * (len(ours) + 1) + "\n")
    for cls in classes:
        row = [str(cls)] + [mean_std(cells[(cells["detector"] == d) & (cells["class"] == cls)]
                                     ["oracle_best_auc"], show_n=True) for d in ours]
        out.write("| " + " | ".join(row) + " |\n")
    return out.getvalue()


def run(args, out: Path) -> int:
    """The image benchmark's part of `python -m gandi.benchmark`: the grid's missing cells, the
    markdown, the speed section; returns the exit status (BenchmarkError, BadInput: bad
    arguments, before anything runs)."""
    from gandi.detectors.classical import CLASSICAL
    classes = parse_classes(args.classes or ("0,1" if args.quick else "0-9"))
    seeds = range(args.seeds if args.seeds is not None else (1 if args.quick else 3))
    every = args.detectors == ["all"]
    classical = list(CLASSICAL) if every else [d for d in args.detectors if d in CLASSICAL]
    gandi = ["all"] if every else [d for d in args.detectors if d not in CLASSICAL]
    chosen = detector_settings(args.dataset, gandi) if gandi else {}
    from gandi.settings.validation import validate
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / f"{args.dataset}_{args.protocol}.csv"
    md_path = out / f"{args.dataset}_{args.protocol}.md"
    cells = read_cells(csv_path)
    # the hash of the setting each gandi cell would run with now: a row made by another is stale
    current = current_hashes(args.dataset, args.protocol,
                             [(d, c, s) for d in chosen for c in classes for s in seeds],
                             args.quick, args.data_dir)
    stale = stale_rows(cells, current)
    done = set(cell_keys(cells[~stale]))
    # a gandi cell is a run; the classical detectors of a (class, seed) share its split: one item
    todo = [([d], c, s) for d in chosen for c in classes for s in seeds if (d, c, s) not in done]
    for c in classes:
        for s in seeds:
            missing = [d for d in classical if (d, c, s) not in done]
            todo += [(missing, c, s)] if missing else []
    if args.report_only:
        todo, args.no_speed = [], True
    announce([(d, f"class {c} seed {s}") for d, c, s in todo], cells, len(done), csv_path,
             "class", args.dry_run, stale)
    if args.dry_run:
        return 0
    # the split of a classical item: the one a gandi run of that class and seed draws
    reference = (chosen.get("discriminator")
                 or detector_settings(args.dataset, ["discriminator"])["discriminator"])

    def run_item(item) -> list[dict]:
        detectors, cls, seed = item
        if detectors[0] in chosen:
            number, raw = chosen[detectors[0]]
            setting = cell_setting(raw, args.protocol, cls, seed, args.quick, args.data_dir,
                                   detectors[0])
            return [run_cell(detectors[0], cls, number, setting, args.log_dir)]
        setting = validate(cell_setting(reference[1], args.protocol, cls, seed, args.quick,
                                        args.data_dir), str(reference[0]))
        return classical_cells(detectors, cls, seed, setting)

    ran = None
    if args.executor != "here":  # the gandi runs as trials of gandi.sweep's executors
        from gandi.studies.benchmark.executed import executed
        ran = executed(todo, run_item, args, lambda d, c, s: (chosen[d][0], validate(
            cell_setting(chosen[d][1], args.protocol, c, s, args.quick, args.data_dir, d),
            str(chosen[d][0]))))
    cells = run_items(todo, run_item, cells, csv_path, COLUMNS,
                      lambda item, row: f"{row['detector']} class {item[1]} seed {item[2]}", ran)
    if cells is None:
        return 2
    cells = without_replaced(cells, current)
    write_atomic(csv_path, cells[COLUMNS].to_csv(index=False))
    stale = stale_rows(cells, current)  # cells not run again yet: listed, not in the tables
    wanted = cells[cells["detector"].isin(list(chosen) + classical)
                   & cells["class"].isin(classes) & ~stale]
    report = ((QUICK_NOTE if args.quick else "")
              + markdown(wanted, args.dataset, args.protocol, Path(args.published)))
    report += stale_lines(cells[stale], wanted)
    if args.report_only:  # the speed measured by an earlier run stays
        report += speed_section(md_path)
    write_atomic(md_path, report)  # the AUC tables stand even if the speed measurement fails
    written = [csv_path]
    if not args.no_speed and chosen:  # speed is gandi's detectors' (classical: no training)
        # the speed of the detectors as benchmarked: their settings for the first class
        overrides = cell_setting({}, args.protocol, classes[0], 0, args.quick, args.data_dir)
        speed, sizes = measure_speed(args.dataset, list(chosen), args.quick, overrides)
        speed_path = out / f"{args.dataset}_{args.protocol}_speed.csv"
        write_atomic(speed_path, speed.to_csv(index=False))  # measure_speed's columns
        write_atomic(md_path, report + speed_markdown(speed, sizes, speed_path.name))
        written.append(speed_path)
    print(f"wrote {', '.join(map(str, written))} and {md_path}")
    return 0


