"""The paper's efficiency section, from `benchmarks/results/efficiency.json` (written by
`benchmarks/efficiency.py`): the train step beside a plain Keras step, FLOPs and the share of the
CPU's peak, the tracking share, the grid's minutes, all with the CPU named; then what the same
step would do on one GPU and what in gandi's loop would then be the bottleneck, computed from
those figures and one published-style GPU reference (below).
"""
from __future__ import annotations

import io
import json
from pathlib import Path

# One GPU for scale: a pure-PyTorch DCGAN with half of gandi's filters (32/64 instead of 64/128,
# about a quarter of the FLOPs per image of gandi's step with fresh batches, 203.2 MFLOP) on one
# H100, images/s by batch size (the figures the efficiency issue gave for scale; no GPU was
# available to measure gandi on).
GPU_REFERENCE = {"name": "one H100", "mflop_per_image": 203.2 / 4,
                 "images_per_second": {64: 10_500, 1024: 171_000}}


def _seconds_text(values) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def efficiency_section(number: int, path: Path) -> str:
    """The section's markdown, or "" when the benchmark has not been run."""
    if not path.is_file():
        return ""
    e = json.loads(path.read_text())
    m, rate = e["machine"], e["images_per_second"]
    text = io.StringIO()
    text.write(f"## {number}. Efficiency (`benchmarks/efficiency.py`)\n\n"
               f"Machine: {m['text']}.\n\n"
               f"**The train step** (setting {e['setting']}, DCGAN on MNIST, batch {e['batch']}, "
               "the same networks and optimisers; steps timed in turn, median of the rounds):\n\n"
               "| step | training images/s | gandi / it |\n| --- | --- | --- |\n")
    # before the choice was measured (files without "gandi_xla"), auto was XLA on images
    chosen = "XLA" if e.get("gandi_xla", True) else "plain"
    for name, label in (("gandi", f"gandi (`jit_compile: auto`: {chosen}, chosen here)"),
                        ("plain", "plain Keras `tf.function` step"),
                        ("plain_xla", "plain Keras step with XLA"),
                        ("gandi_fresh", "gandi with fresh batches (`g_fake: fresh`: the plain "
                                        "step's work; the shipped step reuses D's batch)")):
        if name not in rate:  # gandi_fresh: only where the shipped step reuses
            continue
        text.write(f"| {label} | {rate[name]:.0f} | {rate['gandi'] / rate[name]:.2f} |\n")
    peak = m.get("peak_gflops")
    share = f" = {100 * e['gflops'] / peak:.0f}% of the FP32 peak ({peak:.0f} GFLOP/s)" if peak else ""
    text.write(f"\n{e['mflop_per_image']:.1f} MFLOP per training image (TensorFlow's profiler: "
               f"convolutions and matrix products) at {rate['gandi']:.0f} images/s is "
               f"{e['gflops']:.1f} GFLOP/s{share}. ")
    if "matmul_gflops" in e:
        ceiling = e["matmul_gflops"]
        text.write(f"oneDNN's best case on this CPU, one 2048 x 2048 float32 matrix product, "
                   f"reaches {ceiling:.1f} GFLOP/s"
                   + (f" ({100 * ceiling / peak:.0f}% of the peak)" if peak else "")
                   + f"; the step reaches {100 * e['gflops'] / ceiling:.0f}% of that. ")
    xla = rate["gandi"] / rate["plain_xla"]
    text.write(f"The plain Keras step with XLA on the same networks reaches "
               f"{rate['plain_xla']:.0f} images/s (gandi / it {xla:.2f}): what is missing "
               "to the peak is in the networks' shapes, not in gandi's loop. ")
    text.write(_layers(e, peak) if e.get("layers") else (
        "Not measured op by op, the likely rest: work the profiler counts no FLOPs for "
        "(batch normalisation, activations, the optimisers' updates) and convolutions on "
        "7x7 and 14x14 maps, too small for oneDNN's blocking to reach its "
        "matrix-product rate.\n\n"))
    tracking = e.get("tracking") or {}
    if tracking:
        text.write("**Tracking** (each run as shipped, against the same run tracked only at its "
                   "first and last step; whole runs in turn, the fastest of each):\n\n"
                   "| setting | detector | steps, tracked every | tracked (s) | ends only (s) | "
                   "tracking share |\n| --- | --- | --- | --- | --- | --- |\n")
        for setting, t in tracking.items():
            text.write(f"| {setting} | {t['detector']} | {t['steps']}, {t['track_every']} | "
                       f"{_seconds_text(t['tracked'])} | {_seconds_text(t['ends_only'])} | "
                       f"{100 * t['share']:.0f}% |\n")
        text.write("\n")
    text.write(grid_tracking(path.parent))
    grid = e.get("grid")
    if grid:
        cells = grid["seconds"]
        total = sum(cells.values())
        text.write(f"**The one-class {grid['dataset'].upper()} grid**: class {grid['class']}'s "
                   "cells, seed 0, as `gandi.benchmark` runs them: "
                   + ", ".join(f"{d} {s:.0f} s" for d, s in cells.items())
                   + f"; {total / 60:.1f} min per class"
                   + (f" ({sum(grid['cpu_seconds'].values()) / 60:.1f} CPU min)"
                      if "cpu_seconds" in grid else "")  # files before it kept wall seconds only
                   + f", so about {10 * total / 60:.0f} min for {len(cells)} detectors x 10 "
                   "classes on this machine" + _pool(grid, total) + ".\n\n")
    text.write(_gpu(e))
    return text.getvalue()


