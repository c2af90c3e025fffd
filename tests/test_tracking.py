"""The Tracker and the end of a run (gandi.tracking): finishing computes the final results as a
new value; it writes nothing back into the detector or into the state training left."""
import copy
from pathlib import Path

import numpy as np

import run_params
from conftest import SEEDS
from gandi.experiment import run_setting
from gandi.settings.validation import validate
from gandi.tracking import finish as finish_module, tracker as tracker_module


def test_the_tracker_of_one_job_stays_small():
    """The end of a run lives in modules of its own (tracking/final_results.py, finish.py and
    the writers in outputs/): the Tracker itself is what training calls."""
    assert len(Path(tracker_module.__file__).read_text().splitlines()) <= 200


def _snapshot(tracker) -> dict:
    s = tracker.state
    return {"attributes": dict(vars(tracker.detector)),
            "weights": tracker.detector.scoring_weights(),
            "sweet_spot": copy.deepcopy(s.sweet_spot),
            "sweet_scores": {k: None if v is None else v.copy()
                             for k, v in s.sweet_scores.items()},
            "rows": copy.deepcopy(s.rows),
            "ensemble_steps": sorted(s.ensemble_weights)}


def test_finishing_writes_nothing_back(tmp_path, monkeypatch):
    """A curve on a test sample (the final table rescores the whole test set) with a checkpoint
    ensemble: after finishing, the detector has the same attributes bound to the same objects
    (no threshold_ set: the final results carry the thresholds), its networks the same weights,
    and the Tracker's state is what training left (the curve sample's scores and AUC at the
    sweet spot); the results report the whole test set's."""
    seen = {}
    original = finish_module.finish

    def watched(tracker, *args, **kwargs):
        seen["before"] = _snapshot(tracker)
        results = original(tracker, *args, **kwargs)
        seen["after"], seen["curve"] = _snapshot(tracker), len(tracker.references.curve)
        return results

    monkeypatch.setattr(finish_module, "finish", watched)
    setting = validate({**run_params.SETTINGS[1], "steps": 60, "track_every": 20,
                        "n_train": 1000, "n_validation": 300, "n_test_normal": 300,
                        "n_test_anomaly": 300, "n_generated": 300, "track_test_limit": 200,
                        "checkpoint_ensemble": 3, **SEEDS}, label="1")
    results = run_setting(1, setting, tmp_path, progress=False)
    before, after = seen["before"], seen["after"]
    assert after["attributes"].keys() == before["attributes"].keys()
    for name, value in before["attributes"].items():
        assert after["attributes"][name] is value, name
    assert before["attributes"]["threshold_"] is None
    for name, w in before["weights"].items():
        for a, b in zip(w, after["weights"][name]):
            np.testing.assert_array_equal(a, b)
    assert after["sweet_spot"] == before["sweet_spot"] and after["rows"] == before["rows"]
    for name, scores in before["sweet_scores"].items():
        np.testing.assert_array_equal(after["sweet_scores"][name], scores)
    assert len(after["sweet_scores"]["test"]) == seen["curve"] == 200  # the curve's sample
    assert after["ensemble_steps"] == before["ensemble_steps"]
    # the results: the whole test set at the sweet spot, as its final table row
    final = results["final"].set_index("detector")
    assert results["sweet_spot"]["test_auc"] == final.loc["discriminator", "auc"]
    assert results["sweet_spot"]["step"] == before["sweet_spot"]["step"]
    assert results["checkpoint_ensemble"] is not None


def test_the_time_tracking_took_survives_a_checkpoint(tmp_path):
    """A resumed run goes on adding to the tracking time its checkpoint saved; a state file
    from before the time was kept reads as unknown (NaN), not as no time at all."""
    import pickle

    from gandi.tracking.state import TrackerState, load_state, save_state, state_file
    folder = tmp_path / "checkpoints" / "GAN_2026-12-06_13-00-00_000000_0-0_1"
    folder.mkdir(parents=True)
    state = TrackerState(rows=[{"step": 0, "criterion": 0.5}])
    state.tracking_seconds = {"seconds": 3.25, "cpu_seconds": 5.5}
    save_state(folder, 100, state)
    assert load_state(folder, 100).tracking_seconds == {"seconds": 3.25, "cpu_seconds": 5.5}
    saved = pickle.loads(state_file(folder, 100).read_bytes())
    del saved["tracking_seconds"]
    state_file(folder, 200).write_bytes(pickle.dumps(saved))
    older = load_state(folder, 200).tracking_seconds
    assert np.isnan(older["seconds"]) and np.isnan(older["cpu_seconds"])


def test_a_threshold_from_too_few_validation_normals_is_said_to_be():
    """At the 95th percentile, 20 validation normals put one above the threshold; 19 do not,
    and the run says its threshold's share of flagged normals means little."""
    from gandi.tracking.thresholds import threshold_caveats
    assert threshold_caveats(20, 95.0) == [] and threshold_caveats(200, 99.0) == []
    [line] = threshold_caveats(2, 95.0)
    assert line.startswith("the threshold is the 95th percentile of only 2 validation "
                           "normal(s) (at least 20 put one above it)")
    assert threshold_caveats(99, 99.0) != []


def test_a_test_set_of_a_few_samples_is_said_to_be():
    from gandi.tracking.caveats import test_set_caveats
    assert test_set_caveats(np.repeat([0, 1], 10)) == []
    [line] = test_set_caveats(np.array([0, 0, 1, 1]))
    assert line.startswith("the test metrics rest on 2 normal(s) and 2 anomal(ies)")
    assert test_set_caveats(np.r_[np.zeros(500), np.ones(9)]) != []
