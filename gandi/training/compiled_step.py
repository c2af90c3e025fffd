"""Whether a run's train step is XLA-compiled when its setting says `jit_compile: auto`.

XLA's CPU code is faster than TensorFlow's oneDNN kernels on some CPUs and slower on others
(the DCGAN step of setting 10: 1.2x faster on a 2-core AMD Zen 3 with AVX2, 0.6-0.7x on a Zen 4
with AVX-512), and its first step, the compile, costs 2-9 s more than the plain step's: on the
Zen 3 machine it pays back after 67-637 steps (`benchmarks/results/xla_payback.csv`). A choice
tuned on one CPU broke on another, so `auto` is decided on the machine, for the run:

- on vectors, plain: the small networks' steps take milliseconds either way;
- a run of fewer than MEASURE_FROM steps, plain, without measuring: the measurement itself costs
  an XLA compile, and a short run cannot win back much (at most ~20 s in 500 steps on the Zen 3);
- otherwise the detector's own step, on a batch of the run's data, timed both ways on
  throwaway copies (first call, then the fastest of ROUNDS rounds of STEPS steps, the two
  taking turns) and cached per machine (CPU model and flags, cores, TensorFlow, oneDNN's
  switches) and per step shape (detector, networks, batch) in `cache_dir()/compiled_step.json`;
  XLA when its step is faster and its longer first call pays back within the run's steps.

The setting keeps "auto" (its hash says what the method is, not what a machine chose); the
detector gets the resolved true/false, and the run log says which and why. `jit_compile: true`
or `false` in a setting forces either. Delete the cache file after changing hardware.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np

MEASURE_FROM = 500  # steps: a shorter run is plain, unmeasured (see the module docstring)
ROUNDS, STEPS = 3, 4  # the fastest of 3 rounds of 4 steps, in turn: a busy machine slows a round
CACHE_FILE = "compiled_step.json"
# what decides a step's cost on one machine: the data's shape, the batch, the networks, the
# losses' extra work; not learning rates, lengths, tracking or seeds
STEP_SHARED_KEYS = ("detector", "batch_size", "d_steps", "latent_dim", "g_arch", "g_params",
                    "d_arch", "d_params", "e_arch", "e_params", "jd_arch", "jd_params", "loss",
                    "gp_weight", "d_spectral_norm", "r1_weight", "d_ema", "optimizer",
                    "precision")
# oneDNN's switches change which kernels the plain step runs
ENVIRONMENT = ("TF_ENABLE_ONEDNN_OPTS", "ONEDNN_MAX_CPU_ISA", "TF_NUM_INTRAOP_THREADS",
               "TF_XLA_FLAGS")


def cache_dir() -> Path:
    """$GANDI_CACHE_DIR, else $XDG_CACHE_HOME/gandi, else ~/.cache/gandi."""
    if os.environ.get("GANDI_CACHE_DIR"):
        return Path(os.environ["GANDI_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "gandi"


def machine_key() -> str:
    """What makes one machine's timings another's: the CPU, its cores, TensorFlow, oneDNN."""
    from gandi.training.machine import describe
    m = describe()
    env = {name: os.environ.get(name) for name in ENVIRONMENT}
    return json.dumps([m["cpu"], m["family_model"], m["cores"], m["flags"], m["tf"], env])


def step_key(setting: dict, sample_shape: tuple) -> str:
    """The step's shape: the keys that decide its cost (every detector-specific key too)."""
    from gandi.settings.keys import DETECTOR_KEYS
    keys = [*STEP_SHARED_KEYS, *sorted(DETECTOR_KEYS)]
    shape = {"sample_shape": list(sample_shape), **{k: setting.get(k) for k in keys}}
    return json.dumps(shape, sort_keys=True, default=repr)


def entry_key(setting: dict, sample_shape: tuple) -> str:
    text = machine_key() + "\n" + step_key(setting, sample_shape)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def read_cache() -> dict:
    path = cache_dir() / CACHE_FILE
    try:
        cache = json.loads(path.read_text())
    except (OSError, ValueError):  # none yet, or unreadable: measured again, written anew
        return {}
    return cache if isinstance(cache, dict) else {}


def remember(key: str, measured: dict):
    """Add one measurement to the cache (atomically; two processes writing at once lose at
    most one entry, measured again next time)."""
    from gandi.outputs.run_folder import atomic_write_bytes
    path = cache_dir() / CACHE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    cache = read_cache()
    cache[key] = measured
    atomic_write_bytes(path, (json.dumps(cache, indent=1, sort_keys=True) + "\n").encode())


