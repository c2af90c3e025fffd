"""The image benchmark's speed section (`python -m gandi.benchmark --dataset mnist|fashion_mnist`
without --no-speed): training and scoring images/s of every benchmarked detector, AnoGAN's search
batched against one image at a time, compiled against eager steps, measured after the grid by
`gandi.studies.speed`, with the machine named."""
from __future__ import annotations

import io
import time
from pathlib import Path

import pandas as pd


def speed_section(md_path: Path) -> str:
    """The speed section of an earlier report (from its "## Speed" heading on), or ""."""
    if not md_path.is_file():
        return ""
    parts = md_path.read_text().split("\n## Speed", 1)
    return "\n## Speed" + parts[1] if len(parts) == 2 else ""


def shown(value: float) -> str:
    """A speed as the report prints it: whole from 100 on, else 3 significant digits."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def measure_speed(dataset: str, detectors: list, quick: bool, overrides: dict):
    """(rows as a DataFrame with gandi.studies.speed's COLUMNS, values rounded as shown; the sizes
    timed)."""
    from gandi.studies import speed
    sizes = speed.QUICK if quick else speed.FULL
    print(f"measuring speed ({'quick' if quick else 'full'} sizes)", flush=True)
    started = time.time()
    rows = speed.measure(dataset, detectors, sizes, overrides,
                         progress=lambda text: print(text, flush=True))
    table = pd.DataFrame(rows, columns=speed.COLUMNS)
    table["value"] = [float(shown(v)) for v in table["value"]]
    print(f"speed measured in {time.time() - started:.1f} s", flush=True)
    return table, sizes


def _machine() -> str:
    """The CPU named (model, cores, vector flags, clock, FP32 peak), GPUs and versions: a speed
    without its machine cannot be compared."""
    import tensorflow as tf

    from gandi.training.machine import describe, describe_text
    gpus = tf.config.list_physical_devices("GPU")
    return f"{describe_text(describe())}; {f'{len(gpus)} GPU(s)' if gpus else 'no GPU'}"


def speed_markdown(speed: pd.DataFrame, sizes, csv_name: str) -> str:
    """The report's speed section, from the rows of the speed CSV."""
    from gandi.studies.speed import sizes_text
    rows = {(w, d): (v, n) for w, d, v, n in zip(speed["what"], speed["detector"],
                                                 speed["value"], speed["note"])}
    detectors = list(dict.fromkeys(speed.loc[speed["what"] == "train", "detector"]))
    out = io.StringIO()
    out.write("\n## Speed (measured in this run)\n\n"
              f"Measured after the grid, on this machine ({_machine()}), with untrained networks "
              "(speed does not depend on the weights), each detector's setting as benchmarked; "
              f"all rows with what was timed: `{csv_name}`. Sizes: {sizes_text(sizes)}.\n\n"
              "| detector | train images/s | score images/s |\n| --- | --- | --- |\n")
    for d in detectors:
        out.write(f"| {d} | {shown(rows['train', d][0])} | {shown(rows['score', d][0])} |\n")
    if ("score", "anogan") in rows:
        out.write(f"\nAnoGAN's score: {rows['score', 'anogan'][1]}.\n")
    ms = {w: rows[f"anogan_{w}", "anogan"] for w in
          ("batched", "one_at_a_time", "reference_style")}
    up = {w: rows[f"anogan_speedup_{w}", "anogan"][0] for w in
          ("one_at_a_time", "reference_style")}
    out.write("\nAnoGAN latent search, batched vs one image at a time (same iterations, same "
              "start z):\n\n"
              f"- batched: {shown(ms['batched'][0])} ms/image ({ms['batched'][1]})\n"
              f"- one image at a time, the same compiled search: "
              f"{shown(ms['one_at_a_time'][0])} ms/image ({ms['one_at_a_time'][1]}); "
              f"batched is {shown(up['one_at_a_time'])}x faster per image\n"
              f"- one image at a time, reference style: {shown(ms['reference_style'][0])} "
              f"ms/image ({ms['reference_style'][1]}); batched is "
              f"{shown(up['reference_style'])}x faster per image\n"
              "\nCompiled (`tf.function`) vs eager train step, steps/s:\n\n")
    for d in detectors:
        compiled, eager = rows["train_compiled", d], rows["train_eager", d]
        out.write(f"- {d}: compiled {shown(compiled[0])}, eager {shown(eager[0])}: "
                  f"{shown(rows['compiled_speedup', d][0])}x ({compiled[1]}; eager "
                  f"{eager[1].rsplit(', ', 1)[-1]})\n")
    return out.getvalue()
