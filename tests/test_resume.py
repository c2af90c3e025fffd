"""Reliability: a run killed with SIGKILL resumes from its checkpoint and continues the curve an
uninterrupted run draws; NaN/Inf stops training cleanly; concurrent runs never collide."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import run_params
from conftest import ROOT
import tensorflow as tf

from gandi.detectors import DETECTORS
from gandi.detectors.discriminator import DiscriminatorDetector
from gandi.experiment import run_setting
from gandi.outputs.results import load_results
from gandi.playground import EXIT_BAD_INPUT, EXIT_DIVERGED, main
from gandi.settings import validate

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
STEPS = 1500  # setting 1 checkpoints every 500 steps and tracks every 100


def _playground(*args):
    return subprocess.Popen([sys.executable, "-m", "gandi.playground", *args, "--no-progress"],
                            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _wait_for_log(log_dir, text, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        logs = list((log_dir / "logs").glob("*/run.log"))
        if logs and text in logs[0].read_text():
            return logs[0].parent.name
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in the run log")


def test_sigkill_then_resume_continues_the_uninterrupted_curve(tmp_path):
    killed_dir = tmp_path / "killed"
    proc = _playground("--settings", "1", "--steps", str(STEPS), "--log-dir", str(killed_dir))
    sig = _wait_for_log(killed_dir, "step 1100:", proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    status = json.loads((killed_dir / "results" / sig / "status.json").read_text())
    assert status["status"] == "running"  # killed: nobody wrote the end
    partial = load_results(killed_dir / "results" / sig / "results.pkl")  # from the checkpoint
    assert partial["status"] == "running" and partial["last_step"] == 1000
    assert partial["measurements"]["step"].iloc[-1] == 1000

    # resume by the path of one of its folders
    resumed = _playground("--resume", str(killed_dir / "checkpoints" / sig))
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    results = load_results(killed_dir / "results" / sig / "results.pkl")
    assert results["status"] == "finished" and results["last_step"] == STEPS
    steps = results["measurements"]["step"].tolist()
    assert steps == list(range(0, STEPS + 1, 100))  # no gap, no duplicate

    setting = validate({**run_params.SETTINGS[1], "steps": STEPS}, label="1")
    reference = run_setting(1, setting, tmp_path / "uninterrupted", progress=False)
    a, b = results["measurements"], reference["measurements"]
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-4, atol=1e-5)
    assert results["sweet_spot"]["step"] == reference["sweet_spot"]["step"]
    assert "resumed at step 1000" in (killed_dir / "logs" / sig / "run.log").read_text()


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


def test_divergence_stops_cleanly_and_keeps_the_last_good_checkpoint(tmp_path, capsys,
                                                                    monkeypatch):
    settings = {**run_params.SETTINGS, 70: {**run_params.SETTINGS[1], "name": "poisoned",
                                            "steps": 100, "track_every": 10,
                                            "checkpoint_every": 15}}
    monkeypatch.setattr(run_params, "SETTINGS", settings)
    monkeypatch.setitem(DETECTORS, "discriminator", _PoisonedAt37)
    assert main(["--settings", "70", "--log-dir", str(tmp_path), "--no-progress"]) == EXIT_DIVERGED
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("diverged at step 37: d_loss = nan"), err
    sig = next((tmp_path / "results").iterdir()).name
    status = json.loads((tmp_path / "results" / sig / "status.json").read_text())
    assert status["status"] == "diverged" and status["step"] == 36
    results = load_results(tmp_path / "results" / sig / "results.pkl")
    assert results["status"] == "diverged" and results["error"].startswith("diverged at step 37")
    assert results["measurements"]["step"].tolist() == [0, 10, 20, 30]
    assert results["sweet_spot"]["step"] <= 30 and len(results["final"]) == 2
    # the newest checkpoint is the last good one (step 30) and holds finite weights
    latest = tf.train.latest_checkpoint(str(tmp_path / "checkpoints" / sig))
    assert latest.endswith("ckpt-30")
    reader = tf.train.load_checkpoint(latest)
    floats = [reader.get_tensor(n) for n in reader.get_variable_to_shape_map()]
    floats = [v for v in floats if np.issubdtype(np.asarray(v).dtype, np.floating)]
    assert floats and all(np.all(np.isfinite(v)) for v in floats)
    assert "diverged at step 37" in (tmp_path / "logs" / sig / "run.log").read_text()


def test_two_processes_in_the_same_second_get_distinct_runs(tmp_path):
    procs = [_playground("--settings", "1", "--steps", "5", "--seed", "4", "--log-dir",
                         str(tmp_path)) for _ in range(2)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    runs = sorted(p.name for p in (tmp_path / "results").iterdir())
    assert len(runs) == 2 and runs[0] != runs[1]
    for sig in runs:
        assert load_results(tmp_path / "results" / sig / "results.pkl")["status"] == "finished"


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
