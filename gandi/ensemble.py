"""gandi's detectors and the classical ones in one label-free ensemble, from Python:

    import gandi
    ens = gandi.Ensemble().fit(X_normal)            # normal data only, as gandi.Detector
    ens.decision_function(X)                        # (n,) higher = more anomalous
    ens.predict(X)                                  # 0/1 at ens.threshold_
    ens.members_                                    # the members it chose, without labels
    ens.report_                                     # every candidate: criterion, chosen, AUC
    ens.export("model")                             # one SavedModel, like a Detector's

How it chooses and combines (the tabular benchmark's `hybrid (top k)`, benchmarks/
hybrid_ensembles.py, where it was measured): every gandi candidate is fitted as
`gandi.Detector` with the ensemble's seed, so all of them share one split of X and one scaling;
the classical candidates (`gandi.detectors.classical`) are fitted on that split's training
normals, scaled as the networks take them. Each candidate's label-free criterion is the runs'
own (`val_vs_synthetic`: the AUC of the validation normals against the synthetic references,
uniform noise in the data's box and corrupted validation normals, `gandi.tracking.references`).
The `top` candidates with the highest criterion are the members; each is standardised on its
validation-normal scores and they are averaged (`gandi.tracking.selection.ensemble_scores`);
the threshold is the `threshold_percentile` of the ensemble's own validation scores. No label
chooses anything: `eval_set` (labelled data) and, without it, the synthetic report set only
report (`report_`'s `auc` column; `test_anomalies` says which kind).

Measured (8 ODDS tables, 3 seeds, `benchmarks/results/hybrid_ensembles.md`): the top 5 of
these candidates 0.9633 ± 0.0007 mean AUC, kNN 0.9589, KDE 0.9638, the best gandi detector
alone (autoencoder) 0.9331 before its latent score became the default.

`members`: names (gandi detectors, classical ones) or unfitted `gandi.Detector`s (their own
parameters; the ensemble sets their seed, log_dir and verbose). At least one gandi detector:
its run gives the split, the scaling and the references. Pickle it (joblib, pickle) to keep it:
the gandi members are their run folders, the classical ones their fitted arrays.

The playground's ensemble (a setting's `ensemble_members`, gandi.playground.run_ensemble): the
members run as runs of the setting, and the same `choose` picks them.
"""
from __future__ import annotations

import difflib
import sys

import numpy as np
import pandas as pd

from gandi.api_input import InputError, model_input
from gandi.estimator import Detector, sklearn_bases

# the candidates of the measured `hybrid (top 5)` (benchmarks/hybrid_ensembles.py)
DEFAULT_MEMBERS = ("autoencoder", "vae", "discriminator_knn",
                   "knn", "kde", "lof", "pca", "iforest", "ocsvm", "ecod")
DEFAULT_TOP = 5


