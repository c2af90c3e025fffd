"""The direction of a D-scored detector's score, chosen at each tracked step without labels.

A discriminator's score has no guaranteed direction (gandi.detectors.score_direction). At every
tracked step the detector's scores are measured as they are; when its label-free criterion says
that the synthetic references look *more* normal than the validation normals (the criterion's
AUC below 0.5), the detector's direction is turned round and the step is measured again on the
negated scores. The criterion, and so the sweet spot, then compare steps in their better
direction; the direction is part of the scoring networks kept at the sweet spot and exported.
"""
from __future__ import annotations

import numpy as np

from gandi.detectors.score_direction import sign_of, turn_round


def oriented(detector, criterion: str, scores: dict, row_of) -> tuple[dict, dict]:
    """(scores, row) of one tracked step in the direction the criterion prefers; `scores` maps
    a name to an array (or None), `row_of(scores)` measures them. The row of a D-scored
    detector says its direction (+1 as trained, -1 turned round)."""
    row = row_of(scores)
    if not detector.oriented:
        return scores, row
    direction = detector.networks["score_direction"]
    if row.get(f"{criterion}_auc", np.nan) < 0.5:
        turn_round(direction)
        scores = {name: None if s is None else -s for name, s in scores.items()}
        row = row_of(scores)
    return scores, {**row, "direction": sign_of(direction)}
