"""gandi's efficiency on this machine, with the machine named: its train step beside a plain
Keras step on the same networks, FLOPs per training image and the share of the FP32 peak, the
share of a run that tracking takes, and the grids' recorded minutes.

    .venv/bin/python benchmarks/efficiency.py [--setting 10] [--steps 30] [--rounds 5]
        [--run-rounds 2] [--no-runs] [--tracking-settings N ... | all] [--grid-class C]
        [--layers]

Targets (issue 14): gandi / plain >= 1.0; tracking <= 15% of a run at the shipped cadence.
Steps are timed in turn, `--rounds` times, and the medians compared: on a shared 2-core machine a
single timing drifts by 10-20%. The run timings (`--run-rounds` pairs of whole runs of the
setting, about a minute each on 2 cores) come after an untimed warm-up run. The measuring is
`gandi.studies.efficiency`; the machine's description is `gandi.training.machine`. The figures are also written to
`benchmarks/results/efficiency.json`, which `python -m gandi.paper` turns into the paper's
efficiency section (with what the same step would do on a GPU).
"""
import argparse
import json
import re
from pathlib import Path

import bench_env  # noqa: F401  (sys.path, data folder, quiet TensorFlow)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import tensorflow as tf  # noqa: E402

import run_params  # noqa: E402
from gandi.studies import efficiency, speed  # noqa: E402
from gandi.training import machine  # noqa: E402
from gandi.training.precision import BF16_FLAGS, bfloat16_blocked  # noqa: E402
from gandi.data import load_splits  # noqa: E402
from gandi.experiment import resolve_steps  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def grid_times(dataset: str, cls: int, detectors: list, executor: str,
               quick: bool = False) -> dict:
    """One class's benchmark cells (seed 0), `gandi.benchmark`'s own command in a temporary
    folder: `here`, one after another in this process with every CPU to each cell; `local`, its
    pool, one fresh process and one CPU a cell, as many at once as CPUs. On 2 cores small networks
    may gain less from a second thread than from a second cell: measured, not assumed. The
    class's wall time, the cells at once (`jobs`), each cell's wall and CPU seconds (comparable
    when something else ran beside a cell). `quick`: the benchmark's smoke sizes."""
    import tempfile
    import time

    from gandi.studies.benchmark.__main__ import main as benchmark
    from gandi.sweep.executors import default_jobs
    jobs = default_jobs(None, 1) if executor == "local" else 1
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        status = benchmark(["--dataset", dataset, "--protocol", "normal_class", "--detectors",
                            *detectors, "--classes", str(cls), "--seeds", "1", "--no-speed",
                            "--executor", executor, "--out", tmp, "--log-dir", tmp]
                           + (["--jobs", str(jobs), "--cpus-per-trial", "1"]
                              if executor == "local" else []) + (["--quick"] if quick else []))
        wall = time.perf_counter() - start
        if status:
            raise SystemExit(f"efficiency: the grid's cells failed ({executor}, status {status})")
        rows = pd.read_csv(Path(tmp) / f"{dataset}_normal_class.csv").set_index("detector")
    return {"jobs": jobs, "wall_seconds": round(wall, 1),
            "seconds": {d: float(rows.loc[d, "seconds"]) for d in detectors},
            "cpu_seconds": {d: float(rows.loc[d, "cpu_seconds"]) for d in detectors}}


def tracking_settings(args, parser) -> list[int]:
    """The settings whose tracking share is measured: --tracking-settings' numbers, 'all' (each
    detector's first MNIST setting, as the one-class grid runs them), or --setting."""
    if not args.tracking_settings:
        return [args.setting]
    if args.tracking_settings == ["all"]:
        from gandi.settings.shipped import dataset_settings
        return [number for number, _ in dataset_settings("mnist").values()]
    numbers = [int(n) for n in args.tracking_settings if n.isdigit()]
    unknown = [n for n in args.tracking_settings if not n.isdigit() or int(n) not in
               run_params.SETTINGS]
    if unknown:  # before anything is measured: argparse's one line, exit status 2
        parser.error(f"--tracking-settings: {' '.join(unknown)}: not a setting number; expected "
                     f"numbers of run_params' settings or 'all'")
    return numbers


def grid_minutes() -> list[str]:
    """Minutes per dataset and seed of the one-class grids, as recorded in benchmarks/results."""
    lines = []
    for path in sorted(RESULTS.glob("*_normal_class.csv")):
        cells = pd.read_csv(path)
        if "seconds" not in cells:
            continue
        for seed, group in cells.groupby("seed"):
            # CPU time, where kept, is comparable between cells run alone and beside other work
            cpu = (group["cpu_seconds"].dropna() if "cpu_seconds" in group
                   else pd.Series(dtype=float))
            lines.append(f"  {path.stem}, seed {seed}: {group['seconds'].sum() / 60:.1f} min "
                         f"over {len(group)} cells" + (
                             f", {cpu.sum() / 60:.1f} CPU min over the {len(cpu)} with CPU time"
                             if len(cpu) else "") + f" (recorded in {path.name})")
    return lines


