"""The Tracker's state: what training has measured and kept so far (the tracked rows, the sweet
spot and its networks' weights and scores, the snapshots, the checkpoint ensemble's weights), and
its file beside each TF checkpoint (checkpoints/<signature>/tracker-<step>.pkl), so that a
resumed run continues the curve where the checkpoint left it."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gandi.outputs.results import load_results, write_results
from gandi.outputs.run_rows import clock


@dataclass
class TrackerState:
    rows: list = field(default_factory=list)            # one dict per tracked step
    pending_losses: list = field(default_factory=list)  # the losses since the last tracked step
    sweet_spot: dict | None = None        # step, criterion, its value, the curve's test AUC
    sweet_weights: dict | None = None     # the sweet spot's scoring networks' weights
    sweet_scores: dict | None = None      # their validation, curve-test and generated scores
    sweet_generated: np.ndarray | None = None  # its generated samples, if tracked steps scored
    #                                            against a sample of the bank (track_bank_limit)
    snapshots: dict = field(default_factory=dict)         # step -> generated samples
    ensemble_weights: dict = field(default_factory=dict)  # step -> weights, the k best steps
    # wall and process-CPU seconds spent tracking (every tracked step's scores, rows, sweet spot
    # and TensorBoard), over the run's life: what tracking costs beside training
    tracking_seconds: dict = field(default_factory=lambda: {"seconds": 0.0, "cpu_seconds": 0.0})

    @contextlib.contextmanager
    def tracking_time(self):
        """Adds the wall and CPU seconds of the block to `tracking_seconds`."""
        started = clock()
        try:
            yield
        finally:
            wall, cpu = clock()
            self.tracking_seconds["seconds"] += wall - started[0]
            self.tracking_seconds["cpu_seconds"] += cpu - started[1]

    @property
    def measurements(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    @property
    def criteria(self) -> list[float]:
        return [r["criterion"] for r in self.rows]

    def best_test_auc(self, test_samples: int) -> dict | None:
        """The oracle: chosen WITH test labels, so only ever reported, never used."""
        m = self.measurements
        if "d_auc" not in m or m["d_auc"].isna().all():
            return None
        best = m.loc[m["d_auc"].idxmax()]
        return {"step": int(best["step"]), "test_auc": float(best["d_auc"]),
                "uses_test_labels": True, "test_samples": test_samples}


def state_file(folder: Path, step: int) -> Path:
    return Path(folder) / f"tracker-{step}.pkl"


def save_state(folder: Path, step: int, state: TrackerState) -> None:
    write_results(state_file(folder, step), {
        "rows": state.rows,
        "pending_losses": [{k: float(v) for k, v in p.items()} for p in state.pending_losses],
        "sweet_spot": state.sweet_spot, "sweet_weights": state.sweet_weights,
        "sweet_scores": state.sweet_scores, "sweet_generated": state.sweet_generated,
        "snapshots": state.snapshots,
        "ensemble_weights": state.ensemble_weights, "tracking_seconds": state.tracking_seconds})


def load_state(folder: Path, step: int) -> TrackerState:
    saved = load_results(state_file(folder, step))
    return TrackerState(rows=saved["rows"], pending_losses=saved["pending_losses"],
                        sweet_spot=saved["sweet_spot"], sweet_weights=saved["sweet_weights"],
                        sweet_scores=saved["sweet_scores"],
                        sweet_generated=saved.get("sweet_generated"),
                        snapshots=saved["snapshots"],
                        ensemble_weights=saved.get("ensemble_weights", {}),
                        tracking_seconds=saved.get("tracking_seconds",  # from before it was kept
                                                   {"seconds": np.nan, "cpu_seconds": np.nan}))


def prune_states(folder: Path, kept_steps: set[int]) -> None:
    """Delete the state files of checkpoints the CheckpointManager no longer keeps."""
    for old in Path(folder).glob("tracker-*.pkl"):
        if int(old.stem.split("-")[1]) not in kept_steps:
            old.unlink(missing_ok=True)
