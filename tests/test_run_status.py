"""How runs end, each in a real process of its own, and how `python -m gandi.report --runs` lists
them: a run killed with SIGKILL is `killed` (with the --resume command that continues it, which
resumes it onto the curve an uninterrupted run draws), Ctrl-C is `interrupted`, a NaN weight is
`diverged`, and a completed run is `finished`.

The faults are injected at a training step (tests/faulty_playground.py), not at a time: what each
run wrote when it ended is exact on any machine."""
import datetime as dt
import json
import os
import shlex
import socket
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

import run_params
from conftest import ROOT, gandi_stderr
from gandi.experiment import run_setting
from gandi.outputs import liveness
from gandi.outputs.results import load_results
from gandi.cli import EXIT_DIVERGED, EXIT_INTERRUPTED
from gandi.playground import main
from gandi.settings.validation import validate

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
STEPS, KILL_AT = 700, 600  # setting 1 tracks every 100 steps and checkpoints every 500


def _faulty_run(fault, at_step, *playground_args):
    return subprocess.run([sys.executable, str(ROOT / "tests" / "faulty_playground.py"), fault,
                           str(at_step), "--", *playground_args, "--no-progress"],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=600)


def _report_runs(log_dir) -> tuple[pd.DataFrame, str]:
    """`gandi.report --runs`, as a user runs it: its CSV rows and what it printed."""
    csv = log_dir.parent / f"{log_dir.name}_runs.csv"
    done = subprocess.run([sys.executable, "-m", "gandi.report", str(log_dir), "--runs",
                           "--csv", str(csv)], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return pd.read_csv(csv), done.stdout


def _status(log_dir, sig) -> dict:
    return json.loads((log_dir / "results" / sig / "status.json").read_text())


def test_sigkill_is_listed_killed_and_resumes_onto_the_uninterrupted_curve(tmp_path):
    log_dir = tmp_path / "killed"
    killed = _faulty_run("kill", KILL_AT, "--settings", "1", "--steps", str(STEPS),
                         "--log-dir", str(log_dir))
    assert killed.returncode == -9, killed.stderr  # nothing ran after the kill
    [sig] = [p.name for p in (log_dir / "results").iterdir()]
    status = _status(log_dir, sig)
    # the heartbeat at the last tracked step, written by a process that is gone
    assert status["status"] == "running" and status["step"] == KILL_AT
    assert status["host"] == socket.gethostname() and status["last_checkpoint"] == 500
    assert status["heartbeat_interval_s"] > 0
    beat = dt.datetime.fromisoformat(status["heartbeat"])
    assert abs((liveness.now_utc() - beat).total_seconds()) < 600
    assert not liveness.process_alive(status["pid"], status["process_start"])
    partial = load_results(log_dir / "results" / sig / "results.pkl")  # from the checkpoint
    assert partial["status"] == "running" and partial["last_step"] == 500
    assert partial["measurements"]["step"].iloc[-1] == 500

    rows, printed = _report_runs(log_dir)
    [row] = rows.to_dict("records")
    assert (row["signature"], str(row["setting"]), row["status"]) == (sig, "1", "killed")
    assert (row["last_step"], row["last_checkpoint"]) == (KILL_AT, 500)
    assert row["sweet_spot_auc"] == pytest.approx(status["sweet_spot"]["test_auc"])
    assert 0 <= row["sweet_spot_step"] <= KILL_AT and 0.5 < row["sweet_spot_auc"] <= 1
    [command] = [line.strip() for line in printed.splitlines() if "--resume" in line]

    # the printed command continues the run (its arguments, given to the driver's main here:
    # a second process would only import TensorFlow again)
    python, module, driver, *args = shlex.split(command)
    assert (python, module, driver) == ("python", "-m", "gandi.playground")
    assert main([*args, "--no-progress"]) == 0
    results = load_results(log_dir / "results" / sig / "results.pkl")
    assert results["status"] == "finished" and results["last_step"] == STEPS
    assert results["measurements"]["step"].tolist() == list(range(0, STEPS + 1, 100))
    assert "resumed at step 500" in (log_dir / "logs" / sig / "run.log").read_text()
    [row] = _report_runs(log_dir)[0].to_dict("records")
    assert (row["status"], row["last_step"], row["last_checkpoint"]) == ("finished", STEPS, STEPS)
    assert row["sweet_spot_step"] == results["sweet_spot"]["step"]

    # ... onto the curve of a run never killed (float32 rounding of a restored state only)
    setting = validate({**run_params.SETTINGS[1], "steps": STEPS}, label="1")
    reference = run_setting(1, setting, tmp_path / "uninterrupted", progress=False)
    pd.testing.assert_frame_equal(results["measurements"], reference["measurements"],
                                  check_exact=False, rtol=1e-4, atol=1e-5)
    assert results["sweet_spot"]["step"] == reference["sweet_spot"]["step"]


def test_ctrl_c_is_listed_interrupted_with_its_checkpoint(tmp_path):
    done = _faulty_run("sigint", 300, "--settings", "1", "--steps", "1000",
                       "--log-dir", str(tmp_path))
    assert done.returncode == EXIT_INTERRUPTED, done.stderr
    [hint] = [line for line in gandi_stderr(done.stderr) if line.startswith("interrupted: ")]
    [sig] = [p.name for p in (tmp_path / "results").iterdir()]
    # the hint is a command that works as typed: it names the run's folder, not only its
    # signature (which would be looked up under the default log_dir, not this one)
    assert hint.endswith(f"continue with python -m gandi.playground --resume "
                         f"{tmp_path / 'results' / sig}")
    results = load_results(tmp_path / "results" / sig / "results.pkl")
    # the first Ctrl-C stops the loop after the step in flight (300), which the run checkpoints
    last = results["last_step"]
    assert results["status"] == "interrupted" and last == 300
    assert results["measurements"]["step"].iloc[-1] == 300
    checkpoint_index = (tmp_path / "checkpoints" / sig / "checkpoint").read_text()
    assert f'model_checkpoint_path: "ckpt-{last}"' in checkpoint_index
    status = _status(tmp_path, sig)
    assert status["status"] == "interrupted" and "pid" not in status
    [row] = _report_runs(tmp_path)[0].to_dict("records")
    assert (row["status"], row["last_step"], row["last_checkpoint"]) == ("interrupted", last, last)


def test_nan_weights_are_listed_diverged_with_the_last_good_checkpoint(tmp_path):
    setting_file = tmp_path / "poisoned.json"
    setting_file.write_text(json.dumps({**run_params.SETTINGS[1], "steps": 100,
                                        "track_every": 10, "checkpoint_every": 15}))
    log_dir = tmp_path / "log_dir"
    done = _faulty_run("nan", 36, "--setting-file", str(setting_file), "--log-dir", str(log_dir))
    assert done.returncode == EXIT_DIVERGED, done.stderr
    err = gandi_stderr(done.stderr)
    assert len(err) == 1 and err[0].startswith("diverged at step 37: d_loss = nan"), err
    [sig] = [p.name for p in (log_dir / "results").iterdir()]
    status = _status(log_dir, sig)
    assert status["status"] == "diverged" and status["step"] == 36
    results = load_results(log_dir / "results" / sig / "results.pkl")
    assert results["status"] == "diverged" and results["error"].startswith("diverged at step 37")
    assert results["measurements"]["step"].tolist() == [0, 10, 20, 30]
    assert results["sweet_spot"]["step"] <= 30
    # the checkpoint ensemble of steps before the divergence: finite, a row of its own
    assert results["final"]["detector"].tolist() == ["discriminator", "mc_threshold",
                                                     "discriminator checkpoint ensemble"]
    assert np.isfinite(results["final"]["auc"]).all()
    # the newest checkpoint is the last good one (step 30) and holds finite weights
    latest = tf.train.latest_checkpoint(str(log_dir / "checkpoints" / sig))
    assert latest.endswith("ckpt-30")
    reader = tf.train.load_checkpoint(latest)
    floats = [reader.get_tensor(n) for n in reader.get_variable_to_shape_map()]
    floats = [v for v in floats if np.issubdtype(np.asarray(v).dtype, np.floating)]
    assert floats and all(np.all(np.isfinite(v)) for v in floats)
    assert "diverged at step 37" in (log_dir / "logs" / sig / "run.log").read_text()
    [row] = _report_runs(log_dir)[0].to_dict("records")
    assert (row["setting"], row["status"], row["last_step"], row["last_checkpoint"]) == \
        ("poisoned", "diverged", 36, 30)


# ----- the liveness judgement on its own ----------------------------------------------------

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)


