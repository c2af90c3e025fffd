"""What a run's networks compute in when its setting says `precision: auto`.

`mixed_bfloat16` is Keras mixed precision: layers compute in bfloat16, variables stay float32, and
every network's outputs are cast back to float32 (gandi.nets.build), so losses, scores,
thresholds and everything the Tracker measures stay float32. It pays only on a CPU with bfloat16
arithmetic (AVX512_BF16, AMX_BF16); elsewhere TensorFlow emulates it: the DCGAN discriminator's
step was 6.5x slower in bfloat16 on a 2-core AMD Zen 3 with AVX2 (49.4 vs 323.6 ms). So `auto`:

- float32 on a CPU without bfloat16 arithmetic (not measured: emulation never wins), on vectors
  (small networks, milliseconds per step) and for runs under MEASURE_FROM steps;
- otherwise the detector's step timed in both precisions on throwaway copies (as
  gandi/training/compiled_step.py times XLA: first call, the fastest of its rounds), cached per
  machine and step shape; bfloat16 when its step is faster.

The setting keeps "auto"; the run log says what was chosen and why. What bfloat16 does to the
detectors' AUC: `benchmarks/variant_auc.py --key precision --values float32 mixed_bfloat16`,
benchmarks/results/precision_auc.md (measured on any CPU: emulated arithmetic rounds as the
hardware's does; its seconds are then not bfloat16's speed).
"""
from __future__ import annotations

import time

import numpy as np

from gandi.training.compiled_step import (MEASURE_FROM, entry_key, read_cache, remember,
                                          timed_side_by_side)
from gandi.training.machine import bfloat16_blocked

BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def choose(setting: dict, sample_shape: tuple, batch: np.ndarray, flags=None) -> tuple[str, str]:
    """(precision, why) for a validated setting with its steps and jit_compile resolved;
    `flags`: the CPU's (gandi.training.machine, read when None)."""
    if setting["precision"] != "auto":
        return setting["precision"], "as the setting says"
    if flags is None:
        from gandi.training.machine import cpu_flags
        flags = cpu_flags()
    if not any(f in flags for f in BF16_FLAGS):
        return "float32", ("auto: this CPU has no bfloat16 arithmetic (" + ", ".join(BF16_FLAGS)
                           + "): bfloat16 would be emulated, slower")
    blocked = bfloat16_blocked(flags)
    if blocked:
        return "float32", "auto: " + blocked
    if len(sample_shape) < 2:
        return "float32", "auto: vectors (small networks) train in float32"
    if setting["steps"] < MEASURE_FROM:
        return "float32", f"auto: a run of {setting['steps']} steps (< {MEASURE_FROM}), unmeasured"
    key = f"precision, jit_compile {setting['jit_compile']}, " + entry_key(setting, sample_shape)
    measured, source = read_cache().get(key), "cached"
    if measured is None:
        measured = timed_side_by_side({p: {**setting, "precision": p}
                                       for p in ("float32", "mixed_bfloat16")},
                                      sample_shape, batch)
        remember(key, {**measured, "measured": time.strftime("%Y-%m-%d %H:%M:%S")})
        source = "measured now"
    fp32, bf16 = measured["float32"]["ms_per_step"], measured["mixed_bfloat16"]["ms_per_step"]
    numbers = f"bfloat16 {bf16:.1f} ms/step, float32 {fp32:.1f} ({source} on this machine)"
    return ("mixed_bfloat16", f"auto: bfloat16, faster here: {numbers}") if bf16 < fp32 else (
        "float32", f"auto: float32, faster here: {numbers}")


def with_precision_chosen(setting: dict, train: np.ndarray, sample_shape: tuple,
                          log=None) -> dict:
    """The setting with `precision` resolved (a copy when "auto" was); the reason goes to
    `log`. Call it after jit_compile is resolved and before the run's detector is seeded."""
    precision, why = choose(setting, tuple(sample_shape), train)
    if log is not None:
        log.info("precision = %s (%s)", precision, why)
    return setting if setting["precision"] == precision else {**setting, "precision": precision}
