"""A finished run's detector at its label-free sweet spot, ready to score new data.

What a run leaves behind: `setting.json` (the complete setting), `sweet_spot_<network>.keras`
(each network the detector's score uses, at the sweet spot), `sweet_spot_thresholds.json` (the
thresholds chosen in training for those networks: the detector's `threshold_`, the
`threshold_percentile` of the validation normals' scores at the sweet spot, and its
`mc_threshold_`) and, for tables, `tabular_transform.json`.

The exported models alone do not make a score: EGBAD's feature matching, the VAE's fixed draws,
the AAE's latent term live in the detector's code. So the detector is rebuilt from the setting
and the exported weights are loaded into its scoring networks and the thresholds onto it; its
own `score` then gives the very numbers the Tracker computed at the sweet spot, and its
`predict` flags those above `threshold_`. Supported: every detector whose tracked
score uses only its exported networks — discriminator, egbad, ganomaly, autoencoder, vae, aae.
Not AnoGAN: its score is a latent search (500 Adam steps per image by default) on the *final*
generator and discriminator, which are not exported, from start points drawn per call, so a
score would depend on which images share a batch.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass

from gandi.data.errors import DataError
from gandi.data.tabular_transform import TabularTransform
from gandi.outputs.run_folder import RunFolders

NOT_SUPPORTED = {
    "anogan": "its score is a latent search (anogan_iterations Adam steps per image) on the "
              "final generator and discriminator, which are not exported, from start points "
              "drawn per call",
}


class RunError(ValueError):
    """A run that cannot score; the message is the one line the user sees."""


@dataclass
class ExportedDetector:
    run: RunFolders
    setting: dict
    detector: object                      # a Detector: sweet-spot weights, threshold_ set
    step: int                             # the sweet spot
    transform: TabularTransform | None    # tables: the fitted feature transform
    map_scale: float | None = None        # the colour scale of its anomaly maps, if saved

    @property
    def name(self) -> str:
        return self.setting["detector"]

    @property
    def is_table(self) -> bool:
        return self.transform is not None

    def score(self, x):
        return self.detector.score(x)


def _finished_run(spec: str, log_dir) -> RunFolders:
    try:
        run = RunFolders.find(spec, log_dir, option="RUN")
    except LookupError as err:
        raise RunError(str(err)) from None
    status = (json.loads(run.status_file.read_text()).get("status")
              if run.status_file.is_file() else "unknown (no status.json)")
    if status != "finished":
        hint = {"running": "wait for it to finish",
                "interrupted": f"resume it: python -m gandi.playground --resume {run.signature}"
                }.get(status, "train it again")
        raise RunError(f"run {run.signature} is {status}, not finished: only a finished run has "
                       f"the final threshold chosen in training ({hint})")
    return run


def _thresholds(run: RunFolders, tracked: str) -> dict:
    """The thresholds chosen in training and the sweet spot's step: {step, threshold,
    mc_threshold}, saved beside the exported networks."""
    if run.thresholds_file.is_file():
        try:
            return run.read_thresholds()
        except (OSError, ValueError) as err:
            raise RunError(f"run {run.signature}: unreadable {run.thresholds_file} "
                           f"({type(err).__name__}: {err})") from None
    # A run from before the thresholds were saved beside its networks, or whose final metrics
    # were skipped (then its final table has no threshold either, and the error says why).
    return _final_table_thresholds(run, tracked)


def _final_table_thresholds(run: RunFolders, tracked: str) -> dict:
    """The same from the run's final table (the tracked detector's and mc_threshold's rows)."""
    from gandi.outputs.results import load_results
    if not run.results_file.is_file():
        raise RunError(f"run {run.signature}: no results file {run.results_file}")
    results = load_results(run.results_file)
    final = results.get("final")
    rows = final[final["detector"] == tracked] if final is not None and len(final) else []
    if not len(rows):
        raise RunError(f"run {run.signature}: its final table has no {tracked!r} row with a "
                       f"threshold (final metrics were skipped; see {run.log_file})")
    mc = final.loc[final["detector"] == "mc_threshold", "threshold"]
    return {"step": int(rows["step"].iloc[0]), "threshold": float(rows["threshold"].iloc[0]),
            "mc_threshold": float(mc.iloc[0]) if len(mc) else None, "map_scale": None}


def _sample_shape(setting: dict, transform) -> tuple:
    if transform is not None:
        return (len(transform.features),)
    return (setting["image_size"], setting["image_size"], setting["channels"])


