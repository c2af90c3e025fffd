"""Ctrl-C during a real run leaves its last checkpoint and the results so far, readable."""
import os
import signal
import subprocess
import sys
import time

from conftest import ROOT
from gandi.outputs.results import load_results


def test_ctrl_c_saves_checkpoint_and_partial_results(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "gandi.playground", "--settings", "1",
                             "--steps", "1000000", "--log-dir", str(tmp_path), "--no-progress"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 120
    log = None
    while time.time() < deadline:  # wait until training is past a few tracked steps
        logs = list((tmp_path / "logs").glob("*/run.log"))
        if logs and "step 300:" in logs[0].read_text():
            log = logs[0]
            break
        time.sleep(0.2)
    assert log is not None, "the run never reached step 300"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    sig = log.parent.name
    results = load_results(tmp_path / "results" / sig / "results.pkl")
    assert results["status"] == "interrupted"
    last = results["last_step"]
    assert last >= 300 and results["measurements"]["step"].iloc[-1] >= 300
    checkpoint_index = (tmp_path / "checkpoints" / sig / "checkpoint").read_text()
    assert f"ckpt-{last}" in checkpoint_index
    assert (tmp_path / "results" / sig / "status.json").read_text().count("interrupted") == 1
