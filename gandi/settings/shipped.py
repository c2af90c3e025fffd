"""The settings gandi ships besides run_params' numbered ones: each detector's first setting on a
dataset (what the benchmarks and gandi.Detector's image defaults take), and the one setting for
vectors (gandi.Detector's default on a table, and the tabular benchmark's)."""
from __future__ import annotations

STEPS = 2000
TRACKED_POINTS = 20
VECTOR_SETTING = {"steps": STEPS, "track_every": STEPS // TRACKED_POINTS,
                  "checkpoint_every": STEPS, "n_generated": 1000}
# one setting for every table, as a user without labelled anomalies would choose it: gandi's
# defaults (MLPs, latent 8, Adam 2e-4) with a training length that fits a 2-core benchmark; the
# same as gandi.Detector's defaults on vectors, so the benchmark measures what a user gets
TABLE_SETTING = {"dataset": "table", "label_column": "y_0", **VECTOR_SETTING}


def dataset_settings(dataset: str) -> dict:
    """{detector: (setting number, raw setting)}: each detector's first setting on `dataset` in
    `run_params`."""
    import run_params
    found = {}
    for number, raw in sorted(run_params.SETTINGS.items()):
        if raw.get("dataset") == dataset:
            found.setdefault(raw.get("detector", "discriminator"), (number, raw))
    return found