class CheckpointEnsemble:
    """The run's checkpoint ensemble as one detector: its members (the detector rebuilt with
    each kept step's networks) scored, each on its validation scale, averaged
    (`gandi.tracking.selection.combine`); `threshold_` is the one chosen in training."""
    def __init__(self, steps, members, scales, threshold):
        self.steps, self.members, self.scales, self.threshold_ = steps, members, scales, threshold

    def score(self, x):
        from gandi.tracking.selection import combine
        return combine([m.score(x) for m in self.members], self.scales)

    def is_anomaly(self, scores):
        import numpy as np
        return (np.asarray(scores) > self.threshold_).astype(np.int64)


def load_exported(spec: str, log_dir="log_dir", ensemble: bool = False) -> ExportedDetector:
    """The run `spec` (a signature under log_dir, or a path of one of its folders) rebuilt at its
    sweet spot, or as its checkpoint ensemble; a RunError with one line when it cannot score."""
    from gandi.detectors import DETECTORS
    from gandi.settings.keys import DEFAULTS
    run = _finished_run(spec, log_dir)
    _, saved = run.read_setting()
    setting = {**DEFAULTS, **saved}  # a run from before a key existed has its default
    name = setting["detector"]
    if name in NOT_SUPPORTED:
        raise RunError(f"run {run.signature}: gandi.score does not score detector {name!r} "
                       f"({NOT_SUPPORTED[name]}); it scores "
                       + ", ".join(d for d in DETECTORS if d not in NOT_SUPPORTED))
    if setting["dataset"] == "distribution":
        raise RunError(f"run {run.signature} trained on a SciPy distribution; gandi.score scores "
                       f"runs on tables and images")
    detector_class = DETECTORS[name]
    missing = [network for network in detector_class.scoring_networks_for(setting)
               if not run.sweet_spot_model(network).is_file()]
    if missing:
        raise RunError(f"run {run.signature}: no exported detector (missing "
                       f"{run.sweet_spot_model(missing[0])})")
    fitted = _thresholds(run, detector_class.tracked_name)
    transform = None
    if setting["dataset"] == "table":
        try:
            transform = TabularTransform.from_dict(json.loads(run.transform_file.read_text()))
        except (OSError, ValueError, KeyError, TypeError, DataError) as err:
            raise RunError(f"run {run.signature}: no usable feature transform "
                           f"{run.transform_file} ({type(err).__name__}: {err})") from None
    shape = _sample_shape(setting, transform)
    if ensemble:
        return ExportedDetector(run, setting, _ensemble(run, setting, detector_class, shape),
                                fitted["step"], transform)
    detector = rebuild_detector(run, setting, detector_class, shape)
    detector.threshold_, detector.mc_threshold_ = fitted["threshold"], fitted["mc_threshold"]
    return ExportedDetector(run, setting, detector, fitted["step"], transform,
                            fitted.get("map_scale"))


def _ensemble(run: RunFolders, setting: dict, detector_class, sample_shape):
    if not run.ensemble_file.is_file():
        raise RunError(f"run {run.signature} has no checkpoint ensemble ({run.ensemble_file} "
                       f"is missing: its setting's checkpoint_ensemble is 1, fewer than two "
                       f"tracked steps had finite scores, or the run predates ensembles)")
    try:
        saved = json.loads(run.ensemble_file.read_text())
        members = [(m["step"], (float(m["mean"]), float(m["std"]))) for m in saved["members"]]
        threshold = float(saved["threshold"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise RunError(f"run {run.signature}: unreadable {run.ensemble_file} "
                       f"({type(err).__name__}: {err})") from None
    detectors = [rebuild_detector(run, setting, detector_class, sample_shape,
                          lambda network, step=step: run.ensemble_model(step, network))
                 for step, _ in members]
    return CheckpointEnsemble([step for step, _ in members], detectors,
                              [scale for _, scale in members], threshold)


def rebuild_detector(run: RunFolders, setting: dict, detector_class, sample_shape,
                     model_path=None):
    """The detector built from its setting, its scoring networks given the exported weights
    (the sweet spot's, or those `model_path(network)` names)."""
    import keras
    from gandi.training.device import compute_device
    with compute_device():
        detector = detector_class(setting, sample_shape)
        for network in detector.scoring_networks:
            path = (model_path or run.sweet_spot_model)(network)
            try:
                weights = keras.models.load_model(path, compile=False).get_weights()
                detector.networks[network].set_weights(weights)
            except (OSError, ValueError, zipfile.BadZipFile) as err:
                raise RunError(f"{path}: cannot load it into the run's {network} "
                               f"({type(err).__name__}: {' '.join(str(err).split())[:300]})"
                               ) from None
    return detector
