import os
import subprocess
import sys

import pytest

import run_params
from conftest import ROOT
from gandi.playground import EXIT_BAD_INPUT, main


def _error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("gandi.playground: error: ")
    return err[0]


def test_list_prints_every_numbered_setting(capsys):
    assert main(["--list"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split()[:2] == ["#", "name"]
    assert [line.split()[0] for line in lines[1:]] == [str(n) for n in sorted(run_params.SETTINGS)]


@pytest.mark.parametrize("args,expected", [
    (["--settings", "999"], "unknown setting '999'; available: 1, 2"),
    (["--settings", "one"], "unknown setting 'one'"),
    (["--steps", "-5"], "setting 1: steps = -5 is not allowed; expected an integer > 0"),
    (["--seed", "-1"], "numpy_seed = -1"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--steps", "ten"], "argument --steps: invalid int value: 'ten'"),
])
def test_bad_arguments_give_one_line_and_no_run_folder(tmp_path, capsys, args, expected):
    log_dir = tmp_path / "log"
    assert main([*args, "--log-dir", str(log_dir)]) == EXIT_BAD_INPUT
    assert expected in _error_line(capsys)
    assert not log_dir.exists()


def test_a_bad_setting_stops_before_any_run(tmp_path, capsys, monkeypatch):
    settings = dict(run_params.SETTINGS)
    settings[50] = {"name": "typo", "lr_d": 0}
    monkeypatch.setattr(run_params, "SETTINGS", settings)
    log_dir = tmp_path / "log"
    # setting 1 is fine, 50 is not: nothing runs, nothing is written
    assert main(["--settings", "1", "50", "--log-dir", str(log_dir)]) == EXIT_BAD_INPUT
    assert "setting 50: lr_d = 0 is not allowed; expected a number > 0" in _error_line(capsys)
    assert not log_dir.exists()


def test_unwritable_log_dir(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["--steps", "5", "--log-dir", str(blocker / "sub")]) == EXIT_BAD_INPUT
    assert "is not writable" in _error_line(capsys)


def test_real_process_exit_status_and_single_line():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "gandi.playground", "--settings", "1",
                           "--steps", "0"], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("gandi.playground: error: setting 1: steps = 0 is not "
                                   "allowed; expected an integer > 0")
    assert "Traceback" not in proc.stdout
