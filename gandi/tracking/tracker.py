"""The Tracker: called every training step, it decides when to test and when to save.

Every `track_every` steps it scores the discriminator as an anomaly detector (test AUC, AP, and
F1/precision/recall at a threshold chosen from normal validation data only), measures the
generator's goodness of fit, and updates the sweet spot: the step whose discriminator is best on
a LABEL-FREE criterion. The best test AUC (which needs test labels) is only reported beside it.

What is measured is `gandi.tracking.evaluation.tracked_row`'s (pure: scores in, a row out); the sweet-spot
rule and its criteria are `gandi.tracking.selection`'s; what it is measured against is drawn once
(`references`). The Tracker keeps what training measured (`state`) and saves it with each TF
checkpoint; the end of a run (`finish`) computes the final results from it as a new value.
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from gandi.tracking.evaluation import tracked_row
from gandi.tracking.metrics import MetricError, goodness_of_fit
from gandi.outputs.checkpoints import Checkpoints
from gandi.outputs.results import results_dict, write_results
from gandi.outputs.tensorboard import RunBoard
from gandi.tracking.selection import early_stop, sweet_spot_summary, takes_the_sweet_spot
from gandi.training.loop import Diverged
from gandi.tracking import finish
from gandi.tracking.checkpoint_ensemble import kept_weights
from gandi.tracking.caveats import run_warnings
from gandi.tracking.orientation import oriented
from gandi.tracking.references import draw_references
from gandi.tracking.state import TrackerState, load_state, prune_states, save_state

GENERATED_SEED = 12345  # fixed latent draws: snapshots at different steps are comparable
GRID_IMAGES = 64


class Tracker:
    def __init__(self, setting: dict, setting_id, detector, data, run, log: logging.Logger):
        self.setting, self.setting_id = setting, setting_id
        self.detector, self.data, self.run, self.log = detector, data, run, log
        self.track_every = setting["track_every"]
        self.checkpoint_every = setting["checkpoint_every"]
        self.percentile = setting["threshold_percentile"]
        self.criterion = setting["sweet_spot_criterion"]
        self.ensemble_size = setting["checkpoint_ensemble"]
        self.references = draw_references(setting, data)
        self.state = TrackerState()
        self.restarts: list[dict] = []  # automatic restarts after a divergence, this process's
        self.stopped_early: dict | None = None  # set when stop_patience ends training
        self.checkpoints = Checkpoints(run.checkpoints, detector.checkpoint_objects(),
                                       setting["max_checkpoints"])
        self.board = RunBoard(run.tensorboard)

    # -- called by the training loop ------------------------------------------------------
    def on_step(self, step: int, losses: dict) -> dict | None:
        """Record a step's losses; test on tracking steps (returns the new row) and save."""
        self.state.pending_losses.append(losses)
        row = None
        if step % self.track_every == 0 or step == self.setting["steps"]:
            row = self.evaluate(step)
        if step % self.checkpoint_every == 0:
            self.save(step)
        if row is not None:
            self.heartbeat(step)
        return row

    def heartbeat(self, step: int):
        """status.json while the run lives: this process, the step, the newest checkpoint and
        the sweet spot so far (what `gandi.report --runs` lists, and how it tells a killed run)."""
        self.run.write_status("running", step=step, last_checkpoint=self.run.last_checkpoint(),
                              sweet_spot=sweet_spot_summary(self.state.sweet_spot))

    def stalled(self) -> bool:
        """Whether training stops after this tracked step (`stop_patience`; kept, logged)."""
        self.stopped_early = early_stop(self.state.rows, self.references.tie_tolerance,
                                        self.setting["stop_patience"], self.setting["steps"])
        if self.stopped_early:
            self.log.info("step %(step)d: the label-free criterion gained nothing for %(patience)d"
                          " tracked steps: training stops (budget %(budget)d)", self.stopped_early)
        return self.stopped_early is not None

    def evaluate(self, step: int) -> dict:
        """Test at `step` (the row it measured); its time counts as tracking's."""
        with self.state.tracking_time():
            return self._evaluate(step)

    def _evaluate(self, step: int) -> dict:
        row = {"step": step, **self._mean_losses()}
        d, refs = self.detector, self.references
        generated = d.generate(self.setting["n_generated"], seed=GENERATED_SEED)
        samples = {"validation": refs.validation, "test": refs.curve_x,
                   "generated": generated, "uniform": refs.uniform, "corrupted": refs.corrupted}
        with d.fixed_weights():  # no network changes between these scores
            scores = {k: None if x is None else d.score(x) for k, x in samples.items()}
        scores, measured = oriented(d, self.criterion, scores, lambda s: self._row_of(step, s))
        row.update(measured)
        val, test, gen = scores["validation"], scores["test"], scores["generated"]
        if generated is not None:
            if not np.all(np.isfinite(generated)):
                self.log.warning("step %d: generated samples are not finite; fit metrics skipped",
                                 step)
            elif self.data.normal is not None:  # a known true distribution to test the fit
                row.update(goodness_of_fit(generated, self.data.validation, self.data.normal))
            if step in refs.snapshot_steps:  # all samples for 1-D/2-D plots, a grid of images
                self.state.snapshots[step] = (generated if generated.ndim == 2
                                              else generated[:GRID_IMAGES])
        row["criterion"] = row.get(f"{self.criterion}_auc", np.nan)
        self.state.rows.append(row)
        self._update_sweet_spot(step, row, val, test, gen, generated)
        self.board.tracked_step(step, row, refs.curve_y, val, test, gen, generated, d,
                                refs.validation)
        self.log.info("step %d: %s", step, ", ".join(
            f"{k}={v:.4g}" for k, v in row.items() if k != "step" and np.isfinite(v)))
        return row

    def _row_of(self, step: int, scores: dict) -> dict:
        try:
            return tracked_row(self.references.curve_y, scores["validation"], scores["test"],
                               scores["uniform"], self.percentile, scores["corrupted"],
                               scores["generated"])
        except MetricError as err:
            self.log.warning("step %d: detector metrics skipped: %s", step, err)
            return {}

    def _mean_losses(self) -> dict:
        pending, self.state.pending_losses = self.state.pending_losses, []
        if not pending:
            return {name: np.nan for name in self.detector.loss_names}
        return {k: float(np.mean([float(p[k]) for p in pending])) for k in pending[0]}

    def _update_sweet_spot(self, step, row, val_scores, test_scores, gen_scores, generated):
        s, tolerance = self.state, self.references.tie_tolerance
        if takes_the_sweet_spot(s.criteria, tolerance):
            s.sweet_spot = {"step": step, "criterion": self.criterion,
                            "criterion_value": float(row["criterion"]),
                            "test_auc": float(row.get("d_auc", np.nan)),
                            **{k: row[k] for k in ("direction",) if k in row}}
            s.sweet_weights = self.detector.scoring_weights()
            s.sweet_scores = {"validation": val_scores, "test": test_scores,
                              "generated": gen_scores}
            # scored against a sample of the bank: the final results score them against all
            s.sweet_generated = generated if self.detector.tracked_bank_rows() else None
        if self.ensemble_size > 1:
            s.ensemble_weights = kept_weights(
                s.ensemble_weights, s.rows, step, self.ensemble_size, tolerance,
                lambda: (s.sweet_weights if s.sweet_spot and s.sweet_spot["step"] == step
                         else self.detector.scoring_weights()))

    # -- checkpoints: networks, optimisers and noise (TF), and the Tracker's state ------------
    def save(self, step: int):
        """A resumable point: the Tracker's state first, then the TF checkpoint naming it, then
        the results so far (a kill at any moment leaves the previous complete set)."""
        if not self.detector.weights_are_finite():
            raise Diverged(f"diverged before step {step}: a weight is NaN or infinite")
        save_state(self.run.checkpoints, step, self.state)
        self.checkpoints.save(step)
        prune_states(self.run.checkpoints, self.checkpoints.kept_steps())
        write_results(self.run.results_file, self.results("running", step))

    def restore(self) -> int | None:
        """Restore the latest checkpoint and the Tracker's state at it; return its step."""
        step = self.checkpoints.restore_latest()
        if step is not None:
            self.state = load_state(self.run.checkpoints, step)
        return step

    def has_checkpoint(self) -> bool:
        return self.checkpoints.latest_step() is not None

    def record_restart(self, error: str, step: int, learning_rates: dict) -> None:
        """A restart from the checkpoint at `step` after a divergence (`error`), reported in the
        results."""
        self.restarts.append({"diverged": error, "restarted_at": step,
                              "learning_rates": learning_rates})

    # -- the end of a run ----------------------------------------------------------------
    def finish(self, step: int, status: str, error: str | None = None,
               progress: bool = False) -> dict:
        """The end of the run (`gandi.tracking.finish`); returns the results dict."""
        return finish.finish(self, step, status, error, progress)

    def results(self, status, step, error=None, final=None, figures=None,
                galleries=None) -> dict:
        """The results pickle's content: the state so far, and the `final` results (a
        FinalResults) once the run has ended."""
        s = self.state
        return results_dict(
            signature=self.run.signature, setting_id=self.setting_id, setting=self.setting,
            status=status, error=error, last_step=step, measurements=s.measurements,
            final=pd.DataFrame() if final is None else final.table,
            sweet_spot=s.sweet_spot if final is None else final.sweet_spot,
            tie_tolerance=self.references.tie_tolerance,
            checkpoint_ensemble=None if final is None else final.ensemble,
            galleries=galleries or {},
            best_test_auc=s.best_test_auc(len(self.references.curve)),
            test_anomalies=self.data.test_anomalies, snapshots=s.snapshots,
            restarts=self.restarts, stopped_early=self.stopped_early, figures=figures or {},
            tracking_seconds=dict(s.tracking_seconds),
            warnings=run_warnings(self, status))
