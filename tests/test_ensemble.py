"""gandi.Ensemble: gandi's and the classical detectors in one label-free ensemble, on real runs
(the breast-cancer table as arrays, MNIST ones), checked against what the runs wrote (their
split, read again from the run's data files) and against the exported SavedModel."""
import pickle
import re

import numpy as np
import pytest

import gandi
from conftest import API_IMAGE_PARAMS, API_VECTOR_PARAMS, assert_exports_its_scores
from gandi.api_input import InputError
from gandi.data import load_splits
from gandi.detectors.classical import CLASSICAL
from gandi.detectors.classical_graph import GRAPHS, NoGraph, classical_graph
from gandi.export import ExportError
from gandi.tracking.metrics import roc_auc
from gandi.tracking.thresholds import validation_threshold

CLASSICAL_MEMBERS = ["knn", "kde", "lof", "pca", "ecod"]  # every one with an exported graph


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory, vectors):
    log_dir = tmp_path_factory.mktemp("ensemble_log")
    members = [gandi.Detector("autoencoder", **API_VECTOR_PARAMS), *CLASSICAL_MEMBERS]
    made = gandi.Ensemble(members=members, top=4, seed=2, log_dir=str(log_dir), verbose=0)
    with pytest.warns(UserWarning):  # the short curve's TrainingWarning
        return made.fit(vectors["fit"], eval_set=(vectors["eval"], vectors["eval_y"]))


def the_runs_split(ensemble):
    """The split the ensemble's gandi run trained on, read again from its data files."""
    setting = ensemble.candidates_["autoencoder"].exported_.setting
    return load_splits(setting, np.random.default_rng(setting["numpy_seed"]))


def test_members_are_the_top_candidates_by_the_label_free_criterion(ensemble):
    report = ensemble.report_.set_index("member")
    candidates = report.drop(index="ensemble")
    assert list(candidates.index) == ["autoencoder", *CLASSICAL_MEMBERS]
    assert candidates["criterion"].between(0, 1).all()
    ranked = candidates["criterion"].sort_values(ascending=False, kind="stable")
    assert ensemble.members_ == list(ranked.index[:4])
    assert set(report.index[report["chosen"]]) == {*ensemble.members_, "ensemble"}
    # the gandi member was fitted with the ensemble's seed
    assert ensemble.candidates_["autoencoder"].exported_.setting["numpy_seed"] == 2
    assert (report["test_anomalies"] == "labelled").all()


def test_scores_are_the_members_standardised_on_the_runs_validation_normals(ensemble, vectors):
    data = the_runs_split(ensemble)
    for member in ensemble.members_:
        validation = ensemble._member_score(member, data.validation)
        mean, std = ensemble.scales_[member]
        assert mean == pytest.approx(validation.mean(), rel=1e-9)
        assert std == pytest.approx(validation.std(), rel=1e-9)
    scores = ensemble.decision_function(vectors["eval"])
    # the eval set is the run's test set: the report's AUC is these scores'
    assert ensemble.report_.set_index("member").loc["ensemble", "auc"] == pytest.approx(
        roc_auc(vectors["eval_y"], scores), abs=1e-12)
    assert roc_auc(vectors["eval_y"], scores) > 0.85  # a learning bound (seeds 0-4: 0.942-0.948)
    # the raw validation rows are not at hand: the members' scores of the run's scaled ones
    combined = np.mean([(ensemble._member_score(m, data.validation) - ensemble.scales_[m][0])
                        / ensemble.scales_[m][1] for m in ensemble.members_], axis=0)
    percentile = ensemble.candidates_["autoencoder"].exported_.setting["threshold_percentile"]
    assert ensemble.threshold_ == pytest.approx(validation_threshold(combined, percentile))
    np.testing.assert_array_equal(ensemble.predict(vectors["eval"]),
                                  (scores > ensemble.threshold_).astype(int))
    np.testing.assert_allclose(ensemble.decision_scores_,
                               ensemble.decision_function(vectors["fit"]), rtol=1e-12)


def test_a_pickled_ensemble_scores_the_same(ensemble, vectors):
    again = pickle.loads(pickle.dumps(ensemble))
    np.testing.assert_array_equal(again.decision_function(vectors["eval"]),
                                  ensemble.decision_function(vectors["eval"]))


