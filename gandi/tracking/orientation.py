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


# What a D-scored detector's AUC on a table cannot show without labels: nothing the run sees (its
# criterion, its direction) tells a D that ranks the real anomalies as normal from one that
# does not (the criterion's value at the sweet spot against test AUC over the tabular
# benchmark's runs, 24 per detector: correlations -0.07 to 0.50), so the measured record is said.
D_SCORED_ON_TABLES = (
    "{} scores with the discriminator's output, which on tables is unreliable: on eight ODDS "
    "tables the D-scored detectors average 0.55-0.71 test AUC and fall below 0.5 on some, "
    "their label-free choice included (benchmarks/results/tabular.md); discriminator_knn, "
    "distances in the same discriminator's features, averages 0.95 there")


def table_caveats(detector, setting: dict) -> list[str]:
    """The warning a finished run of a D-scored detector on a table carries (none otherwise)."""
    if detector.oriented and setting["dataset"] == "table":
        return [D_SCORED_ON_TABLES.format(detector.name)]
    return []