def layer_table(detector, batch, images_per_second: float, peak) -> list[dict]:
    """Print and return each layer's rate alone (gandi.studies.efficiency.layer_rates) for the
    step's generator and discriminator, beside the whole step's time per batch."""
    import tensorflow as tf
    z = tf.random.normal((int(batch.shape[0]), detector.latent_dim), seed=0)
    rows = ([{"network": "generator", **r} for r in efficiency.layer_rates(detector.generator, z)]
            + [{"network": "discriminator", **r}
               for r in efficiency.layer_rates(detector.discriminator, batch)])
    step_ms = 1e3 * int(batch.shape[0]) / images_per_second
    print(f"\neach layer alone, forward and backward on batch {int(batch.shape[0])} (the whole "
          f"step: {step_ms:.1f} ms per batch):")
    print(f"  {'network':13s} {'layer':24s} {'kind':20s} {'output':10s} {'MFLOP/img':>9s} "
          f"{'ms/batch':>8s} {'GFLOP/s':>8s} {'of peak':>7s}")
    for r in rows:
        gflops = r["mflop_per_image"] * int(batch.shape[0]) / r["ms_per_batch"]  # MFLOP/ms
        r["gflops"] = gflops
        print(f"  {r['network']:13s} {r['layer'][:24]:24s} {r['kind'][:20]:20s} "
              f"{r['output']:10s} {r['mflop_per_image']:9.2f} {r['ms_per_batch']:8.2f} "
              f"{gflops:8.1f} " + (f"{100 * gflops / peak:6.0f}%" if peak else ""))
    heavy, heavy_ms, light = efficiency.layer_split(rows)
    flops = sum(r["mflop_per_image"] for r in heavy) * int(batch.shape[0])
    print(f"  convolutions and matrix products ({len(heavy)} layers of >= "
          f"{efficiency.HEAVY_MFLOP} MFLOP per image): {heavy_ms:.1f} ms, "
          f"{flops / heavy_ms:.0f} GFLOP/s; the other "
          f"{len(rows) - len(heavy)} layers (normalisation, activations, dropout, reshapes, "
          f"small products): {light:.1f} ms with next to no FLOPs (one forward and backward of "
          f"each network alone; the step also runs D twice)", flush=True)
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--setting", type=int, default=10, help="a discriminator setting (default 10)")
    p.add_argument("--steps", type=int, default=30, help="timed train steps per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--run-rounds", type=int, default=2, help="pairs of whole runs timed")
    p.add_argument("--no-runs", action="store_true", help="skip the tracking share")
    p.add_argument("--layers", action="store_true",
                   help="also time each layer of the step's networks alone, forward and "
                        "backward (op by op: which reach the peak)")
    p.add_argument("--tracking-settings", nargs="+", default=None, metavar="N",
                   help="settings whose tracking share is measured (default: --setting); "
                        "'all': each detector's first MNIST setting (about an hour on 2 cores)")
    p.add_argument("--grid-class", type=int, default=None, metavar="C",
                   help="also time one class's one-class MNIST cells, every detector, one after "
                        "another and through the local pool (about 20 minutes on 2 cores), "
                        "and estimate the grid's minutes from them")
    args = p.parse_args()
    measured_runs = [] if args.no_runs else tracking_settings(args, p)
    m = machine.describe()
    print("machine:", machine.describe_text(m), flush=True)

    setting = speed.validated(args.setting, run_params.SETTINGS[args.setting])
    detector, data = speed.build(setting)
    setting = resolve_steps(setting, len(data.train), args.setting)  # epochs -> steps
    batch = tf.constant(data.train[:detector.batch_per_step].astype(np.float32))
    # the same detector in mixed bfloat16 (issue 32 item 2): on a CPU without bfloat16
    # arithmetic TensorFlow emulates it, which the line printed below says
    steps = {"gandi": detector.train_step,
             "plain": efficiency.plain_keras_step(setting, data.sample_shape),
             "plain_xla": efficiency.plain_keras_step(setting, data.sample_shape, True)}
    if setting.get("g_fake") == "reused":  # one generator forward less than the plain step:
        # the same detector with fresh batches does the plain step's work, like for like
        fresh = speed.build({**setting, "g_fake": "fresh"}, data)[0]
        steps["gandi_fresh"] = fresh.train_step
    blocked = bfloat16_blocked()  # e.g. oneDNN capped at AVX2 on an AVX-512 CPU: it would abort
    if not blocked:
        steps["gandi_bf16"] = speed.build({**setting, "precision": "mixed_bfloat16"},
                                          data)[0].train_step
    rates = efficiency.side_by_side(steps, batch, args.steps, args.rounds)
    median = {name: float(np.median(r)) for name, r in rates.items()}
    print(f"\ntrain step, setting {args.setting} ({setting['name']}), batch "
          f"{detector.batch_per_step}, gandi's step {'with' if detector.xla else 'without'} XLA "
          f"(jit_compile {setting['jit_compile']!r}: as a long run chooses it here); "
          f"{args.rounds} rounds of {args.steps} steps, median images/s:")
    for name, r in rates.items():
        print(f"  {name:10s} {median[name]:7.1f}   (rounds: {', '.join(f'{x:.0f}' for x in r)})")
    print(f"  gandi / plain Keras step (tf.function):      {median['gandi'] / median['plain']:.2f}")
    print(f"  gandi / plain Keras step (tf.function, XLA): "
          f"{median['gandi'] / median['plain_xla']:.2f}")
    faster = max(median["plain"], median["plain_xla"])
    print(f"  gandi / the faster plain step:               {median['gandi'] / faster:.2f}"
          f" (target >= 1.0)")
    if "gandi_fresh" in median:
        print(f"  gandi with fresh batches (g_fake fresh: the plain step's work) / the faster "
              f"plain step: {median['gandi_fresh'] / faster:.2f}")
    has_bf16 = any(flag in m["flags"] for flag in BF16_FLAGS)
    print(f"  gandi in mixed bfloat16: not timed: {blocked}" if blocked else
          f"  gandi in mixed bfloat16 / in float32:        "
          f"{median['gandi_bf16'] / median['gandi']:.2f} (this CPU "
          + ("has bfloat16 arithmetic" if has_bf16 else
             f"has no bfloat16 arithmetic ({', '.join(BF16_FLAGS)}): emulated") + ")")

    flops = efficiency.flops_per_image(detector._train_step, batch)
    achieved = flops * median["gandi"] / 1e9
    peak = m["peak_gflops"]
    share = f", {100 * achieved / peak:.0f}% of the FP32 peak {peak:.0f} GFLOP/s" if peak else ""
    print(f"\nFLOPs per training image (TensorFlow profiler): {flops / 1e6:.1f} MFLOP; gandi "
          f"reaches {achieved:.1f} GFLOP/s{share}", flush=True)
    fresh_figures = {}
    if "gandi_fresh" in median:  # the reused batch saves FLOPs; the share of the peak of
        # the plain step's work is the like-for-like figure
        fresh_flops = efficiency.flops_per_image(fresh._train_step, batch)
        fresh_achieved = fresh_flops * median["gandi_fresh"] / 1e9
        fresh_figures = {"fresh_mflop_per_image": fresh_flops / 1e6,
                         "fresh_gflops": fresh_achieved}
        print(f"  with fresh batches: {fresh_flops / 1e6:.1f} MFLOP per image, "
              f"{fresh_achieved:.1f} GFLOP/s"
              + (f", {100 * fresh_achieved / peak:.0f}% of the peak" if peak else ""), flush=True)

    ceiling = efficiency.matmul_gflops()
    print(f"one 2048 x 2048 float32 matrix product (oneDNN's best case): {ceiling:.1f} GFLOP/s, "
          f"{100 * ceiling / peak:.0f}% of the peak; the step reaches "
          f"{100 * achieved / ceiling:.0f}% of it" if peak else
          f"one 2048 x 2048 float32 matrix product: {ceiling:.1f} GFLOP/s", flush=True)

    layers = layer_table(detector, batch, median["gandi"], peak) if args.layers else None
    loop = efficiency.loop_seconds_per_step(data, detector.batch_per_step)
    print(f"\nhost time that stays on the CPU on any device:\n  training loop per step (batch, "
          f"loss check, Tracker call; progress bar off): {1e3 * loop:.2f} ms", flush=True)
    curve = min(setting["track_test_limit"] or len(data.test_y), len(data.test_y))
    host_eval = efficiency.host_seconds_per_evaluation(len(data.validation), curve,
                                                       setting["n_generated"])
    print(f"  a tracked step's metrics and TensorBoard histograms ({len(data.validation)} "
          f"validation, {curve} test, {setting['n_generated']} generated scores): "
          f"{1e3 * host_eval:.1f} ms", flush=True)
    measured = {"machine": {**m, "text": machine.describe_text(m)}, "setting": args.setting,
                "batch": detector.batch_per_step, "images_per_second": median,
                "gandi_xla": detector.xla,
                "mflop_per_image": flops / 1e6, "gflops": achieved, "matmul_gflops": ceiling,
                **fresh_figures,
                "loop_ms_per_step": 1e3 * loop, "host_ms_per_evaluation": 1e3 * host_eval,
                "track_every": setting["track_every"],
                "tracking": {}}
    if layers:
        measured["layers"] = layers
    for number in measured_runs:
        shipped = speed.validated(number, run_params.SETTINGS[number])
        n_train = (len(data.train) if number == args.setting else
                   len(load_splits(shipped, np.random.default_rng(shipped["numpy_seed"])).train))
        shipped = resolve_steps(shipped, n_train, number)  # epochs -> steps
        seconds = efficiency.tracking_share(number, shipped, args.run_rounds)
        print(f"\ntracking, setting {number} ({shipped['detector']}) as shipped "
              f"({shipped['steps']} steps, tracked every {shipped['track_every']}), whole runs "
              f"in turn after a warm-up run:")
        print(f"  tracked as shipped:        {', '.join(f'{s:.1f}' for s in seconds['tracked'])} s")
        print(f"  first and last step only:  {', '.join(f'{s:.1f}' for s in seconds['ends_only'])} s")
        print(f"  tracking share of the run: {100 * seconds['share']:.0f}% (fastest of each; "
              f"target <= 15%); the runs' own record of their tracked steps: "
              f"{', '.join(f'{100 * s:.0f}%' for s in seconds['in_run'])}", flush=True)
        measured["tracking"][str(number)] = {
            "detector": shipped["detector"], "steps": shipped["steps"],
            "track_every": shipped["track_every"], **seconds}

    if args.grid_class is not None:
        print(f"\none-class MNIST grid: class {args.grid_class}'s cells, seed 0, as "
              f"gandi.benchmark runs them, one after another in this process (every CPU to "
              f"each cell):", flush=True)
        from gandi.studies.benchmark.image_cells import detector_settings
        detectors = list(detector_settings("mnist", ["all"]))
        turn = grid_times("mnist", args.grid_class, detectors, "here")
        cells, cpu = turn["seconds"], turn["cpu_seconds"]
        total = sum(cells.values())
        print(f"  one class: {total / 60:.1f} min ({sum(cpu.values()) / 60:.1f} CPU min); the grid "
              f"({len(cells)} detectors x 10 classes, one seed) ~ {10 * total / 60:.0f} min (the "
              f"speed issue's target: <= 60 on a 2-core machine of the AMD Zen 3 class)")
        print(f"\nthe same cells through the local pool (`gandi.benchmark --executor local`, one "
              f"CPU a cell):", flush=True)
        pool = grid_times("mnist", args.grid_class, detectors, "local")
        print(f"  {pool['jobs']} cells at once: the class in {pool['wall_seconds'] / 60:.1f} min "
              f"({sum(pool['cpu_seconds'].values()) / 60:.1f} CPU min); the grid ~ "
              f"{10 * pool['wall_seconds'] / 60:.0f} min; the pool / in turn: "
              f"{total / pool['wall_seconds']:.2f}x as fast")
        measured["grid"] = {"dataset": "mnist", "class": args.grid_class, "seconds": cells,
                            "cpu_seconds": cpu, "pool": pool}
    print("\ngrids (one-class benchmark, one seed, as recorded by the machine that ran them):")
    print("\n".join(grid_minutes()) or "  no recorded grid")
    write_measured(RESULTS / "efficiency.json", measured)