def timed_side_by_side(settings: dict, sample_shape: tuple, batch: np.ndarray,
                       rounds: int = ROUNDS, steps: int = STEPS) -> dict:
    """{name: timing} for a new detector of each of `settings` ({name: setting}, e.g. its
    jit_compile true and false): seconds of its first train step on `batch` (tracing and
    compiling) and ms per step, the fastest of `rounds` rounds of `steps` steps, each also in
    process CPU time (`first_cpu_s`, `cpu_ms_per_step`). The rounds take turns (a round of each,
    then the next), so a moment when the machine is busy slows a round of each rather than all
    of one: measured in one go, a busy second once made XLA look 1.3x faster than the plain
    step it was 0.86x of (Intel Xeon, oneDNN capped at AVX2). Builds networks: the caller
    re-seeds afterwards."""
    import tensorflow as tf
    from gandi.detectors import DETECTORS
    from gandi.training.device import compute_device
    with compute_device():
        runs, first = {}, {}
        for name, setting in settings.items():
            detector = DETECTORS[setting["detector"]](setting, sample_shape)
            x = tf.constant(np.asarray(batch[:detector.batch_per_step], np.float32))
            runs[name] = _timer(detector, x)
            first[name] = runs[name](1)
        timings = {name: [] for name in settings}
        for _ in range(rounds):
            for name, run in runs.items():
                timings[name].append(run(steps))
    fastest = {name: min(t, key=lambda wall_cpu: wall_cpu[0]) for name, t in timings.items()}
    return {name: {"first_s": round(first[name][0], 3),
                   "ms_per_step": round(1000 * fastest[name][0] / steps, 2),
                   "first_cpu_s": round(first[name][1], 3),
                   "cpu_ms_per_step": round(1000 * fastest[name][1] / steps, 2)}
            for name in settings}


def _timer(detector, batch):
    def run(n):  # (wall, CPU) seconds of n train steps
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            out = detector.train_step(batch)
        float(next(iter(out.values())))  # wait for the last step to finish
        return time.perf_counter() - started, time.process_time() - cpu
    return run


def payback_steps(measured: dict) -> float | None:
    """Steps after which XLA's faster step has paid for its longer first call; None if its
    step is not faster."""
    saved = measured["plain"]["ms_per_step"] - measured["xla"]["ms_per_step"]
    if saved <= 0:
        return None
    return max(0.0, 1000 * (measured["xla"]["first_s"] - measured["plain"]["first_s"]) / saved)


def measure(setting: dict, sample_shape: tuple, batch: np.ndarray) -> dict:
    """Both steps timed in turn, XLA built first (the plain step's first call then finds
    TensorFlow warm)."""
    return timed_side_by_side({"xla": {**setting, "jit_compile": True},
                               "plain": {**setting, "jit_compile": False}}, sample_shape, batch)


def choose(setting: dict, sample_shape: tuple, batch: np.ndarray) -> tuple[bool, str]:
    """(XLA or not, why) for a validated setting with its steps resolved; measures (and
    caches) the first time a long image run's step shape meets this machine."""
    if isinstance(setting["jit_compile"], bool):
        return setting["jit_compile"], "as the setting says"
    if len(sample_shape) < 2:
        return False, "auto: vectors (small networks) train plain"
    steps = setting["steps"]
    if steps < MEASURE_FROM:
        return False, (f"auto: a run of {steps} steps (< {MEASURE_FROM}) trains plain, unmeasured:"
                       " XLA's longer compile would take most of what it saves")
    key = entry_key(setting, sample_shape)
    measured = read_cache().get(key)
    source = "cached"
    if measured is None:
        measured = measure(setting, sample_shape, batch)
        remember(key, {**measured, "measured": time.strftime("%Y-%m-%d %H:%M:%S")})
        source = "measured now"
    payback = payback_steps(measured)
    xla, plain = measured["xla"], measured["plain"]
    numbers = (f"XLA {xla['ms_per_step']:.1f} ms/step after a {xla['first_s']:.1f} s first step, "
               f"plain {plain['ms_per_step']:.1f} ms/step after {plain['first_s']:.1f} s "
               f"({source} on this machine)")
    if payback is None:
        return False, f"auto: plain, its step is faster here: {numbers}"
    if payback >= steps:
        return False, (f"auto: plain, XLA would pay back its compile after {payback:.0f} steps, "
                       f"the run has {steps}: {numbers}")
    return True, f"auto: XLA, it pays back after {payback:.0f} of {steps} steps: {numbers}"


def with_step_chosen(setting: dict, train: np.ndarray, sample_shape: tuple, log=None) -> dict:
    """The setting with `jit_compile` true or false (a copy when "auto" was resolved); the
    reason goes to `log`. Re-seeds nothing: call it before the run's detector is seeded."""
    jit, why = choose(setting, tuple(sample_shape), train)
    if log is not None:
        log.info("jit_compile = %s (%s)", jit, why)
    return setting if setting["jit_compile"] is jit else {**setting, "jit_compile": jit}