def _pool(grid: dict, in_turn: float) -> str:
    """The same class through the benchmark's local pool (`efficiency.py --grid-class`'s second
    timing; files before it have none): "" or the clause that says it."""
    pool = grid.get("pool")
    if not pool:
        return ""
    return (f"; through the local pool (`gandi.benchmark --executor local`, {pool['jobs']} cells "
            f"at once, one CPU each) the class took {pool['wall_seconds'] / 60:.1f} min "
            f"({sum(pool['cpu_seconds'].values()) / 60:.1f} CPU min), "
            f"{in_turn / pool['wall_seconds']:.2f}x as fast: about "
            f"{10 * pool['wall_seconds'] / 60:.0f} min for the grid")


def grid_tracking(results: Path) -> str:
    """The share of each gandi cell's CPU time its tracked steps took, per image benchmark and
    detector, from the grids' rows that kept it (`tracking_cpu_seconds`); "" when none has."""
    import pandas as pd
    lines = []
    for path in sorted(results.glob("*_class.csv")):
        cells = pd.read_csv(path)
        if "tracking_cpu_seconds" not in cells:
            continue
        kept = cells[cells["tracking_cpu_seconds"].notna() & (cells["cpu_seconds"] > 0)]
        share = kept["tracking_cpu_seconds"] / kept["cpu_seconds"]
        for detector, s in share.groupby(kept["detector"]):
            lines.append(f"| {path.stem} | {detector} | {len(s)} | {100 * s.median():.0f}% | "
                         f"{100 * s.max():.0f}% |\n")
    if not lines:
        return ""
    return ("**Tracking in the grids' cells** (each run's own record of its tracked steps' CPU "
            "time, over its whole CPU time; target <= 15%):\n\n"
            "| benchmark | detector | cells | median share | largest |\n"
            "| --- | --- | --- | --- | --- |\n" + "".join(lines) + "\n")