def test_export_serves_the_ensembles_scores(tmp_path, vectors, ensemble):
    assert_exports_its_scores(ensemble, tmp_path / "model", vectors["eval"].astype(np.float32))
    with pytest.raises(ExportError, match="exists"):
        ensemble.export(tmp_path / "model")


@pytest.mark.parametrize("name", GRAPHS)
def test_each_classical_graph_is_its_detector(name, vectors):
    """The exported graph of a classical member gives its numpy/scikit-learn scores."""
    x = vectors["fit"]
    x = ((x - x.mean(0)) / x.std(0)).astype(np.float32)
    detector = CLASSICAL[name](seed=0).fit(x[:200])
    graph = classical_graph(detector)
    # float64 on both sides; distances by expansion here, by scikit-learn's own there
    np.testing.assert_allclose(graph(x[200:]).numpy(), detector.score(x[200:]), rtol=1e-7)


def test_a_member_without_a_graph_is_refused_at_export():
    detector = CLASSICAL["iforest"](seed=0).fit(np.random.default_rng(0).normal(size=(50, 3)))
    with pytest.raises(NoGraph, match=r"member 'iforest' has no graph to export "
                                          r"\(exportable classical members: knn, kde"):
        classical_graph(detector)


@pytest.mark.parametrize("members, message", [
    (["autoencoder", "knnn"], r"member 'knnn' is not a detector an ensemble can take \(did you "
                              r"mean 'knn'\?\); allowed: "),
    (["knn", "kde"], "every member is classical; at least one gandi detector is needed"),
    (["knn", "autoencoder", "knn"], "member 'knn' is given twice"),
    ([], "members is empty"),
])
def test_bad_members_are_one_clear_line(members, message, tmp_path, vectors):
    with pytest.raises(InputError, match=message):
        gandi.Ensemble(members=members, log_dir=str(tmp_path), verbose=0).fit(vectors["fit"])
    assert not list(tmp_path.iterdir())  # refused before any run


@pytest.mark.parametrize("top", [0, 2.5, "3"])
def test_a_bad_top_is_refused_before_any_fit(top, tmp_path, vectors):
    with pytest.raises(InputError, match=r"top = .*; expected an integer >= 1"):
        gandi.Ensemble(top=top, log_dir=str(tmp_path), verbose=0).fit(vectors["fit"])
    assert not list(tmp_path.iterdir())  # refused before any run


def test_an_image_ensemble_exports(tmp_path, ones):
    """MNIST ones: the autoencoder with kNN and KDE on the scaled pixels, served as fitted."""
    made = gandi.Ensemble(members=[gandi.Detector("autoencoder", **API_IMAGE_PARAMS), "knn", "kde"],
                          top=None, log_dir=str(tmp_path / "log"), verbose=0)
    with pytest.warns(UserWarning):
        made.fit(ones["fit"])
    assert (made.report_["test_anomalies"] == "synthetic").all()  # corrupted normals
    scores = made.decision_function(ones["test"])
    assert roc_auc(ones["test_y"], scores) > 0.9  # a learning bound (seeds 0-4: 0.9986-0.9990)
    assert_exports_its_scores(made, tmp_path / "model", ones["test"][..., None])
    assert re.search(r"knn", (tmp_path / "model" / "assets" / "ensemble.json").read_text())


def test_reselected_keeps_another_top_without_fitting_again(ensemble, vectors):
    every = ensemble.reselected(None)
    assert sorted(every.members_) == sorted(["autoencoder", *CLASSICAL_MEMBERS])
    assert ensemble.members_ != every.members_ and len(ensemble.members_) == 4  # untouched
    same = ensemble.reselected(4)
    np.testing.assert_array_equal(same.decision_function(vectors["eval"]),
                                  ensemble.decision_function(vectors["eval"]))
    assert same.threshold_ == ensemble.threshold_
    # the report's ensemble AUC is the reselected scores' on the eval set
    assert every.report_.set_index("member").loc["ensemble", "auc"] == pytest.approx(
        roc_auc(vectors["eval_y"], every.decision_function(vectors["eval"])), abs=1e-12)
    with pytest.raises(InputError, match="top = 0"):
        ensemble.reselected(0)
