"""The checkpoint ensemble: the scoring networks of the k best tracked steps (by the label-free
criterion), kept during training and, at the end, scored on the validation normals and the whole
test set, each member standardised on its own validation scores, then averaged
(`gandi.tracking.selection.ensemble_scores`)."""
from __future__ import annotations

import numpy as np

from gandi.tracking.selection import best_steps, ensemble_scores
from gandi.tracking.thresholds import validation_threshold


def kept_weights(kept: dict, rows: list[dict], step: int, size: int, tolerance: float,
                 weights_now) -> dict:
    """The weights to keep after tracking `step`: {step: scoring weights} of the `size` best
    tracked steps so far. The set only ever loses a step to a better newcomer (`best_steps`),
    so weights kept as they come suffice; `weights_now()` gives `step`'s when it joins."""
    keep = {rows[i]["step"] for i in best_steps([r["criterion"] for r in rows], size, tolerance)}
    if step in keep:
        kept = {**kept, step: weights_now()}
    return {s: w for s, w in kept.items() if s in keep}


def score_checkpoint_ensemble(kept: dict, sweet_step: int, sweet_scores: dict, detector, data,
                              percentile: float, log) -> dict | None:
    """{"members": [{step, mean, std}], "threshold", "scores": {validation, test, generated}}:
    the ensemble of the kept steps, its threshold the `percentile` of its validation scores.
    None when fewer than two members have finite scores."""
    members, steps = [], []
    for step in sorted(kept):
        if step == sweet_step and len(sweet_scores["test"]) == len(data.test_x):
            v, t = sweet_scores["validation"], sweet_scores["test"]  # these networks' already
        else:
            v, t = detector.scores_with(kept[step], {"validation": data.validation,
                                                     "test": data.test_x}).values()
        if not (np.all(np.isfinite(v)) and np.all(np.isfinite(t))):
            log.warning("checkpoint ensemble: step %d's scores are not finite; left out", step)
            continue
        members.append((v, t))
        steps.append(step)
    if len(members) < 2:
        return None
    validation, test, scales = ensemble_scores(members)
    return {"members": [{"step": step, "mean": mean, "std": std}
                        for step, (mean, std) in zip(steps, scales)],
            "threshold": float(validation_threshold(validation, percentile)),
            "scores": {"validation": validation, "test": test, "generated": None}}
