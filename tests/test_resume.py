"""Reliability: what cannot be resumed is refused in one line; a divergence restarts from the last
good checkpoint with a lower learning rate; concurrent runs never collide. (A run killed, stopped
with Ctrl-C or diverged in a process of its own, and its resume: tests/test_run_status.py.)"""
import os
import subprocess
import sys

import numpy as np
import pytest

import run_params
from conftest import ROOT

from gandi.detectors import DETECTORS
from gandi.detectors.discriminator import DiscriminatorDetector
from gandi.experiment import run_setting
from gandi.outputs.run_folder import KINDS
from gandi.cli import EXIT_BAD_INPUT
from gandi.playground import main
from gandi.settings.validation import validate

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def test_resume_of_bad_runs_is_bad_input(tmp_path, capsys):
    assert main(["--resume", "GAN_nope", "--log-dir", str(tmp_path)]) == EXIT_BAD_INPUT
    assert "expected a run signature" in capsys.readouterr().err
    sig = "GAN_2026-01-01_00-00-00_000000_0-0_1"
    assert main(["--resume", sig, "--log-dir", str(tmp_path)]) == EXIT_BAD_INPUT
    assert f"no run {sig}" in capsys.readouterr().err
    assert main(["--resume", sig, "--settings", "1"]) == EXIT_BAD_INPUT
    assert "takes no --settings" in capsys.readouterr().err


def test_finished_run_is_not_resumed(tmp_path, capsys):
    setting = validate({**run_params.SETTINGS[1], "steps": 20}, label="1")
    results = run_setting(1, setting, tmp_path, progress=False)
    assert main(["--resume", results["signature"], "--log-dir", str(tmp_path)]) == EXIT_BAD_INPUT
    assert "already finished" in capsys.readouterr().err


class _PoisonedAt37(DiscriminatorDetector):
    """A discriminator whose weights turn NaN before step 37, as an exploding update would."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = 0
        real_step = self.train_step

        def step(batch):
            self.calls += 1
            if self.calls == 37:
                kernel = self.discriminator.trainable_variables[0]
                kernel.assign(np.full(kernel.shape, np.nan, np.float32))
            return real_step(batch)
        self.train_step = step


# Each process creates run folders for the same setting and seeds with a clock frozen to one
# second and only 100 distinct microseconds: most attempts collide, in the process and across them.
CREATE_IN_THE_SAME_SECOND = """
import datetime as dt, random, sys
import gandi.outputs.run_folder as rf
real = rf.signature
rf.signature = lambda setting_id, numpy_seed, tf_seed, now=None: real(
    setting_id, numpy_seed, tf_seed,
    dt.datetime(2026, 1, 1, 12, 0, 0) + dt.timedelta(microseconds=random.randrange(100)))
print(" ".join(rf.RunFolders.create(sys.argv[1], 1, 4, 4).signature for _ in range(30)))
"""


def test_two_processes_in_the_same_second_get_distinct_runs(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", CREATE_IN_THE_SAME_SECOND, str(tmp_path)],
                              cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    created = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        created += out.split()
    assert len(created) == 60 and len(set(created)) == 60  # no run folder handed out twice
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == sorted(created)
    for kind in KINDS:
        assert sorted(p.name for p in (tmp_path / kind).iterdir()) == sorted(created)


def test_divergence_restart_with_a_lower_learning_rate(tmp_path, monkeypatch):
    monkeypatch.setitem(DETECTORS, "discriminator", _PoisonedAt37)
    setting = validate({**run_params.SETTINGS[1], "steps": 100, "track_every": 10,
                        "checkpoint_every": 15, "divergence_restarts": 1,
                        "divergence_lr_factor": 0.25})
    results = run_setting(1, setting, tmp_path, progress=False)
    assert results["status"] == "finished" and results["last_step"] == 100
    [restart] = results["restarts"]
    assert restart["restarted_at"] == 30 and restart["diverged"].startswith("diverged at step 37")
    assert restart["learning_rates"]["d_optimizer"] == pytest.approx(2e-4 * 0.25)
    assert results["measurements"]["step"].tolist() == list(range(0, 101, 10))
    assert np.isfinite(results["measurements"]["d_loss"].iloc[1:]).all()


def test_a_run_whose_data_files_changed_is_not_resumed(tmp_path, capsys):
    """A resume draws the data again from the seed: from a table rewritten in the meantime it
    would train on other data under the run's name. The files' hash, recorded when the run
    started, says so: refused in one line."""
    import json
    import pandas as pd
    rng = np.random.default_rng(0)
    path = tmp_path / "t.csv"
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60),
                          "label": [0] * 50 + [1] * 10})
    frame.to_csv(path, index=False)
    setting = validate({"dataset": "table", "data_file": str(path), "label_column": "label",
                        "steps": 4, "track_every": 2, "checkpoint_every": 2, "batch_size": 8,
                        "detector": "autoencoder", "latent_dim": 2})
    results = run_setting("mine", setting, tmp_path / "log", progress=False)
    run = results["run"]
    assert len(run.read_data_record()["contents"]) == 64  # SHA-256, hex
    run.status_file.write_text(json.dumps({"status": "killed"}))  # as a killed run leaves it
    frame.assign(a=frame["a"] * 2).to_csv(path, index=False)
    capsys.readouterr()
    assert main(["--resume", results["signature"], "--log-dir", str(tmp_path / "log"),
                 "--no-progress"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "its data files changed since it started" in err[0], err
    frame.to_csv(path, index=False)  # the same bytes again: resumed
    assert main(["--resume", results["signature"], "--log-dir", str(tmp_path / "log"),
                 "--no-progress"]) == 0
