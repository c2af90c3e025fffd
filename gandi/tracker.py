"""The Tracker: called every training step, it decides when to test and when to save.

Every `track_every` steps it scores the discriminator as an anomaly detector (test AUC, AP, and
F1/precision/recall at a threshold chosen from normal validation data only), measures the
generator's goodness of fit, and updates the sweet spot: the step whose discriminator is best on
a LABEL-FREE criterion. The best test AUC (which needs test labels) is only reported beside it.

What is measured is `gandi.evaluation.tracked_row`'s (pure: scores in, a row out); the sweet-spot
rule and its criteria are `gandi.selection`'s. The Tracker wires them to the detector and the
run's outputs: checkpoints, TensorBoard, the results pickle, plots and the exported networks.
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import tensorflow as tf

from gandi.data.corruptions import corrupt
from gandi.data.distributions import data_box
from gandi.tracking.evaluation import curve_sample, tracked_row
from gandi.tracking.metrics import MetricError, detection_metrics, goodness_of_fit, roc_auc
from gandi.outputs import galleries, plots, tensorboard
from gandi.outputs.checkpoints import Checkpoints
from gandi.outputs.map_pictures import MAP_SCALE_IMAGES, map_scale
from gandi.outputs.reconstruction_plots import reconstruction_figures
from gandi.outputs.results import library_versions, load_results, write_results
from gandi.outputs.run_folder import atomic_save
from gandi.tracking.selection import (best_steps, ensemble_scores, takes_the_sweet_spot,
                                      tie_tolerance, training_warnings)
from gandi.tracking.thresholds import mc_threshold, validation_threshold
from gandi.training.loop import Diverged

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
        rng = np.random.default_rng(setting["numpy_seed"] + 1)
        low, high = data_box(data.train)  # per feature (per pixel for images)
        uniform = rng.uniform(low, high, size=data.validation.shape).astype(np.float32)
        # drawn in every run (the corrupted reference comes next from the same stream); scored
        # on images only as the criterion: noise is told from digits from the first steps on,
        # so its AUC sits at 1.0 and costs a fifth of each evaluation for nothing. On vectors
        # both references are scored (cheap there): each criterion's curve is in the results.
        images = data.validation.ndim > 2
        uses = {"val_vs_uniform": {"uniform"}, "val_vs_corrupted": {"corrupted"},
                "val_vs_synthetic": {"uniform", "corrupted"}}.get(self.criterion, set())
        self.uniform_reference = uniform if "uniform" in uses or not images else None
        self.corrupted_reference = (corrupt(data.validation, rng)
                                    if "corrupted" in uses or not images else None)
        self.tie_tolerance = tie_tolerance(len(data.validation))
        # the test samples of the curve (its own seed: the data and references stay as drawn)
        self.curve = curve_sample(data.test_y, setting["track_test_limit"],
                                  setting["numpy_seed"] + 2)
        self.curve_x, self.curve_y = data.test_x[self.curve], data.test_y[self.curve]
        self.rows: list[dict] = []
        self.snapshots: dict[int, np.ndarray] = {}
        tracked = sorted(set(range(0, setting["steps"] + 1, self.track_every)) | {setting["steps"]})
        picks = np.linspace(0, len(tracked) - 1, min(setting["snapshots"], len(tracked)))
        self.snapshot_steps = {tracked[i] for i in picks.round().astype(int)}
        self.sweet_spot: dict | None = None
        self.last_step = 0
        self.restarts: list[dict] = []  # automatic restarts after a divergence
        self._sweet_weights = None
        self.sweet_scores = None
        self.ensemble_size = setting["checkpoint_ensemble"]
        self._ensemble_weights: dict[int, dict] = {}  # step -> scoring weights, the k best
        self.ensemble: dict | None = None  # its members' steps and scales, once scored
        self.galleries: dict = {}  # final table row -> what its galleries show (at the end)
        self._pending_losses: list[dict] = []
        self.checkpoints = Checkpoints(run.checkpoints, detector.checkpoint_objects(),
                                       setting["max_checkpoints"])
        self.writer = tf.summary.create_file_writer(str(run.tensorboard))

    # -- called by the training loop ------------------------------------------------------
    def on_step(self, step: int, losses: dict) -> dict | None:
        """Record a step's losses; test on tracking steps (returns the new row) and save."""
        self._pending_losses.append(losses)
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
                              sweet_spot=self.sweet_spot_summary())

    def sweet_spot_summary(self) -> dict | None:
        if self.sweet_spot is None:
            return None
        return {"step": self.sweet_spot["step"], "test_auc": self.sweet_spot["test_auc"]}

    # -- checkpoints: networks, optimisers and noise (TF), and the Tracker's own history --------
    def save(self, step: int):
        """A resumable point: the Tracker's state first, then the TF checkpoint naming it, then
        the results so far (a kill at any moment leaves the previous complete set)."""
        if not self.detector.weights_are_finite():
            raise Diverged(f"diverged before step {step}: a weight is NaN or infinite")
        self.last_step = step
        state = {"rows": self.rows, "pending_losses": self._pending_float_losses(),
                 "sweet_spot": self.sweet_spot, "sweet_weights": self._sweet_weights,
                 "sweet_scores": self.sweet_scores, "snapshots": self.snapshots,
                 "ensemble_weights": self._ensemble_weights}
        write_results(self._state_file(step), state)
        self.checkpoints.save(step)
        kept = {int(p.rsplit("-", 1)[1]) for p in self.checkpoints.manager.checkpoints}
        for old in self.run.checkpoints.glob("tracker-*.pkl"):
            if int(old.stem.split("-")[1]) not in kept:
                old.unlink(missing_ok=True)
        write_results(self.run.results_file, self.results("running", step))

    def restore(self) -> int | None:
        """Restore the latest checkpoint and the Tracker's history at it; return its step."""
        step = self.checkpoints.restore_latest()
        if step is None:
            return None
        state = load_results(self._state_file(step))
        self.rows = state["rows"]
        self._pending_losses = state["pending_losses"]
        self.sweet_spot, self._sweet_weights = state["sweet_spot"], state["sweet_weights"]
        self.sweet_scores, self.snapshots = state["sweet_scores"], state["snapshots"]
        self._ensemble_weights = state.get("ensemble_weights", {})
        self.last_step = step
        return step

    def _state_file(self, step: int):
        return self.run.checkpoints / f"tracker-{step}.pkl"

    def _pending_float_losses(self) -> list[dict]:
        return [{k: float(v) for k, v in p.items()} for p in self._pending_losses]

    def evaluate(self, step: int) -> dict:
        row = {"step": step, **self._mean_losses()}
        d = self.detector
        val_scores = d.score(self.data.validation)
        test_scores = d.score(self.curve_x)
        generated = d.generate(self.setting["n_generated"], seed=GENERATED_SEED)
        gen_scores = None if generated is None else d.score(generated)
        uniform_scores = (None if self.uniform_reference is None
                          else d.score(self.uniform_reference))
        corrupted_scores = (None if self.corrupted_reference is None
                            else d.score(self.corrupted_reference))
        try:
            row.update(tracked_row(self.curve_y, val_scores, test_scores, uniform_scores,
                                   self.percentile, corrupted_scores, gen_scores))
        except MetricError as err:
            self.log.warning("step %d: detector metrics skipped: %s", step, err)
        if generated is not None:
            if not np.all(np.isfinite(generated)):
                self.log.warning("step %d: generated samples are not finite; fit metrics skipped",
                                 step)
            elif self.data.normal is not None:  # a known true distribution to test the fit
                row.update(goodness_of_fit(generated, self.data.validation, self.data.normal))
            if step in self.snapshot_steps:  # all samples for 1-D/2-D plots, a grid of images
                self.snapshots[step] = (generated if generated.ndim == 2
                                        else generated[:GRID_IMAGES])
        row["criterion"] = row.get(f"{self.criterion}_auc", np.nan)
        self.rows.append(row)
        self._update_sweet_spot(step, row, val_scores, test_scores, gen_scores)
        self._write_tensorboard(step, row, val_scores, test_scores, gen_scores, generated)
        self.log.info("step %d: %s", step, ", ".join(
            f"{k}={v:.4g}" for k, v in row.items() if k != "step" and np.isfinite(v)))
        return row

    # -- internals --------------------------------------------------------------------------
    def _mean_losses(self) -> dict:
        pending, self._pending_losses = self._pending_losses, []
        if not pending:
            return {name: np.nan for name in self.detector.loss_names}
        return {k: float(np.mean([float(p[k]) for p in pending])) for k in pending[0]}

    def _update_sweet_spot(self, step, row, val_scores, test_scores, gen_scores):
        if takes_the_sweet_spot([r["criterion"] for r in self.rows], self.tie_tolerance):
            self.sweet_spot = {"step": step, "criterion": self.criterion,
                               "criterion_value": float(row["criterion"]),
                               "test_auc": float(row.get("d_auc", np.nan))}
            self._sweet_weights = self.detector.scoring_weights()
            self.sweet_scores = {"validation": val_scores, "test": test_scores,
                                 "generated": gen_scores}
        if self.ensemble_size > 1:
            self._update_ensemble(step)

    def _update_ensemble(self, step):
        """Keep the scoring weights of the k best tracked steps so far. The set only ever loses
        a step to a better newcomer (`best_steps`), so weights kept as they come suffice."""
        keep = {self.rows[i]["step"] for i in best_steps(
            [r["criterion"] for r in self.rows], self.ensemble_size, self.tie_tolerance)}
        if step in keep:
            self._ensemble_weights[step] = (self._sweet_weights
                                            if self.sweet_spot and self.sweet_spot["step"] == step
                                            else self.detector.scoring_weights())
        self._ensemble_weights = {s: w for s, w in self._ensemble_weights.items() if s in keep}

    def _write_tensorboard(self, step, row, val_scores, test_scores, gen_scores, generated):
        write_tracked_step(self.writer, step, row, self.curve_y, val_scores, test_scores,
                           gen_scores)
        with self.writer.as_default(step=step):
            tensorboard.write_pr_curve("pr_curve/test", step, self.curve_y, test_scores)
            tensorboard.write_images(step, generated, self.detector, self.data.validation)
        self.writer.flush()

    def _write_hparams(self, step):
        """The run's row in TensorBoard's HParams dashboard: its setting and outcome."""
        sweet, best = self.sweet_spot or {}, self.best_test_auc()
        at_sweet = [r.get("d_auc", np.nan) for r in self.rows if r["step"] == sweet.get("step")]
        cost = (best["test_auc"] - at_sweet[0]) if best and at_sweet else None
        tensorboard.write_hparams(self.writer, self.run.signature, self.setting, step, {
            "hparams/sweet_spot_test_auc": sweet.get("test_auc"),
            "hparams/criterion": sweet.get("criterion_value"),
            "hparams/label_free_cost": cost})

    @property
    def measurements(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def best_test_auc(self) -> dict | None:
        """The oracle: chosen WITH test labels, so only ever reported, never used."""
        m = self.measurements
        if "d_auc" not in m or m["d_auc"].isna().all():
            return None
        best = m.loc[m["d_auc"].idxmax()]
        return {"step": int(best["step"]), "test_auc": float(best["d_auc"]),
                "uses_test_labels": True, "test_samples": len(self.curve)}

    def final_results(self, costly: bool = True, progress: bool = False):
        """One row per detector, each with its label-free threshold: the discriminator and the
        Monte-Carlo threshold at the sweet spot, then any costly scorer of the detector (on the
        final networks). Returns (table, {detector: {"validation": ..., "test": ...} scores}).
        Sets the detector's threshold_ and mc_threshold_: those of its sweet-spot networks."""
        rows, scores = [], {}
        if self.sweet_spot is not None:
            s, d = self.sweet_scores, self.detector
            d.threshold_ = validation_threshold(s["validation"], self.percentile)
            d.mc_threshold_ = (None if s["generated"] is None
                               else mc_threshold(s["generated"], self.percentile))
            thresholds = [(d.tracked_name, "validation_normals", d.threshold_)]
            if d.mc_threshold_ is not None:
                thresholds.append(("mc_threshold", "generated_samples", d.mc_threshold_))
            for detector, source, threshold in thresholds:
                rows.append({"detector": detector, "step": self.sweet_spot["step"],
                             **detection_metrics(self.data.test_y, s["test"], threshold),
                             "threshold_source": f"{source}_p{self.percentile:g}",
                             "tracked": True})
                scores[detector] = s
        s = self._score_checkpoint_ensemble() if len(self._ensemble_weights) > 1 else None
        if s is not None:
            threshold = validation_threshold(s["validation"], self.percentile)
            name = f"{self.detector.tracked_name} checkpoint ensemble"
            rows.append({"detector": name, "step": self.sweet_spot["step"],
                         **detection_metrics(self.data.test_y, s["test"], threshold),
                         "threshold_source": f"validation_normals_p{self.percentile:g}",
                         "tracked": False})
            scores[name] = s
            self.ensemble.update(threshold=float(threshold), scores=s)
        for detector, score in (self.detector.final_scorers() if costly else {}).items():
            s = {"validation": score(self.data.validation, progress=progress),
                 "test": score(self.data.test_x, progress=progress)}
            threshold = validation_threshold(s["validation"], self.percentile)
            rows.append({"detector": detector, "step": self.last_step,
                         **detection_metrics(self.data.test_y, s["test"], threshold),
                         "threshold_source": f"validation_normals_p{self.percentile:g}",
                         "tracked": False})  # scored once, on the final networks
            scores[detector] = s
        return pd.DataFrame(rows), scores

    def _score_checkpoint_ensemble(self) -> dict | None:
        """Validation and whole-test scores of the checkpoint ensemble: each kept step's
        networks score both, standardised on its validation scores, then averaged. None when
        fewer than two members have finite scores."""
        members, steps = [], []
        sweet = self.sweet_scores
        for step in sorted(self._ensemble_weights):
            if (step == self.sweet_spot["step"]
                    and len(sweet["test"]) == len(self.data.test_x)):
                v, t = sweet["validation"], sweet["test"]  # already scored with these networks
            else:
                weights = self._ensemble_weights[step]
                v = self.detector.score_with(weights, self.data.validation)
                t = self.detector.score_with(weights, self.data.test_x)
            if not (np.all(np.isfinite(v)) and np.all(np.isfinite(t))):
                self.log.warning("checkpoint ensemble: step %d's scores are not finite; left "
                                 "out", step)
                continue
            members.append((v, t))
            steps.append(step)
        if len(members) < 2:
            return None
        validation, test, scales = ensemble_scores(members)
        self.ensemble = {"members": [{"step": step, "mean": mean, "std": std}
                                     for step, (mean, std) in zip(steps, scales)]}
        return {"validation": validation, "test": test, "generated": None}

    # -- the end of a run ----------------------------------------------------------------
    def finish(self, step: int, status: str, error: str | None = None,
               progress: bool = False) -> dict:
        """Save the last checkpoint, the sweet-spot model, the plots and the results pickle.

        A diverged or failed run keeps its last good checkpoint: its networks are not saved."""
        self.last_step = step
        if status in ("finished", "interrupted") and step > 0:
            try:
                self.save(step)
            except Diverged as err:
                status, error = "diverged", str(err)
        if self._sweet_weights is not None:
            self._export_sweet_spot()
            self._score_whole_test_set_at_sweet_spot()
        final, final_scores, maps = pd.DataFrame(), {}, {}
        if status in ("finished", "interrupted", "diverged"):
            try:  # costly scorers only for a run that finished: after Ctrl-C the user wants out
                final, final_scores = self.final_results(status == "finished", progress)
                maps = self._map_makers(costly=status == "finished")
                if self.detector.threshold_ is not None:  # with the exported networks
                    tracked = maps.get(self.detector.tracked_name)
                    self.run.write_thresholds(self.sweet_spot["step"], self.detector.threshold_,
                                              self.detector.mc_threshold_,
                                              tracked[2] if tracked else None)
                if self.ensemble is not None:
                    self._export_checkpoint_ensemble()
            except MetricError as err:
                self.log.warning("final metrics skipped: %s", err)
        figures = plots.run_figures(self.measurements, self.sweet_spot, self.snapshots,
                                    self.data, self.detector.loss_names,
                                    self.detector.tracked_name, final, final_scores)
        if self.sweet_scores is not None:
            figures.update(reconstruction_figures(self.detector, self.data,
                                                  self.sweet_scores["test"]))
        try:  # closed whatever happens: pyplot keeps every open figure for the process's life
            figures.update(self._galleries(final, final_scores, maps))
            for name, fig in figures.items():
                plots.save_png(fig, self.run.plots / f"{name}.png")
            results = self.results(status, step, error, final, figures)
            write_results(self.run.results_file, results)
        finally:
            plots.close(figures)
        self._write_hparams(step)
        self.writer.close()
        return results

    def _map_makers(self, costly: bool) -> dict:
        """{final table row: (map name, maps(x), colour scale)} for the rows whose detector has
        an anomaly map, on images: the tracked detector with its sweet spot's networks, and the
        final scorers' maps (when they ran). The scale is chosen on validation normals."""
        d, out = self.detector, {}
        if self.data.test_x.ndim != 4:
            return out
        if d.map_name and self._sweet_weights is not None:
            out[d.tracked_name] = (d.map_name,
                                   lambda x: d.map_with(self._sweet_weights, x))
        if costly:
            out.update(d.final_maps())
        reference = self.data.validation[:MAP_SCALE_IMAGES]
        return {name: (map_name, maps, map_scale(maps(reference)))
                for name, (map_name, maps) in out.items()}

    def _galleries(self, final, final_scores: dict, maps: dict) -> dict:
        """A gallery figure per detector row of the final table (not the Monte-Carlo
        threshold's: the discriminator's scores), on images; the same pictures in TensorBoard
        at the sweet spot's step."""
        if self.data.test_x.ndim != 4 or not len(final):
            return {}
        figures, self.galleries = {}, {}
        rows = final.set_index("detector")
        for name, s in final_scores.items():
            if name == "mc_threshold":
                continue
            map_name, maps_of, scale = maps.get(name, (None, None, None))
            threshold, step = float(rows.loc[name, "threshold"]), int(rows.loc[name, "step"])
            pictures = galleries.gallery_pictures(self.data.test_x, s["test"], self.data.test_y,
                                                  threshold, maps_of, scale)
            figures[f"gallery_{name.replace(' ', '_')}"] = galleries.gallery_figure(
                pictures, s["test"], threshold, name, step, map_name, scale)
            self.galleries[name] = {"step": step, "threshold": threshold, "map_name": map_name,
                                    "map_scale": scale, "test_indices": {
                                        gallery: idx.tolist() for gallery, (idx, _) in
                                        pictures.items()}}
            tensorboard.write_galleries(self.writer, name, step, pictures, map_name)
        return figures

    def results(self, status, step, error=None, final=None, figures=None) -> dict:
        """The results pickle's content: plain data only."""
        return {
            "signature": self.run.signature,
            "setting_id": self.setting_id,
            "setting": self.setting,
            "status": status,
            "error": error,
            "last_step": step,
            "measurements": self.measurements,
            "final": pd.DataFrame() if final is None else final,
            "sweet_spot": self.sweet_spot,
            "tie_tolerance": self.tie_tolerance,  # the sweet-spot rule's, to replay it
            "checkpoint_ensemble": self.ensemble,  # members (step, scale), threshold, scores
            "galleries": self.galleries,  # per row: step, threshold, map, shown test indices
            "best_test_auc": self.best_test_auc(),
            # "synthetic": every test AUC above is against corrupted normals (normal-only data)
            "test_anomalies": self.data.test_anomalies,
            "snapshots": self.snapshots,
            "restarts": self.restarts,
            "figures": figures or {},
            "warnings": self.training_warnings(status),
            "seeds": {"numpy": self.setting["numpy_seed"], "tf": self.setting["tf_seed"]},
            "versions": library_versions(),
        }

    def training_warnings(self, status: str) -> list[str]:
        """Why a finished run may have trained too short (gandi.selection.training_warnings);
        a run that ended otherwise says so in its status already."""
        if status != "finished":
            return []
        return training_warnings([r["step"] for r in self.rows],
                                 [r["criterion"] for r in self.rows], self.tie_tolerance,
                                 self.criterion)

    def _score_whole_test_set_at_sweet_spot(self):
        """The curve scored a sample of the test set; the final table, its plots and the sweet
        spot's reported AUC take the whole test set, scored with the sweet spot's networks (the
        same numbers as scoring it at that step)."""
        if len(self.sweet_scores["test"]) == len(self.data.test_x):
            return
        test = self.detector.score_with(self._sweet_weights, self.data.test_x)
        self.sweet_scores = {**self.sweet_scores, "test": test}
        try:
            auc = roc_auc(self.data.test_y, test)
        except MetricError:
            auc = np.nan
        self.sweet_spot = {**self.sweet_spot, "test_auc": float(auc)}

    def _export_checkpoint_ensemble(self):
        """Each member's scoring networks as Keras files and how to combine them (steps, the
        validation scale of each, the threshold), so that `gandi score --ensemble` gives the
        ensemble's very scores."""
        for member in self.ensemble["members"]:
            step = member["step"]
            self._export_networks(self._ensemble_weights[step],
                                  lambda name: self.run.ensemble_model(step, name))
        self.run.write_ensemble({k: v for k, v in self.ensemble.items() if k != "scores"})

    def _export_sweet_spot(self):
        """Each scoring network at the sweet spot as a Keras model file."""
        self._export_networks(self._sweet_weights, self.run.sweet_spot_model)

    def _export_networks(self, weights: dict, path_of):
        """The scoring networks with `weights` ({network: weights}), each as the Keras model
        file `path_of(network)`."""
        import keras
        for name, w in weights.items():
            model = keras.models.clone_model(self.detector.networks[name])
            model.set_weights(w)
            atomic_save(path_of(name), model.save)


def write_tracked_step(writer, step: int, row: dict, test_y, val_scores, test_scores,
                       gen_scores):
    """A tracked step in TensorBoard: the row's finite values as scalars, the score histograms
    (validation normals, test normals, test anomalies, generated samples)."""
    with writer.as_default(step=step):
        for key, value in row.items():
            if key != "step" and np.isfinite(value):
                tf.summary.scalar(key, value)
        for name, scores in (("scores/validation_normal", val_scores),
                             ("scores/test_normal", test_scores[test_y == 0]),
                             ("scores/test_anomaly", test_scores[test_y == 1]),
                             ("scores/generated", gen_scores)):
            if scores is not None and np.all(np.isfinite(scores)):
                tf.summary.histogram(name, scores)
    writer.flush()
