"""The machine a speed figure was measured on: CPU model, cores, vector flags, clock, the FP32 peak
they imply, and the TensorFlow/Keras/oneDNN versions. A speed without its machine cannot be
compared (one 2-core CPU trains the same step 5x faster than another)."""
from __future__ import annotations

import os
import platform
import re
from pathlib import Path

# vector flags that decide what a core can do per cycle, in the order they matter
FLAGS = ("avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16")


def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


def _field(text: str, name: str) -> str | None:
    found = re.search(rf"^{name}\s*:\s*(.*)$", text, re.MULTILINE)
    return found.group(1).strip() if found else None


def cpu_flags() -> set:
    """Every flag /proc/cpuinfo gives the CPU (empty where there is none)."""
    return set((_field(_cpuinfo(), "flags") or "").split())


def _max_mhz() -> float | None:
    """The highest clock the kernel reports (cpufreq), else /proc/cpuinfo's current one."""
    path = Path("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
    try:
        return int(path.read_text()) / 1000
    except (OSError, ValueError):
        mhz = _field(_cpuinfo(), "cpu MHz")
        return float(mhz) if mhz else None


def fp32_flops_per_cycle(flags: set) -> int:
    """Per core, assuming two FMA pipes (Zen 2-4, Skylake and later): 2 pipes x lanes x 2."""
    if "avx512f" in flags:
        return 64
    if {"avx2", "fma"} <= flags:
        return 32
    if "avx" in flags:
        return 16
    return 8


def describe() -> dict:
    """{'cpu', 'family_model', 'cores', 'flags', 'mhz', 'flops_per_cycle', 'peak_gflops', 'tf',
    'keras', 'onednn'}: what a speed figure is printed beside."""
    import keras
    import tensorflow as tf
    info = _cpuinfo()
    flags = cpu_flags()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mhz = _max_mhz()
    per_cycle = fp32_flops_per_cycle(flags)
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    return {
        "cpu": _field(info, "model name") or platform.processor() or "unknown",
        "family_model": f"family {_field(info, 'cpu family')}, model {_field(info, 'model')}",
        "cores": cores,
        "flags": [f for f in FLAGS if f in flags],
        "mhz": mhz,
        "flops_per_cycle": per_cycle,
        "peak_gflops": None if mhz is None else cores * mhz / 1000 * per_cycle,
        "tf": tf.__version__,
        "keras": keras.__version__,
        "onednn": ("on (TensorFlow's default on x86-64 Linux)" if onednn is None
                   else f"TF_ENABLE_ONEDNN_OPTS={onednn}"),
    }


def describe_text(m: dict) -> str:
    """One line, e.g. `AMD EPYC (family 25, model 1), 2 cores, avx avx2 fma, 2450 MHz: FP32
    peak 157 GFLOP/s (32 FLOP/cycle/core); TensorFlow 2.21.0, Keras 3.x, oneDNN on`."""
    mhz = "clock unknown" if m["mhz"] is None else f"{m['mhz']:.0f} MHz"
    peak = ("peak unknown" if m["peak_gflops"] is None
            else f"FP32 peak {m['peak_gflops']:.0f} GFLOP/s ({m['flops_per_cycle']} FLOP/cycle/core)")
    return (f"{m['cpu']} ({m['family_model']}), {m['cores']} cores, "
            f"{' '.join(m['flags']) or 'no AVX'}, {mhz}: {peak}; TensorFlow {m['tf']}, "
            f"Keras {m['keras']}, oneDNN {m['onednn']}")


# On an AVX-512 CPU TensorFlow hands bfloat16 convolutions to oneDNN; with oneDNN capped below
# AVX512_CORE (ONEDNN_MAX_CPU_ISA=AVX2, as when emulating an AVX2 machine) it has no bfloat16
# kernel and the step aborts ("could not create a primitive descriptor for the convolution"):
# measured on an Intel Xeon with AVX512_BF16 and AMX; AVX512_CORE and above run. Without AVX-512
# TensorFlow computes bfloat16 outside oneDNN (emulated), whatever the cap.
ISA_CAPS_WITHOUT_BF16 = ("SSE41", "AVX", "AVX2", "AVX2_VNNI")


def bfloat16_blocked(flags=None) -> str | None:
    """Why mixed bfloat16 cannot run in this process (None when it can)."""
    isa = os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper()
    if isa not in ISA_CAPS_WITHOUT_BF16 or os.environ.get("TF_ENABLE_ONEDNN_OPTS") == "0":
        return None
    if flags is None:
        flags = cpu_flags()
    if "avx512f" not in flags:
        return None
    return (f"ONEDNN_MAX_CPU_ISA={isa} caps oneDNN below AVX512_CORE on this AVX-512 CPU, where "
            "TensorFlow's bfloat16 convolutions then fail; unset it, set "
            "TF_ENABLE_ONEDNN_OPTS=0, or use precision float32")
