import json
import os
import subprocess
import sys

import pytest

import run_params
from conftest import ROOT, gandi_stderr
from gandi.cli import EXIT_BAD_INPUT
from gandi.playground import main


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
    (["--bogus"], "unrecognized arguments: --bogus (see --help)"),  # nothing near
    (["--seeed", "3"], "unrecognized arguments: --seeed 3; did you mean '--seed'? (see --help)"),
    (["--log_dir=x"], "unrecognized arguments: --log_dir=x; did you mean '--log-dir'?"),
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
    assert gandi_stderr(proc.stderr) == ["gandi.playground: error: setting 1: steps = 0 is not "
                                         "allowed; expected an integer > 0"]
    assert "Traceback" not in proc.stdout


@pytest.mark.parametrize("setting,expected", [
    ({"stepz": 5}, "setting mine: unknown key 'stepz'; did you mean 'steps'? (python -m "
                   "gandi.playground --list --keys lists every key)"),
    ({"detector": "autoencodr"}, "setting mine: detector = 'autoencodr' is not allowed; expected "
     "one of aae, anogan, autoencoder, discriminator, discriminator_knn, discriminator_lof, egbad, fencegan, "
     "ganomaly, mo_gaal, so_gaal, vae; did you mean 'autoencoder'?"),
    ({"zzzz": 5}, "setting mine: unknown key 'zzzz' (python -m gandi.playground --list --keys "
                  "lists every key)"),  # nothing near: where the keys are, not all of them
])
def test_a_misspelt_key_or_name_in_a_setting_file_gets_the_nearest(tmp_path, capsys, setting,
                                                                   expected):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(setting))
    log_dir = tmp_path / "log"
    assert main(["--setting-file", str(path), "--log-dir", str(log_dir)]) == EXIT_BAD_INPUT
    assert _error_line(capsys) == f"gandi.playground: error: {expected}"
    assert not log_dir.exists()


def _exit_line(capsys, command, argv, prefix) -> str:
    """The one error line of a command whose parser exits (status 2) or whose main returns 2."""
    try:
        status = command(argv)
    except SystemExit as stop:
        status = stop.code
    assert status == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{prefix}: error: "), err
    return err[0]


def _commands():
    from gandi import __main__ as gandi_command
    from gandi.studies.benchmark import __main__ as benchmark
    from gandi import export, report
    from gandi.score import __main__ as score
    from gandi.sweep import __main__ as sweep
    return {"gandi.score": score.main, "gandi.sweep": sweep.main, "gandi export": export.main,
            "gandi.report": report.main, "gandi.benchmark": benchmark.main,
            "gandi": gandi_command.main}


@pytest.mark.parametrize("prefix,argv,suggestion", [
    ("gandi.score", ["RUN", "DATA", "--ensmble"], "--ensemble"),
    ("gandi.sweep", ["s.yaml", "--executor", "rya"], "ray"),  # a value from a fixed set
    ("gandi.sweep", ["s.yaml", "--jbos", "2"], "--jobs"),
    ("gandi export", ["RUN", "PATH", "--onxx"], "--onnx"),
    ("gandi.report", ["--markdwn"], "--markdown"),
    ("gandi.benchmark", ["--dataset", "minst"], "mnist"),
    ("gandi", ["scroe"], "score"),
])
def test_every_command_suggests_the_flag_or_name_meant(capsys, prefix, argv, suggestion):
    line = _exit_line(capsys, _commands()[prefix], argv, prefix)
    assert f"; did you mean {suggestion!r}? (see " in line, line


@pytest.mark.parametrize("prefix,argv,expected", [
    ("gandi.sweep", ["s.yaml", "--executor", "slurm"],
     "argument --executor: invalid choice: 'slurm' (choose from 'local', 'ray') (see --help)"),
    ("gandi.score", ["RUN", "DATA", "--zzzz"], "unrecognized arguments: --zzzz (see --help)"),
    ("gandi", ["zzzz"], "unknown command 'zzzz'; expected one of playground, score, sweep, "
                        "export (see gandi --help)"),
])
def test_a_far_off_flag_or_name_gets_no_suggestion(capsys, prefix, argv, expected):
    assert _exit_line(capsys, _commands()[prefix], argv, prefix) == f"{prefix}: error: {expected}"


def test_real_process_misspelt_flag_exits_2_with_the_suggestion():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "gandi.playground", "--settings", "1",
                           "--stesp", "5"], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 2
    assert gandi_stderr(proc.stderr) == [
        "gandi.playground: error: unrecognized arguments: --stesp 5; did you mean '--steps'? "
        "(see --help)"]


def test_the_summary_line_says_a_criterion_below_chance_and_where_the_plots_are(tmp_path):
    """A sweet spot whose label-free criterion is below 0.5 (setting 40 once: val_vs_synthetic
    0.361) is no detector at any step: the line says so; so does a run stop_patience ended
    early; and it names the plots folder."""
    from gandi.outputs.run_folder import RunFolders
    from gandi.playground import _summary_line
    run = RunFolders(tmp_path, "GAN_2026-12-04_10-00-00_000000_0-0_x")
    results = {"status": "finished", "signature": run.signature, "run": run,
               "best_test_auc": None,
               "sweet_spot": {"step": 40, "criterion": "val_vs_synthetic",
                              "criterion_value": 0.361, "test_auc": 0.42}}
    line = _summary_line(40, results)
    assert "val_vs_synthetic=0.361, below chance: no step told normals from the reference" in line
    assert line.endswith(f"; plots: {run.plots}")
    results["sweet_spot"]["criterion_value"] = 0.9
    assert "below chance" not in _summary_line(40, results)
    assert "stopped early" not in _summary_line(40, results)
    results["stopped_early"] = {"step": 600, "budget": 8000, "patience": 5}
    assert ("finished (GAN_2026-12-04_10-00-00_000000_0-0_x): stopped early at step 600 of "
            "8000 (the criterion gained nothing for 5 tracked steps); sweet spot at step 40"
            in _summary_line(40, results))
