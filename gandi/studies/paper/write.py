"""The write-up, regenerated from the results by one command:

    python -m gandi.paper [--results benchmarks/results] [--log-dir log_dir] [--out paper]

Every number in `paper/README.md` comes from a results file, never from a hand edit:
- `<results>/distributions.csv`: the runs of settings 1-9 (`python -m gandi.report LOG_DIR --csv`);
- `<results>/<dataset>_<protocol>.csv`: the benchmark cells (`python -m gandi.benchmark`), beside
  `benchmarks/published.csv`, and `<dataset>_<protocol>_speed.csv` when the benchmark measured speed;
- `<results>/tabular.csv`: the ODDS tables, gandi beside the classical detectors
  (`python -m gandi.benchmark --dataset tabular`);
- `<results>/anomaly_maps.csv`: where the anomaly maps point on pasted patches
  (`benchmarks/anomaly_maps.py`), with the runs' galleries;
- `<results>/efficiency.json`: the efficiency section (`benchmarks/efficiency.py`), with the CPU
  named and what the same step would do on a GPU.
Figures are drawn from the run folders those files name (found by signature anywhere under
`--log-dir`): the detector's AUC over training with the sweet spot, and the score histograms. When
the run folders are gone (a fresh clone), figures already in `<out>/figures/` are kept and listed.
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import pandas as pd

from gandi import report
from gandi.studies.benchmark import image_speed
from gandi.studies.benchmark import images as benchmark
from gandi.studies.benchmark.cells import read_cells, write_atomic
from gandi.studies.paper.efficiency_section import efficiency_section
from gandi.studies.paper.auprc_chance import chance_text
from gandi.studies.paper.coverage import compared
from gandi.studies.paper.ensembles import ensemble_line
from gandi.studies.paper.families import family_gap_line
from gandi.studies.paper.heatmap import per_class_figure
from gandi.studies.paper.tried import tried_line

ROOT = Path(__file__).resolve().parents[3]  # the checkout: gandi/studies/paper/write.py
# the benchmark issue's quality goal: mean AUC of the best detector, label-free choice
GOALS = {"mnist": 0.975, "fashion_mnist": 0.93}
DATASET_NAMES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}


class PaperError(ValueError):
    """Missing or unusable results; the message is the one line the user sees."""


# -- figures --------------------------------------------------------------------------------
def find_run(log_dir: Path, signature: str) -> Path | None:
    """The run's results.pkl under `log_dir` (a log dir, or a folder of log dirs: symbolic links
    too, which a recursive glob does not follow), or None."""
    for pattern in (f"results/{signature}/results.pkl", f"*/results/{signature}/results.pkl",
                    f"**/results/{signature}/results.pkl"):
        hits = sorted(log_dir.glob(pattern))
        if hits:
            return hits[0]
    return None


def run_figures(log_dir: Path, signature: str, out: Path, stem: str) -> list[str]:
    """Draw a run's AUC-over-training and score-histogram figures into out/figures/<stem>_*.png;
    return the file names written, or those already there when the run folder is gone."""
    from gandi.outputs import plots
    from gandi.outputs.results import load_results
    names = [f"{stem}_auc_over_training.png", f"{stem}_score_histograms.png"]
    path = find_run(log_dir, signature)
    if path is None:
        return [n for n in names if (out / "figures" / n).is_file()]
    r = load_results(path)
    written = []
    fig = plots.detector_over_training(r["measurements"], r["sweet_spot"])
    plots.save_png(fig, out / "figures" / names[0])
    written.append(names[0])
    hist = (r.get("figures") or {}).get("score_histograms")
    if hist is not None:
        plots.save_png(hist, out / "figures" / names[1])
        written.append(names[1])
    plots.close({"a": fig, **(r.get("figures") or {})})
    return written


# -- text -----------------------------------------------------------------------------------
def distributions_section(results: Path, log_dir: Path, out: Path) -> str:
    path = results / "distributions.csv"
    if not path.is_file():
        return ""
    runs = pd.read_csv(path)
    table = report.summarise(runs)
    seeds = runs["seed"].nunique()
    text = io.StringIO()
    text.write(f"## 1. Distributions (settings 1-9; {seeds} seed(s), mean ± std)\n\n"
               "Small MLP GANs on 1-D and 2-D distributions, tested every `track_every` steps on "
               "held-out normals against samples of an anomaly distribution:\n\n"
               "```\nfor s in 0 1 2; do .venv/bin/python -m gandi.playground --settings 1 2 3 4 5 "
               "6 7 8 9 --seed $s --log-dir log_dir/distributions; done\n"
               ".venv/bin/python -m gandi.report log_dir/distributions --csv "
               "benchmarks/results/distributions.csv\n```\n\n")
    text.write(report.markdown(table) + "\n\n")
    finished = runs[(runs["status"] == "finished") & (runs["detector"] == "discriminator")]
    per_setting = finished.groupby("setting")[["auc", "last_step_auc", "oracle_best_auc"]].mean()
    late = per_setting[per_setting["last_step_auc"] < per_setting["auc"] - 0.1]
    if len(late):
        text.write("- **The end of training is the wrong moment** for settings "
                   + ", ".join(f"{s} (last step {r.last_step_auc:.3f}, sweet spot {r.auc:.3f})"
                               for s, r in late.iterrows())
                   + ": when the generator has learned the data, the discriminator stops telling "
                   "normals from anomalies, or reverses.\n")
    recovered = per_setting[per_setting["auc"] >= per_setting["oracle_best_auc"] - 0.02]
    text.write(f"- **The label-free sweet spot comes within 0.02 of the oracle** in "
               f"{len(recovered)} of {len(per_setting)} settings "
               f"({', '.join(str(s) for s in recovered.index)}).\n")
    missed = per_setting[per_setting["auc"] < per_setting["oracle_best_auc"] - 0.02]
    if len(missed):
        text.write("- **Where it misses**: " + ", ".join(
            f"setting {s} ({r.auc:.3f} against an oracle of {r.oracle_best_auc:.3f})"
            for s, r in missed.iterrows()) + ".\n")
    ensemble = runs[(runs["status"] == "finished")
                    & (runs["detector"] == "discriminator checkpoint ensemble")]
    if len(ensemble):
        both = per_setting.join(ensemble.groupby("setting")["auc"].mean().rename("ensemble"),
                                how="inner")
        text.write("- **The checkpoint ensemble** (the 5 best tracked steps by the criterion) "
                   "against the discriminator at the sweet spot: " + ", ".join(
                       f"setting {s} {r.ensemble:.3f} ({r.ensemble - r.auc:+.3f})"
                       for s, r in both.iterrows()) + f"; within 0.02 of the oracle in "
                   f"{int((both['ensemble'] >= both['oracle_best_auc'] - 0.02).sum())} of "
                   f"{len(both)} settings.\n")
    example = finished[finished["setting"] == finished["setting"].min()]
    if len(example):
        names = run_figures(log_dir, example["signature"].iloc[0], out, "distributions")
        text.write("".join(f"\n![{n}](figures/{n})\n" for n in names))
    return text.getvalue() + "\n"


def cost_line(cells: pd.DataFrame) -> str:
    """A cell's mean cost per detector in CPU seconds (the process's user + system time) where
    its rows recorded them: comparable between cells run alone and cells run beside other work,
    where wall seconds are not (a background cell at nice 19 waited up to 12 times its CPU
    time). Wall seconds of the same rows beside them; alone for rows from before CPU time."""
    parts = []
    for d, rows in cells.groupby("detector", sort=False):
        timed = rows[rows["cpu_seconds"].notna()] if "cpu_seconds" in rows else rows[:0]
        parts.append(f"{d} {timed['cpu_seconds'].mean():.0f} s ({timed['seconds'].mean():.0f} s "
                     "wall)" if len(timed) else f"{d} {rows['seconds'].mean():.0f} s wall")
    return ("- **Cost per cell** (mean CPU seconds per class and seed, on the machine that ran "
            "it, wall seconds in brackets; a gandi cell is a whole run with its tracking, a "
            "classical one fit and score): " + ", ".join(parts) + ".\n")


def caution(published: pd.DataFrame) -> str:
    """What `benchmarks/published.csv` warns of a number (its note's "CAUTION: ..." up to the
    next colon), so that a gap to it is not read as a plain shortfall; '' without a warning."""
    notes = [str(n) for n in published.get("note", pd.Series(dtype=str)).dropna()
             if "CAUTION:" in str(n)]
    if not notes:
        return ""
    said = notes[0].split("CAUTION:", 1)[1].split(":", 1)[0].strip()
    return f" `benchmarks/published.csv` warns of this number: {said}."


def benchmark_section(number: int, dataset: str, protocol: str, results: Path, log_dir: Path,
                      out: Path, published_path: Path) -> str:
    from gandi.studies.benchmark.image_cells import fresh_rows
    # rows of the current settings only (old CSVs filled in); the others are listed at the end
    cells, left_out = fresh_rows(read_cells(results / f"{dataset}_{protocol}.csv"), dataset,
                                 protocol)
    published = benchmark.published_auc(dataset, protocol, published_path)
    classes = sorted(cells["class"].unique())
    name = DATASET_NAMES.get(dataset, dataset)
    if cells.empty:  # e.g. a --quick benchmark's rows: not the shipped settings' results
        return (f"## {number}. {name}, {protocol}\n\nNo row of the current settings yet.\n"
                + left_out + "\n")
    text = io.StringIO()
    seeds = sorted(cells["seed"].unique())
    detectors = list(dict.fromkeys(cells["detector"]))
    text.write(f"## {number}. {name}, {protocol} ({len(classes)} classes, "
               f"{len(seeds)} seed(s))\n\n```\nGANDI_DATA_DIR=../shared/data .venv/bin/python -m "
               f"gandi.benchmark --dataset {dataset} --protocol {protocol} --detectors "
               f"{' '.join(detectors)} --classes {classes[0]}-{classes[-1]} --seeds "
               f"{len(seeds)}\n```\n\n")
    table = benchmark.markdown(cells, dataset, protocol, published_path)
    text.write(table.split("\n", 2)[2].replace("\n## ", "\n### ") + "\n")  # drop its title
    text.write(left_out.lstrip("\n") + "\n" if left_out else "")
    means = cells.groupby(["detector", "class"])["auc"].mean().groupby("detector").mean()
    oracle = cells.groupby(["detector", "class"])["oracle_best_auc"].mean().groupby(
        "detector").mean()
    complete, said = compared(cells, means, classes)
    text.write(said)
    family = (dict(zip(cells["detector"], cells["family"])) if "family" in cells else {})
    classical = complete[[family.get(d) == "classical" for d in complete.index]]
    complete = complete[[family.get(d) != "classical" for d in complete.index]]  # gandi's
    goal = GOALS.get(dataset)
    if goal is not None and protocol == "normal_class" and len(complete):
        best = complete.idxmax()
        verdict = ("meets the goal" if complete[best] >= goal else
                   f"misses the goal by {goal - complete[best]:.3f}")
        text.write(f"- **Quality goal** (mean AUC ≥ {goal} with the label-free choice): the best "
                   f"detector, {best}, reaches {complete[best]:.3f}: it {verdict}.\n")
    if len(classical) and len(complete):
        bar = classical.idxmax()
        text.write(f"- **Against the classical detectors** (same splits; best: {bar} "
                   f"{classical[bar]:.3f}): " + ", ".join(
                       f"{d} {complete[d] - classical[bar]:+.3f}"
                       for d in complete.sort_values(ascending=False).index) + ".\n")
    if protocol == "normal_class":
        text.write(family_gap_line(cells, classes))
    text.write(ensemble_line(results, dataset, protocol, cells, classes))
    unpublished = []
    auprc = benchmark.published_auc(dataset, protocol, published_path, "auprc")
    for detector in detectors:
        method = benchmark.PUBLISHED_NAMES.get(detector)
        found = False
        for metric, table_ in (("auc", published), ("auprc", auprc)):
            pub = table_[(table_["method"] == method) & table_["class"].isin(classes)]
            ours = cells[cells["detector"] == detector].groupby("class")[metric].mean()
            ours = ours[ours.index.isin(pub["class"])].dropna()
            if not method or not len(pub) or not len(ours):
                continue
            found = True
            pub = pub[pub["class"].isin(ours.index)]  # the classes both have
            diff = ours.mean() - pub["value"].mean()
            chance = (chance_text(ours, pub) if metric == "auprc" and dataset == "mnist"
                      and protocol == "anomaly_class"
                      and pub["paper"].iloc[0].startswith("Zenati") else "")
            text.write(f"- **{detector} against its published {metric.upper()}** ({method}, "
                       f"{pub['paper'].iloc[0]}, classes {', '.join(map(str, ours.index))}): "
                       f"{ours.mean():.3f} against {pub['value'].mean():.3f}, {diff:+.3f}."
                       f"{chance}{caution(pub)}\n")
        if found:
            text.write(tried_line(results, detector, dataset, protocol))
        if method and not found:  # (the discriminator has no published twin: ours)
            unpublished.append(detector)
    if unpublished:
        text.write(f"- **No published number on this protocol in `benchmarks/published.csv`** "
                   f"for {', '.join(unpublished)}: their published-number comparison is open.\n")
    text.write(cost_line(cells))
    references = published[~published["method"].isin(benchmark.PUBLISHED_NAMES.values())]
    for method, pub in references.groupby("method", sort=False):
        beat = [d for d in complete.index if complete[d] >= pub["value"].mean()]
        text.write(f"- **Reference: {method}** ({pub['paper'].iloc[0]}) averages "
                   f"{pub['value'].mean():.3f}; ahead of it: {', '.join(beat) or 'none of ours'}."
                   "\n")
    gaps = (oracle - means).dropna().sort_values(ascending=False)
    if len(gaps):
        text.write("- **What the label-free choice costs** (mean oracle-best AUC minus mean AUC "
                   "at the chosen step): " + ", ".join(f"{d} {g:.3f}" for d, g in gaps.items())
                   + ".\n")
    figure = f"{dataset}_{protocol}_per_class.png"
    per_class_figure(cells, published[published["class"].isin(classes)],
                     f"{name}, {protocol}: test AUC per class (label-free choice)",
                     out / "figures" / figure, protocol)
    text.write(f"\n![{figure}](figures/{figure})\n")
    # the figures: the first gandi detector's cell where the label-free choice cost the most
    # (one with a curve: not a classical detector, not AnoGAN's score computed once at the end)
    runs = [d for d in detectors
            if cells.loc[cells["detector"] == d, "oracle_best_auc"].notna().any()] or [None]
    example = cells[cells["detector"] == runs[0]].assign(
        cost=lambda c: (c["oracle_best_auc"] - c["auc"]).fillna(0)).sort_values(
        ["cost", "class", "seed"], ascending=[False, True, True])
    if len(example):
        text.write(f"\nBelow: {runs[0]}, class {example['class'].iloc[0]}, seed "
                   f"{example['seed'].iloc[0]}, the cell where the label-free choice cost it "
                   "the most.\n")
        names = run_figures(log_dir, example["signature"].iloc[0], out,
                            f"{dataset}{'' if protocol == 'normal_class' else '_' + protocol}"
                            f"_{runs[0]}_class{example['class'].iloc[0]}")  # one name each
        text.write("".join(f"\n![{n}](figures/{n})\n" for n in names))
    speed = image_speed.speed_section(results / f"{dataset}_{protocol}.md")  # measured in the run
    if speed:
        text.write("\n" + speed.replace("\n## Speed", "### Speed", 1).rstrip() + "\n")
    return text.getvalue() + "\n"


INTRO = """# The discriminator as an anomaly detector, and its sweet spot