def write_measured(path: Path, measured: dict):
    """The figures for the paper (`gandi.paper`'s efficiency section), with the machine. A part
    not measured this time (the tracking share, the grid's class) keeps its earlier figures only
    when they were measured on the same CPU: from this machine's own copy, else from `path`
    (the latest machine's, which may be another's)."""
    from gandi.outputs.run_folder import atomic_write_bytes
    # every machine's figures stay beside the latest (the issue asks for each machine's)
    machine_copy = path.with_name(f"{path.stem}.{machine_slug(measured['machine'])}.json")
    own = machine_copy if machine_copy.is_file() else path
    earlier = json.loads(own.read_text()) if own.is_file() else {}
    if earlier.get("machine", {}).get("text") == measured["machine"]["text"]:
        measured["tracking"] = {**earlier.get("tracking", {}), **measured["tracking"]}
        measured.setdefault("grid", earlier.get("grid"))
    text = (json.dumps(measured, indent=1) + "\n").encode()
    atomic_write_bytes(path, text)
    atomic_write_bytes(machine_copy, text)
    print(f"\nwrote {path} and {machine_copy.name}")


def machine_slug(m: dict) -> str:
    """'amd_epyc_family_25_model_1': the CPU and its family/model, as a file name part."""
    return re.sub(r"[^a-z0-9]+", "_", f"{m['cpu']} {m['family_model']}".lower()).strip("_")


if __name__ == "__main__":
    main()