class Ensemble(*sklearn_bases()):
    """A label-free ensemble of gandi's and the classical detectors (module docstring)."""

    _estimator_type = "outlier_detector"

    def __init__(self, members=DEFAULT_MEMBERS, top: int | None = DEFAULT_TOP, seed: int = 0,
                 log_dir="log_dir", verbose: int = 1, strict: bool = False):
        # scikit-learn's contract: stored as given, checked by fit
        self.members, self.top, self.seed = members, top, seed
        self.log_dir, self.verbose, self.strict = log_dir, verbose, strict

    def __repr__(self) -> str:
        return (f"gandi.Ensemble(members={self.members!r}, top={self.top!r}, seed={self.seed!r},"
                f" log_dir={self.log_dir!r})")

    # training ----------------------------------------------------------------------------------
    def fit(self, X, y=None, eval_set=None) -> "Ensemble":
        """Fit every candidate on normal samples X (`y` ignored), choose the members without
        labels; `eval_set=(X_eval, y_eval)` is reported on, as in gandi.Detector.fit."""
        candidates = self._candidates()
        networks = {name: c for name, c in candidates.items() if isinstance(c, Detector)}
        for i, (name, detector) in enumerate(networks.items()):
            self._say(f"gandi.Ensemble: fitting {name} ({i + 1} of {len(networks)} gandi "
                      f"detectors)")
            detector.fit(X, eval_set=eval_set)
        self.choose(candidates, labelled=eval_set is not None)
        self._fit_x = X  # what decision_scores_ scores (again for a reselected copy)
        self.decision_scores_ = self.decision_function(X, say_changes=False)
        return self

    def choose(self, candidates: dict, labelled: bool) -> "Ensemble":
        """Fit the classical candidates and choose the members, once the gandi candidates (the
        Detectors among `candidates`, by name) are fitted: by `fit`, or by the playground, whose
        setting trains each gandi member as a run of its own (gandi.playground.run_ensemble).
        `labelled`: whether the runs' test anomalies are labelled ones (else synthetic)."""
        from gandi.data import load_splits
        from gandi.data.splits import LABELLED, SYNTHETIC
        from gandi.tracking.references import draw_references
        from gandi.tracking.metrics import roc_auc
        networks = {name: c for name, c in candidates.items() if isinstance(c, Detector)}
        first = next(iter(networks.values())).exported_
        for name, detector in networks.items():
            if not _same_input(first, detector.exported_):
                raise InputError(f"gandi.Ensemble: member {name!r} scales its input unlike "
                                 f"{next(iter(networks))!r} (a validation_fraction or data key "
                                 f"of its own?); the members must share one split and scaling")
        # the runs' split, scaling and references, drawn again as the runs drew them
        setting = first.setting
        data = load_splits(setting, np.random.default_rng(setting["numpy_seed"]))
        references = draw_references(setting, data)
        synthetic = np.concatenate([r for r in (references.uniform, references.corrupted)
                                    if r is not None])
        scorers = {name: d.exported_.score for name, d in networks.items()}
        for name, classical in candidates.items():
            if name not in networks:
                self._say(f"gandi.Ensemble: fitting {name}")
                scorers[name] = classical.fit(data.train).score
        scores, rows = {}, []
        for name, score in scorers.items():
            validation, reference = score(data.validation), score(synthetic)
            test = score(data.test_x)
            scores[name] = (validation, test)
            criterion = roc_auc(np.r_[np.zeros(len(validation)), np.ones(len(reference))],
                                np.r_[validation, reference])
            rows.append({"member": name, "family": "gandi" if name in networks else "classical",
                         "criterion": criterion, "auc": roc_auc(data.test_y, test)})
        # what the auc column measures: labelled anomalies, or corrupted normals
        self._candidates_report = pd.DataFrame(rows).assign(
            test_anomalies=LABELLED if labelled else SYNTHETIC)
        self._candidate_scores, self._test_y = scores, data.test_y
        self._percentile = setting["threshold_percentile"]
        self.candidates_ = candidates
        self.scaling_member_ = next(iter(networks))  # whose scaling every member takes
        self._select(self.top)
        self.n_features_in_ = getattr(networks[self.scaling_member_], "n_features_in_", None)
        if self.n_features_in_ is None:
            del self.n_features_in_
        return self

    def _select(self, top) -> None:
        """Members, scales, threshold and report for keeping the `top` candidates (None: all)
        by the label-free criterion, from the candidates' scores kept by fit."""
        from gandi.tracking.metrics import roc_auc
        from gandi.tracking.selection import ensemble_scores
        from gandi.tracking.thresholds import validation_threshold
        report = self._candidates_report.copy()
        top = len(report) if top is None else min(top, len(report))
        # highest criterion first; among equal ones, the order the candidates were given
        chosen = report.sort_values("criterion", ascending=False, kind="stable")["member"]
        self.members_ = list(chosen[:top])
        report["chosen"] = report["member"].isin(self.members_)
        validation, test, scales = ensemble_scores(
            [self._candidate_scores[m] for m in self.members_])
        self.threshold_ = float(validation_threshold(validation, self._percentile))
        self.report_ = pd.concat([report, pd.DataFrame([{
            "member": "ensemble", "family": "ensemble", "criterion": np.nan,
            "auc": roc_auc(self._test_y, test), "chosen": True,
            "test_anomalies": report["test_anomalies"].iloc[0]}])], ignore_index=True)
        self.scales_ = dict(zip(self.members_, scales))
        self.test_scores_ = test  # on the first run's test split: what report_'s AUC is of
        self.estimators_ = {m: self.candidates_[m] for m in self.members_}

    def reselected(self, top: int | None) -> "Ensemble":
        """A copy of this fitted ensemble keeping the `top` candidates instead (None: all),
        without fitting anything again: the candidates, their scores and criteria are fit's."""
        import copy
        self._fitted()
        Ensemble(top=top)._check_top()
        again = copy.copy(self)
        again.top = top
        again._select(top)
        if getattr(self, "_fit_x", None) is not None:  # a playground ensemble has no X
            again.decision_scores_ = again.decision_function(self._fit_x, say_changes=False)
        return again

    def _candidates(self) -> dict:
        """The candidates by name: fresh gandi.Detector clones with the ensemble's seed, and
        fresh classical detectors; one clear line for a name that is neither."""
        from sklearn.base import clone
        from gandi.detectors import DETECTORS
        from gandi.detectors.classical import CLASSICAL
        from gandi.score.exported import NOT_SUPPORTED
        self._check_top()
        given = [self.members] if isinstance(self.members, (str, Detector)) else self.members
        if not list(given):
            raise InputError("gandi.Ensemble: members is empty; give detector names (gandi's "
                             "or classical) or gandi.Detector instances")
        candidates = {}
        for member in given:
            if isinstance(member, Detector):
                name, made = member.detector, clone(member)
            elif isinstance(member, str) and member in CLASSICAL:
                name, made = member, self.classical(member)
            elif isinstance(member, str) and member in DETECTORS and member not in NOT_SUPPORTED:
                name, made = member, Detector(member)
            else:
                allowed = [d for d in DETECTORS if d not in NOT_SUPPORTED] + list(CLASSICAL)
                near = difflib.get_close_matches(str(member), allowed, n=1)
                raise InputError(
                    f"gandi.Ensemble: member {member!r} is not a detector an ensemble can take"
                    + (f" (did you mean {near[0]!r}?)" if near else "")
                    + "; allowed: " + ", ".join(allowed) + ", or a gandi.Detector")
            if name in candidates:
                raise InputError(f"gandi.Ensemble: member {name!r} is given twice; each "
                                 f"detector once (its own parameters: one gandi.Detector)")
            if isinstance(made, Detector):
                made.set_params(seed=self.seed, log_dir=self.log_dir,
                                verbose=min(self.verbose, 1), strict=self.strict)
            candidates[name] = made
        if not any(isinstance(c, Detector) for c in candidates.values()):
            raise InputError("gandi.Ensemble: every member is classical; at least one gandi "
                             "detector is needed (its run gives the split, the scaling and the "
                             "label-free references), e.g. add 'autoencoder'")
        return candidates

    def classical(self, name: str):
        """A fresh classical detector of `name`, with the ensemble's seed."""
        from gandi.detectors.classical import CLASSICAL
        return CLASSICAL[name](seed=self.seed)

    def _check_top(self) -> None:
        if self.top is not None and not (isinstance(self.top, int) and self.top >= 1):
            raise InputError(f"gandi.Ensemble: top = {self.top!r}; expected an integer >= 1 (the "
                             f"members kept) or None (every candidate)")

    def _say(self, line: str) -> None:
        if self.verbose:
            print(line, file=sys.stderr, flush=True)

    # scoring -----------------------------------------------------------------------------------
    def decision_function(self, X, say_changes: bool = True) -> np.ndarray:
        """Anomaly scores (n,), higher = more anomalous: the members standardised on their
        validation-normal scores, averaged."""
        from gandi.tracking.selection import combine
        first = self._fitted()
        named = getattr(first, "feature_names_in_", None) is not None
        # one scaling for every member (checked equal in fit); what it makes up said once
        x = model_input(first.exported_, X, named, self.strict, say_changes=say_changes)
        scores = [self._member_score(m, x) for m in self.members_]
        return combine(scores, [self.scales_[m] for m in self.members_])

    def _member_score(self, name: str, x) -> np.ndarray:
        member = self.estimators_[name]
        score = member.exported_.score if isinstance(member, Detector) else member.score
        return np.asarray(score(x), dtype=np.float64)

    def predict(self, X) -> np.ndarray:
        """1 (anomaly) where decision_function(X) > threshold_, else 0."""
        return (self.decision_function(X) > self.threshold_).astype(np.int64)

    def export(self, path) -> "Path":
        """The fitted ensemble as one TensorFlow SavedModel folder at `path`, as
        gandi.Detector.export: `serving_default(x)` returns the scores decision_function gives
        (gandi/detectors/classical_graph.py says which classical members can be)."""
        from gandi.export import export_ensemble
        self._fitted()
        return export_ensemble(self, path)

    def _fitted(self) -> Detector:
        if not hasattr(self, "members_"):
            from sklearn.exceptions import NotFittedError
            raise NotFittedError("this gandi.Ensemble is not fitted yet: call fit(X) first")
        return self.candidates_[self.scaling_member_]


def _same_input(a, b) -> bool:
    """Whether two exported runs take the same raw input to the same network input."""
    if a.is_table != b.is_table:
        return False
    if not a.is_table:
        return all(a.setting[k] == b.setting[k] for k in ("image_size", "channels"))
    return a.transform == b.transform  # columns, categories, fill, mean, std
