"""The sweet spot: which tracked step's networks a run keeps, chosen WITHOUT test labels; and the
label-free ensembles built on the same criteria.

Sweet-spot criteria (setting `sweet_spot_criterion`), each an AUC computed at every tracked step
(`gandi.tracking.evaluation.tracked_row`, column `<criterion>_auc`):
- `val_vs_corrupted` (`auto` on images): AUC of telling validation normals from corrupted
  copies of them (`gandi.data.corruptions`): on images patches moved or erased, images overlaid
  or rotated; on vectors a random subset of features swapped with another normal's or jittered.
  Corrupted normals are near-normal, so the criterion keeps its resolution where uniform noise
  saturates, and a detector that starts to accept everything (an autoencoder that reconstructs
  any input, a discriminator the generator has beaten) accepts them too.
- `val_vs_uniform`: AUC of telling validation normals from points drawn uniformly over the
  training data's bounding box widened by 50% each side (Tax & Duin's "artificial outliers").
  On images, and on tables of 20+ features, a detector rejects the box almost at once: the
  criterion sits at 1.0 and ties go to the latest step.
- `val_vs_synthetic` (`auto` on vectors): both references at once, near (corrupted) and far
  (uniform), as many of each. On the eight ODDS tables and the nine distribution settings it
  cost less overall than either alone, the discriminator and the AAE on tables excepted
  (`benchmarks/results/selection_study.csv`, the paper).
- `val_vs_generated`: AUC of telling validation normals from generated samples; high while the
  generator is poor, so it tends to pick early steps.

Values within one validation sample's worth (1 / number of validation normals) of the best so far
are ties, and ties go to the later step: an AUC cannot resolve finer, the criterion can saturate
(float noise near 1.0, 0.99985 after 1.0, must not pin an early step), and the later networks
have trained longer.

Ensembles (pure functions below): a member's scores are put on the scale of its own validation
normals' scores, (s - mean) / std, and the members averaged. The checkpoint ensemble's members
are a run's k best tracked steps by the criterion (the sweet spot among them); a detector
ensemble's are several detectors' runs on one split. Neither sees a test label.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def tie_tolerance(n_validation: int) -> float:
    """One validation sample's worth of AUC: differences below it are ties."""
    return 1.0 / n_validation


def takes_the_sweet_spot(criteria: Sequence[float], tolerance: float) -> bool:
    """Whether the newest tracked step (the last of `criteria`, every tracked step's criterion
    so far in order) becomes the sweet spot: its criterion is finite and within `tolerance` of
    the best so far, itself included."""
    value = criteria[-1]
    if not np.isfinite(value):
        return False
    return value >= max(v for v in criteria if np.isfinite(v)) - tolerance


def sweet_spot_index(criteria: Sequence[float], tolerance: float) -> int | None:
    """The tracked step a whole curve of criteria ends with as its sweet spot (its index), or
    None when no criterion is finite: the Tracker's choice, replayed."""
    chosen = None
    for i in range(len(criteria)):
        if takes_the_sweet_spot(criteria[:i + 1], tolerance):
            chosen = i
    return chosen


def sweet_spot_summary(sweet_spot: dict | None) -> dict | None:
    """What status.json says of a sweet spot: its step and test AUC."""
    if sweet_spot is None:
        return None
    return {"step": sweet_spot["step"], "test_auc": sweet_spot["test_auc"]}


# -- whether the curve says the run was long enough --------------------------------------------
MIN_TRACKED = 5     # fewer tracked steps are no curve to choose a sweet spot on
RISING_SHARE = 0.2  # the end of a curve: its last fifth of tracked steps


def tracked_since_gain(criteria: Sequence[float], tolerance: float) -> int | None:
    """How many tracked steps have come since the criterion's last gain (0: the newest was
    one); None before any finite criterion. A gain beats the value of the previous gain by more
    than `tolerance` (Keras' EarlyStopping with min_delta): a tie is no gain, unlike for the
    sweet spot (which it moves to the later step), so a criterion that has saturated, or wanders
    within one validation sample's worth, has stopped improving in any way the run can measure
    without labels; a slow climb still counts once it adds up to more than the tolerance."""
    reference, last_gain = -np.inf, None
    for i, value in enumerate(criteria):
        if np.isfinite(value) and (last_gain is None or value > reference + tolerance):
            reference, last_gain = value, i
    return None if last_gain is None else len(criteria) - 1 - last_gain


def stalled(criteria: Sequence[float], tolerance: float, patience: int) -> bool:
    """Whether a run with `stop_patience: patience` stops after its newest tracked step: at
    least MIN_TRACKED tracked steps (a shorter curve is no evidence either way, and
    `training_warnings` would call it too short), and `patience` of them since the criterion
    last improved. patience 0: never."""
    if patience <= 0 or len(criteria) < MIN_TRACKED:
        return False
    since = tracked_since_gain(criteria, tolerance)
    return since is not None and since >= patience


