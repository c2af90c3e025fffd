"""The final results of a run, a new value computed from the Tracker's state at the end: the
sweet spot on the whole test set, one row per detector with its label-free threshold (the final
table), the checkpoint ensemble, and the anomaly maps of the rows that have one. Nothing here
writes to the detector or to the state: what training measured stays as it was measured."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gandi.tracking.metrics import MetricError, detection_metrics, roc_auc
from gandi.outputs.map_pictures import MAP_SCALE_IMAGES, map_scale
from gandi.tracking.thresholds import mc_threshold, validation_threshold
from gandi.tracking.checkpoint_ensemble import score_checkpoint_ensemble


@dataclass(frozen=True)
class FinalResults:
    sweet_spot: dict | None      # as tracked, its test AUC on the whole test set
    sweet_scores: dict | None    # its validation, whole-test and generated scores
    table: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per detector
    scores: dict = field(default_factory=dict)  # {table row: {"validation", "test"} scores}
    threshold: float | None = None     # the tracked detector's at the sweet spot, and
    mc_threshold: float | None = None  # its Monte-Carlo one: the detector's threshold_'s
    ensemble: dict | None = None       # the checkpoint ensemble: members, threshold, scores
    maps: dict = field(default_factory=dict)  # {table row: (map name, maps(x), colour scale)}
    skipped: str | None = None   # why the table is empty although it was asked for


def final_results(state, detector, data, percentile: float, step: int, table: bool,
                  costly: bool, progress: bool, log) -> FinalResults:
    """The run's final results at `step`; with `table`, the final table (and `costly`: with the
    detector's costly scorers, on the final networks). A metric that cannot be computed (NaN
    scores, a one-class test set) leaves the table empty and says why in `skipped`."""
    sweet_spot, sweet_scores = whole_test_set_at_sweet_spot(state, detector, data)
    if not table:
        return FinalResults(sweet_spot, sweet_scores)
    rows, scores, thresholds, ensemble = [], {}, (None, None), None
    try:
        if sweet_spot is not None:
            s = sweet_scores
            thresholds = (validation_threshold(s["validation"], percentile),
                          None if s["generated"] is None else mc_threshold(s["generated"],
                                                                            percentile))
            named = [(detector.tracked_name, "validation_normals", thresholds[0])]
            if thresholds[1] is not None:
                named.append(("mc_threshold", "generated_samples", thresholds[1]))
            for name, source, threshold in named:
                rows.append(final_row(name, sweet_spot["step"], data.test_y, s["test"],
                                      threshold, f"{source}_p{percentile:g}", tracked=True))
                scores[name] = s
        if len(state.ensemble_weights) > 1:
            ensemble = score_checkpoint_ensemble(state.ensemble_weights, sweet_spot["step"],
                                                 sweet_scores, detector, data, percentile, log)
        if ensemble is not None:
            name = f"{detector.tracked_name} checkpoint ensemble"
            rows.append(final_row(name, sweet_spot["step"], data.test_y,
                                  ensemble["scores"]["test"], ensemble["threshold"],
                                  f"validation_normals_p{percentile:g}", tracked=False))
            scores[name] = ensemble["scores"]
        for name, score in (detector.final_scorers() if costly else {}).items():
            s = {"validation": score(data.validation, progress=progress),
                 "test": score(data.test_x, progress=progress)}
            rows.append(final_row(name, step, data.test_y, s["test"],  # on the final networks
                                  validation_threshold(s["validation"], percentile),
                                  f"validation_normals_p{percentile:g}", tracked=False))
            scores[name] = s
        maps = map_makers(detector, data, state.sweet_weights, costly)
    except MetricError as err:  # the ensemble, when scored, is reported all the same
        return FinalResults(sweet_spot, sweet_scores, ensemble=ensemble, skipped=str(err))
    return FinalResults(sweet_spot, sweet_scores, pd.DataFrame(rows), scores, *thresholds,
                        ensemble, maps)


def final_row(detector: str, step: int, test_y, test_scores, threshold: float, source: str,
              tracked: bool) -> dict:
    """A detector's row of the final table: its test metrics at its label-free threshold,
    where the threshold comes from, and whether it is the detector tracked over training."""
    return {"detector": detector, "step": step,
            **detection_metrics(test_y, test_scores, threshold),
            "threshold_source": source, "tracked": tracked}


def whole_test_set_at_sweet_spot(state, detector, data) -> tuple[dict | None, dict | None]:
    """(sweet spot, its scores) on the whole test set and all validation normals. The curve
    scored samples of both (`track_test_limit`, `track_validation_limit`), and a neighbour score
    may have compared with a sample of its bank (`track_bank_limit`: then every score, the
    generated samples' too, is made again against the whole bank, and the spot says how many
    rows the curve took); the final table, its thresholds, plots and the sweet spot's reported
    AUC take them all, scored with the sweet spot's networks (the same numbers as scoring them
    at that step)."""
    spot, scores = state.sweet_spot, state.sweet_scores
    if state.sweet_weights is None:
        return spot, scores
    bank_rows = detector.tracked_bank_rows()
    again = {}  # what the sweet spot's networks score again: all of it, the whole bank
    if bank_rows:
        spot, scores = {**spot, "curve_bank_rows": bank_rows}, {**scores, "generated": None}
        if state.sweet_generated is not None:
            again["generated"] = state.sweet_generated
    if bank_rows or len(scores["validation"]) != len(data.validation):
        again["validation"] = data.validation
    if bank_rows or len(scores["test"]) != len(data.test_x):
        again["test"] = data.test_x
    if not again:
        return spot, scores
    scores = {**scores, **detector.scores_with(state.sweet_weights, again)}
    if "test" not in again:
        return spot, scores
    try:
        auc = roc_auc(data.test_y, scores["test"])
    except MetricError:
        auc = np.nan
    return {**spot, "test_auc": float(auc)}, scores


def map_makers(detector, data, sweet_weights, costly: bool) -> dict:
    """{final table row: (map name, maps(x), colour scale)} for the rows whose detector has
    an anomaly map, on images: the tracked detector with its sweet spot's networks, and the
    final scorers' maps (when they ran). The scale is chosen on validation normals."""
    if data.test_x.ndim != 4:
        return {}
    out = {}
    if detector.map_name and sweet_weights is not None:
        out[detector.tracked_name] = (detector.map_name,
                                      lambda x: detector.map_with(sweet_weights, x))
    if costly:
        out.update(detector.final_maps())
    reference = data.validation[:MAP_SCALE_IMAGES]
    return {name: (map_name, maps, map_scale(maps(reference)))
            for name, (map_name, maps) in out.items()}