def _running(**fields) -> dict:
    return {"status": "running", **fields}


def test_a_live_process_of_this_host_is_running_and_a_reused_pid_is_not():
    me = liveness.this_process()
    assert liveness.observed_status(_running(**me), NOW) == "running"
    if me["process_start"] is None:
        pytest.skip("no /proc: a reused pid cannot be told from its first owner here")
    reused = {**me, "process_start": str(int(me["process_start"]) + 1)}
    assert liveness.observed_status(_running(**reused), NOW) == "killed"


def test_a_run_on_another_host_is_killed_when_its_heartbeat_is_stale():
    beat = NOW - dt.timedelta(seconds=liveness.STALE_FLOOR_S)
    other = _running(host=f"not-{socket.gethostname()}", pid=1, heartbeat=beat.isoformat())
    seconds = dt.timedelta(seconds=1)
    # within the floor: alive however short its interval; past it, dead ...
    assert liveness.observed_status(other, NOW, now=NOW - seconds) == "running"
    assert liveness.observed_status(other, NOW, now=NOW + seconds) == "killed"
    # ... unless its own heartbeats are slow: then STALE_BEATS of them
    slow = {**other, "heartbeat_interval_s": liveness.STALE_FLOOR_S}
    limit = beat + liveness.STALE_BEATS * liveness.STALE_FLOOR_S * seconds
    assert liveness.observed_status(slow, NOW, now=limit - seconds) == "running"
    assert liveness.observed_status(slow, NOW, now=limit + seconds) == "killed"
    # a run from before heartbeats: judged by when its status file was written
    assert liveness.observed_status(_running(), beat, now=NOW + seconds) == "killed"
    assert liveness.observed_status(_running(), NOW, now=NOW + seconds) == "running"
    # how a run ended is what its status file says
    assert liveness.observed_status({"status": "finished"}, beat, now=NOW) == "finished"


def test_report_runs_on_an_empty_dir_is_one_line(tmp_path, capsys):
    from gandi.report import main
    assert main([str(tmp_path), "--runs"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no run folders" in err[0]