def _layers(e: dict, peak) -> str:
    """Op by op (`--layers`): each layer of the step's networks alone, forward and backward."""
    from gandi.studies.efficiency import HEAVY_MFLOP, layer_split
    rows = e["layers"]
    heavy, heavy_ms, light_ms = layer_split(rows)
    out = ("Op by op (`--layers`: each layer alone, forward and backward on one batch, its input "
           "the previous layer's output; FLOPs by the same profiler):\n\n"
           "| network | layer | output | MFLOP per image | ms per batch | GFLOP/s |\n"
           "| --- | --- | --- | --- | --- | --- |\n")
    for r in rows:
        out += (f"| {r['network']} | {r['kind']} | {r['output'] or '-'} | "
                f"{r['mflop_per_image']:.2f} | {r['ms_per_batch']:.2f} | {r['gflops']:.1f} |\n")
    out += (f"\nThe {len(heavy)} convolutions and matrix products of at least {HEAVY_MFLOP:g} "
            f"MFLOP per image "
            f"take {heavy_ms:.1f} ms per batch; the other {len(rows) - len(heavy)} layers "
            f"(batch normalisation, activations, dropout, reshapes, the one-unit output) take "
            f"{light_ms:.1f} ms with next to no FLOPs: that, not the convolutions, keeps the "
            f"step from the peak.")
    fastest = max(r["gflops"] for r in rows)
    if peak and max(fastest, e.get("matmul_gflops", 0)) > peak:
        out += (f" Rates above the peak ({fastest:.0f} GFLOP/s for one layer) say the peak, "
                f"computed from the nominal clock, is below what this CPU sustains: its "
                f"percentages are upper bounds, not shares of a known peak.")
    return out + "\n\n"


def _gpu(e: dict) -> str:
    """What the step would do on one GPU, and what in gandi's loop would then set the pace."""
    ref, batch = GPU_REFERENCE, e["batch"]
    small, large = ref["images_per_second"][64], ref["images_per_second"][1024]
    fraction = ref["mflop_per_image"] / e["mflop_per_image"]
    ours_large = large * fraction  # compute-bound: images/s scale with 1 / FLOPs
    step_ms = 1e3 * 64 / small  # latency-bound at batch 64: kernel launches, not FLOPs
    lines = [f"**On a GPU** (not measured: arithmetic from a reference). A pure-PyTorch DCGAN of "
             f"about {ref['mflop_per_image']:.1f} MFLOP per image reaches {small:,} images/s at "
             f"batch 64 and {large:,} at batch 1024 on {ref['name']}. At batch 1024 the GPU is "
             f"compute-bound, so gandi's step, with {1 / fraction:.1f}x the FLOPs, would reach "
             f"about {large:,} x {ref['mflop_per_image']:.1f} / {e['mflop_per_image']:.1f} = "
             f"{ours_large:,.0f} images/s, "
             f"{ours_large / e['images_per_second']['gandi']:.0f}x this CPU. At batch {batch} "
             f"the step is bound by kernel launches, not FLOPs: about {step_ms:.1f} ms per step, "
             f"at most {small:,} images/s."]
    if "loop_ms_per_step" in e:
        loop = e["loop_ms_per_step"]
        lines.append(f"Then gandi's own loop sets the pace. Its host work per step, measured "
                     f"here, is {loop:.2f} ms (the next batch, the loss check, the Tracker's "
                     f"call): {100 * loop / step_ms:.0f}% of a {step_ms:.1f} ms GPU step, and "
                     f"it does not overlap the step, because the NaN check reads every loss "
                     f"back to the host (a device synchronisation per step).")
    if "host_ms_per_evaluation" in e:
        host = e["host_ms_per_evaluation"]
        every = e.get("track_every", 20)
        gpu_train = every * step_ms
        lines.append(f"Tracking would dominate: a tracked step's metrics and TensorBoard "
                     f"histograms take {host:.0f} ms on the host whatever computes the scores, "
                     f"against {gpu_train:.0f} ms of GPU training between two tracked steps "
                     f"(every {every} steps), i.e. {100 * host / (host + gpu_train):.0f}% of the "
                     f"run before any scoring, checkpoint or plot. On a GPU, track less often "
                     f"(`track_every`), check the losses every few steps, and compute the AUCs "
                     f"on the device.")
    return " ".join(lines) + "\n"
