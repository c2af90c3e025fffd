import datetime as dt
import os
import re
import socket

import pytest

from gandi.outputs.run_folder import (KINDS, LogDirError, RunFolders, atomic_write_bytes,
                                      check_writable, signature)


def test_signature_format():
    now = dt.datetime(2026, 3, 4, 5, 6, 7, 89)
    assert signature(4, 7, 8, now) == "GAN_2026-03-04_05-06-07_000089_7-8_4"
    assert re.fullmatch(r"GAN_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_\d{6}_1-2_3", signature(3, 1, 2))


def test_run_folders_are_exclusive_and_complete(tmp_path):
    runs = [RunFolders.create(tmp_path, 1, 0, 0) for _ in range(5)]
    assert len({r.signature for r in runs}) == 5
    for run in runs:
        for kind in KINDS:
            assert (tmp_path / kind / run.signature).is_dir()


def test_status_file_round_trip(tmp_path):
    run = RunFolders.create(tmp_path, 2, 0, 0)
    run.write_status("finished", step=10)
    assert run.read_status() == {"status": "finished", "step": 10}
    with pytest.raises(AssertionError):
        run.write_status("exploded")


def test_a_running_status_is_a_heartbeat_of_this_process(tmp_path):
    run = RunFolders.create(tmp_path, 2, 0, 0)
    run.write_status("running")
    first = run.read_status()
    assert (first["pid"], first["host"]) == (os.getpid(), socket.gethostname())
    assert "heartbeat_interval_s" not in first  # one beat has no interval yet
    run.write_status("running", step=100)
    second = run.read_status()
    beats = [dt.datetime.fromisoformat(s["heartbeat"]) for s in (first, second)]
    assert second["step"] == 100 and beats[1] >= beats[0]
    assert second["heartbeat_interval_s"] == pytest.approx(
        (beats[1] - beats[0]).total_seconds(), abs=1e-3)  # both rounded to the millisecond


def test_unwritable_log_dir(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(LogDirError, match="is not writable"):
        check_writable(blocker / "log_dir")
    assert check_writable(tmp_path / "new" / "dir").is_dir()


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "x.bin"
    atomic_write_bytes(target, b"old")
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]


def test_pickles_load_only_from_run_folders(tmp_path):
    from gandi.outputs.results import load_results, write_results
    stray = tmp_path / "results.pkl"
    write_results(stray, {"a": 1})
    with pytest.raises(ValueError, match="a pickle can run code"):
        load_results(stray)
    assert load_results(stray, trusted=True) == {"a": 1}
    run = RunFolders.create(tmp_path, 5, 0, 0)
    write_results(run.results_file, {"b": 2})
    assert load_results(run.results_file) == {"b": 2}
    renamed = run.results / "other.pkl"
    run.results_file.rename(renamed)
    with pytest.raises(ValueError):
        load_results(renamed)