*Generated by `python -m gandi.paper` from `benchmarks/results/`; do not edit the numbers by hand:
change the runs and regenerate. Every run was made on 2 CPU cores.*

## Question

A GAN's discriminator D is trained to tell real data from generated data, and usually discarded.
Used as an anomaly detector (score `-D(x)`), how good is it, when during training, and can the
good moment — the *sweet spot* — be found without labelled anomalies? And how does it compare with
the detectors built for the job (AnoGAN, EGBAD, GANomaly, autoencoders) and with published numbers?

## Method

Each setting of `run_params` trains a detector on normal data only and tests it every
`track_every` steps on held-out normals against anomalies. The sweet spot is the step that
maximises a label-free criterion: on vectors, the AUC of telling validation normals from
synthetic anomalies, half far (points drawn uniformly over the training data's bounding box
widened by 50% on each side: "artificial outliers", Tax & Duin) and half near (copies of them
with a random subset of features swapped with another normal's or jittered); on images, the AUC
of telling validation normals from corrupted copies of them (a patch moved or erased, another
normal overlaid, a 90° turn), because every detector rejects uniform noise on images from the
first steps. Values within one validation sample's worth
of the best are ties, which go to the later step. The test AUC at that step (`auc`) is reported
beside the AUC at the last step and the best test AUC over training (`oracle_best_auc`: it uses
the test labels, so it is only an upper bound, never a result). F1 is at the 95th percentile of
validation-normal scores (the detector's row) or of generated-sample scores (the `mc_threshold`
row, the Monte-Carlo threshold); neither threshold sees an anomaly. Costly scorers (AnoGAN) are
computed once, on the final networks.

Published numbers are in `benchmarks/published.csv`, with their sources
(`benchmarks/published_sources.md`); `~` marks a value that is approximate (read off a figure, or
quoted by a secondary source).

"""


GRID_COLUMNS = ("detector", "class", "seed", "auc")


def is_grid(path: Path) -> bool:
    """Whether a <dataset>_<protocol>.csv holds an image benchmark's rows (its columns); another
    table of that name (a study's) is passed over, and said so."""
    with open(path, newline="") as f:
        header = next(csv.reader(f), [])
    missing = [c for c in GRID_COLUMNS if c not in header]
    if missing:
        print(f"{path.name}: not an image benchmark's rows (no {', '.join(missing)} column): "
              "left out of the paper")
    return not missing


def build(results: Path, log_dir: Path, out: Path, published: Path) -> str:
    order = list(DATASET_NAMES)  # MNIST first, then Fashion-MNIST, then anything else
    benchmarks = sorted((p for p in results.glob("*_*.csv")  # <dataset>_<protocol>.csv
                         if p.stem.endswith(("_normal_class", "_anomaly_class")) and is_grid(p)),
                        key=lambda p: (next((i for i, d in enumerate(order)
                                             if p.stem.startswith(d + "_")), len(order)),
                                       p.stem))
    if not (results / "distributions.csv").is_file() and not benchmarks:
        raise PaperError(f"no results in {results}: expected distributions.csv or "
                         "<dataset>_<protocol>.csv from gandi.report / gandi.benchmark")
    (out / "figures").mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    text.write(INTRO)
    distributions = distributions_section(results, log_dir, out)
    text.write(distributions)
    number = 2 if distributions else 1
    for path in benchmarks:
        dataset, protocol = _split_stem(path.stem)
        text.write(benchmark_section(number, dataset, protocol, results, log_dir, out, published))
        number += 1
    tables = tables_section(number, results / "tabular.csv")
    text.write(tables)
    number += bool(tables)
    maps = maps_section(number, results / "anomaly_maps.csv", log_dir, out)
    text.write(maps)
    number += bool(maps)
    text.write(efficiency_section(number, results / "efficiency.json"))
    return text.getvalue()


def tables_section(number: int, path: Path) -> str:
    """The ODDS tables (`gandi.benchmark --dataset tabular`): gandi's detectors beside the
    classical ones on the same splits, or "" before that benchmark has run."""
    if not path.is_file():
        return ""
    from gandi.studies.benchmark.cells import read_cells
    from gandi.studies.benchmark.table_report import fresh_rows
    from gandi.studies.benchmark.table_report import markdown as tables_markdown
    from gandi.studies.benchmark.table_cells import COLUMNS
    shown, left_out = fresh_rows(read_cells(path, COLUMNS))  # rows of the current settings
    body = tables_markdown(shown).split("\n", 1)[1] + left_out  # the report's own title off
    study = path.parent / "selection_study.csv"
    if study.is_file():  # the label-free criteria compared on the same runs
        from gandi.studies.criterion_study import markdown as study_markdown
        body += ("\n### The label-free criterion, before and after\n\n```\n.venv/bin/python "
                 "benchmarks/selection_study.py log_dir/benchmark --csv "
                 "benchmarks/results/selection_study.csv\n```\n\n"
                 + study_markdown(pd.read_csv(study)))
    return (f"## {number}. Tables (ODDS), semi-supervised\n\n```\n.venv/bin/python -m "
            "gandi.benchmark --dataset tabular --seeds 3\n```\n" + body + "\n")


def maps_section(number: int, path: Path, log_dir: Path, out: Path) -> str:
    """Where the anomaly maps point (`benchmarks/anomaly_maps.py`): pixel AUROC and mass inside
    a pasted patch per detector beside the reference maps, and the galleries of the first
    seed's runs; "" before that benchmark has run."""
    if not path.is_file():
        return ""
    from gandi.studies.map_quality import markdown as maps_markdown
    cells = pd.read_csv(path)
    body = maps_markdown(cells, "").split("\n", 2)[2]  # the table without its title
    gandi = cells[cells["family"] == "gandi"]
    figures = []  # the first seed's runs only: one gallery per detector is enough to look at
    for signature in gandi.loc[gandi["seed"] == gandi["seed"].min(), "signature"].unique():
        figures += gallery_figures(log_dir, signature, out)
    shown = "".join(f"![{name}](figures/{name})\n\n" for name in figures)
    return (f"## {number}. Where the anomaly maps point (pasted patches, MNIST)\n\n"
            "```\n.venv/bin/python benchmarks/anomaly_maps.py --seeds 3\n```\n\n"
            "Each image detector trains its shipped MNIST setting (normal digit 1) as shipped. "
            "On up to 500 test normals a square patch (0.3-0.5 of the side) of a test image of "
            "another digit is pasted over the digit; the truth is the pixels the paste changed. "
            "*Pixel AUROC*: the map's values as scores of those pixels, pooled over all pixels "
            "of all images (anomalib's measure; 0.5 = a map that knows nothing). *Mass inside*: "
            "the share of each map's total inside the pasted square. *Image AUROC*: the "
            "detector's score telling the pasted images from the same normals unpasted. Two "
            "maps need no detector: uniform noise, and |x - mean training image|. The "
            "discriminator's map is a gradient saliency, not a residual; GANomaly's is its "
            "reconstruction residual (its score compares latent codes). Mean ± std over seeds."
            "\n\n" + body + "\n" + shown)


def gallery_figures(log_dir: Path, signature: str, out: Path) -> list[str]:
    """Copy a run's gallery figures into out/figures/maps_<setting>_seed<k>_<row>.png; return
    the names written, or those already there when the run folder is gone."""
    import shutil
    setting, seed = signature.rsplit("_", 1)[1], signature.split("_")[-2].split("-")[0]
    stem = f"maps_{setting}_seed{seed}_"
    hits = sorted(log_dir.glob(f"**/plots/{signature}/gallery_*.png"))
    if not hits:
        return sorted(p.name for p in (out / "figures").glob(f"{stem}*.png"))
    names = []
    for hit in hits:
        name = stem + hit.name.removeprefix("gallery_")
        shutil.copyfile(hit, out / "figures" / name)
        names.append(name)
    return names


def _split_stem(stem: str) -> tuple[str, str]:
    for protocol in ("normal_class", "anomaly_class"):
        if stem.endswith("_" + protocol):
            return stem[: -len(protocol) - 1], protocol
    raise PaperError(f"{stem}.csv: expected <dataset>_normal_class.csv or "
                     "<dataset>_anomaly_class.csv")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m gandi.paper", description=__doc__.splitlines()[0])
    p.add_argument("--results", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--log-dir", default="log_dir", help="where the runs' folders are (figures)")
    p.add_argument("--out", default=str(ROOT / "paper"))
    p.add_argument("--published", default=str(benchmark.PUBLISHED))
    args = p.parse_args(argv)
    out = Path(args.out)
    try:
        text = build(Path(args.results), Path(args.log_dir), out, Path(args.published))
    except (PaperError, OSError) as err:
        print(f"gandi.paper: error: {err}", file=sys.stderr)
        return 2
    write_atomic(out / "README.md", text)
    print(f"wrote {out / 'README.md'} and {len(list((out / 'figures').glob('*.png')))} figure(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