def early_stop(rows: Sequence[dict], tolerance: float, patience: int,
               budget: int) -> dict | None:
    """The stop of a run with `stop_patience: patience` after its newest tracked row (`rows`:
    every tracked row so far, each with its step and criterion), or None: {step, budget,
    patience}, what the results keep."""
    if not stalled([r["criterion"] for r in rows], tolerance, patience):
        return None
    return {"step": int(rows[-1]["step"]), "budget": int(budget), "patience": int(patience)}


def training_warnings(steps: Sequence[int], criteria: Sequence[float], tolerance: float,
                      criterion: str) -> list[str]:
    """One line per reason to doubt that a finished run trained long enough, from its tracked
    steps and their label-free criteria alone: fewer than MIN_TRACKED tracked steps, or a
    criterion still rising at the end (the best of the last fifth beats every earlier step by
    more than `tolerance`, and the last step is the sweet spot)."""
    if len(criteria) < MIN_TRACKED:
        return [f"only {len(criteria)} tracked steps (fewer than {MIN_TRACKED}): the sweet spot "
                f"was chosen on too short a curve; track more often (track_every) or train "
                f"longer (steps)"]
    values = np.asarray(criteria, dtype=float)
    tail = max(1, int(np.ceil(RISING_SHARE * len(values))))
    before, end = values[:-tail], values[-tail:]
    if not np.isfinite(before).any() or not np.isfinite(end).any():
        return []
    best_before, best_end = np.nanmax(before), np.nanmax(end)
    last_is_sweet = sweet_spot_index(criteria, tolerance) == len(criteria) - 1
    if best_end > best_before + tolerance and last_is_sweet:
        return [f"the label-free criterion {criterion} was still rising when training ended "
                f"(best {best_before:.3f} up to step {steps[-tail - 1]}, {best_end:.3f} at the "
                f"end, step {steps[-1]}): the detector may be undertrained; train longer "
                f"(steps)"]
    return []


# -- label-free ensembles ------------------------------------------------------------------------
# Several scores of the same data (the k best tracked steps of one run, or several detectors' runs
# on one split) are put on one scale by the validation normals alone, then averaged. The
# ensemble's threshold is the percentile of its own validation scores, as for any detector.

def best_steps(criteria: Sequence[float], k: int, tolerance: float) -> list[int]:
    """Indices of the k tracked steps a checkpoint ensemble keeps: the highest criteria, a later
    step first among ties (values within `tolerance`, as for the sweet spot), the sweet spot
    always among them. NaN criteria never count. In the order of training."""
    finite = [i for i, v in enumerate(criteria) if np.isfinite(v)]
    chosen = sweet_spot_index(criteria, tolerance)
    if chosen is None:
        return []
    # rank by the criterion rounded down to the tolerance's grid, then by lateness
    def rank(i):
        return (np.floor(criteria[i] / tolerance) if tolerance > 0 else criteria[i], i)
    others = sorted((i for i in finite if i != chosen), key=rank, reverse=True)
    return sorted([chosen] + others[:max(0, k - 1)])


def validation_scale(validation_scores: np.ndarray) -> tuple[float, float]:
    """(mean, std) of a member's validation-normal scores: its scale in the ensemble. A constant
    validation score (std 0) gets std 1: the member then only shifts, it cannot blow up."""
    v = np.asarray(validation_scores, dtype=np.float64)
    spread = float(v.std())
    return float(v.mean()), spread if spread > 0 else 1.0


def combine(member_scores: Sequence[np.ndarray], scales: Sequence[tuple[float, float]]):
    """The ensemble's score: the mean over members of (score - mean) / std, each member on its
    own validation scale (`validation_scale`)."""
    return np.mean([(np.asarray(s, dtype=np.float64) - mean) / std
                    for s, (mean, std) in zip(member_scores, scales)], axis=0)


def ensemble_scores(members: Sequence[tuple[np.ndarray, np.ndarray]]):
    """Validation and other scores of the ensemble of `members`, (validation scores, scores)
    pairs of the same validation normals and the same data. Returns (validation scores, scores,
    scales). Every member's scores must be finite (leave a diverged one out before)."""
    if not members:
        raise ValueError("an ensemble needs at least one member")
    for v, s in members:
        if not (np.all(np.isfinite(v)) and np.all(np.isfinite(s))):
            raise ValueError("an ensemble member's scores are not all finite")
    scales = [validation_scale(v) for v, _ in members]
    return (combine([v for v, _ in members], scales), combine([s for _, s in members], scales),
            scales)
