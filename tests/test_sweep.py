"""Sweeps (`python -m gandi.sweep`): the same small sweep through the local pool and through Ray
gives the same table; a trial that raises is reported, not fatal, and retried; a sweep killed
mid-way resumes; bad specs get one line; each trial's TensorFlow uses the CPUs it was given."""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from conftest import MNIST_DIR, ROOT, needs_mnist
from gandi.outputs.results import load_results
from gandi.score.exported import load_exported
from gandi.studies.benchmark.__main__ import main as benchmark
from gandi.sweep.__main__ import main

SMALL = """settings: [1]
seeds: [0, 1]
steps: 40
track_every: 20
checkpoint_every: 20
n_train: 500
n_validation: 200
n_test_normal: 200
n_test_anomaly: 200
n_generated: 200
deterministic: true
"""
OUTCOME = ["trial", "setting", "overrides", "status", "error", "detector", "class", "seed", "auc",
           "f1", "oracle_best_auc"]  # signature and seconds differ from run to run


def _spec(tmp_path, text, name="spec.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _table(path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def test_local_and_ray_give_the_same_table(tmp_path):
    """Two trials (the spec's order over seeds and overrides is test_python_spec_and_class_
    ranges_expand_in_order's), both at once on each executor. Ray's trials run without a shared
    filesystem: each in a temporary folder of its worker (under the workers' own TMPDIR here),
    their run folders shipped back to the driver's separate log dir."""
    ray = pytest.importorskip("ray")
    spec = _spec(tmp_path, SMALL.replace("seeds: [0, 1]", "seeds: [1]") + "lr: [1.0e-3, 2.0e-4]\n")
    local_csv, ray_csv = tmp_path / "local.csv", tmp_path / "ray.csv"
    assert main([str(spec), "--jobs", "2", "--log-dir", str(tmp_path / "log"),
                 "--out", str(local_csv), "--no-progress"]) == 0
    nodes = tmp_path / "nodes"  # where the workers' temporary folders go
    nodes.mkdir()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"TMPDIR": str(nodes)}})
    try:
        assert main([str(spec), "--executor", "ray", "--no-shared-fs", "--log-dir",
                     str(tmp_path / "driver"), "--out", str(ray_csv), "--no-progress"]) == 0
        # the image benchmark's runs through the same executor (a quick cell)
        assert benchmark(["--quick", "--no-speed", "--detectors", "autoencoder", "--classes",
                          "1", "--data-dir", str(MNIST_DIR), "--executor", "ray",
                          "--no-shared-fs", "--out", str(tmp_path / "bench"), "--log-dir",
                          str(tmp_path / "driver")]) == 0
    finally:
        ray.shutdown()
    # its row is the shipped run's, which scores from the driver's log dir as gandi score would
    cell = pd.read_csv(tmp_path / "bench" / "mnist_normal_class.csv").iloc[0]
    assert cell["detector"] == "autoencoder" and cell["class"] == 1
    shipped = load_results(tmp_path / "driver" / "results" / cell["signature"] / "results.pkl")
    assert shipped["final"].set_index("detector").loc["autoencoder", "auc"] == pytest.approx(
        cell["auc"])
    exported = load_exported(cell["signature"], str(tmp_path / "driver"))
    assert len(exported.score(np.zeros((3, 28, 28, 1), np.float32))) == 3

    local, remote = _table(local_csv), _table(ray_csv)
    assert len(local) == 2 and (local["status"] == "finished").all()
    # the trial process's own CPU time, on either executor
    assert (local["cpu_seconds"] > 0).all() and (remote["cpu_seconds"] > 0).all()
    assert list(local["trial"]) == ["setting 1 seed 1 lr=0.001", "setting 1 seed 1 lr=0.0002"]
    pd.testing.assert_frame_equal(local[OUTCOME], remote[OUTCOME])
    # each trial is an ordinary run with its own signature folder, and the table is its result
    for log, table in (("log", local), ("driver", remote)):
        for row in table.itertuples():
            results = load_results(tmp_path / log / "results" / row.signature / "results.pkl")
            assert results["status"] == "finished" and results["seeds"]["numpy"] == row.seed
            lr = 1e-3 if row.trial.endswith("0.001") else 2e-4
            assert results["setting"]["lr_d"] == results["setting"]["lr_g"] == lr
            final = results["final"].set_index("detector").loc["discriminator"]
            assert final["auc"] == pytest.approx(row.auc)
    assert len(set(local["signature"]) | set(remote["signature"])) == 4
    # the driver's run folders hold what the local runs wrote, but the resume checkpoints
    def files(log, run):  # by path, the run's signature and the event files' stamps blanked
        return {re.sub(r"tfevents\..*", "tfevents", p.relative_to(log).as_posix()).replace(
            run, "RUN") for p in log.rglob("*") if p.is_file() and run in str(p)}

    for here, there in zip(local["signature"], remote["signature"]):
        wrote, shipped = files(tmp_path / "log", here), files(tmp_path / "driver", there)
        left = {p for p in wrote if re.search(r"/(ckpt-\d+\..+|checkpoint|tracker-\d+\.pkl)$", p)}
        assert left and shipped == wrote - left
    assert not list(nodes.glob("gandi_trial_*"))  # the workers' folders are gone


@needs_mnist
def test_a_failing_trial_is_reported_and_retried_not_fatal(tmp_path, capsys):
    broken = tmp_path / "broken"  # the four MNIST files, one of them corrupt
    broken.mkdir()
    for f in MNIST_DIR.glob("*.gz"):
        shutil.copy(f, broken / f.name)
    (broken / "train-images-idx3-ubyte.gz").write_bytes(b"not a gzip file")
    spec = _spec(tmp_path, f"""settings: [10]
data_dir: ["{MNIST_DIR}", "{broken}"]
epochs: null
steps: 4
track_every: 4
checkpoint_every: 4
train_limit: 128
test_limit: 100
n_generated: 50
jit_compile: false
""")  # XLA would compile for longer than the 4 steps train: the point is the failing trial
    out = tmp_path / "table.csv"
    args = [str(spec), "--jobs", "2", "--log-dir", str(tmp_path / "log"), "--out", str(out),
            "--no-progress"]
    assert main(args) == 1  # some trial failed: reported, and the sweep went on
    table = _table(out).set_index("trial")
    good, bad = (f"setting 10 seed 0 data_dir={d}" for d in (MNIST_DIR, broken))
    assert table.loc[good, "status"] == "finished" and 0 <= table.loc[good, "auc"] <= 1
    assert table.loc[bad, "status"] == "failed"
    assert "DataError" in table.loc[bad, "error"] and "train-images" in table.loc[bad, "error"]
    assert "1 trial(s) failed" in capsys.readouterr().err
    # fixed, the same command retries only the failed trial
    shutil.copy(MNIST_DIR / "train-images-idx3-ubyte.gz", broken)
    assert main(args) == 0
    assert "2 trial(s): 1 already done, 1 to run" in capsys.readouterr().out
    again = _table(out).set_index("trial")
    assert (again["status"] == "finished").all()
    assert again.loc[good, "signature"] == table.loc[good, "signature"]


def test_a_table_from_before_cpu_seconds_still_reads(tmp_path):
    from gandi.sweep.table import COLUMNS, read
    old = tmp_path / "old.csv"
    pd.DataFrame([{c: 1.0 for c in COLUMNS if c != "cpu_seconds"}]).to_csv(old, index=False)
    table = read(old)
    assert list(table.columns) == COLUMNS and table["cpu_seconds"].isna().all()


def test_a_killed_sweep_resumes(tmp_path):
    spec = _spec(tmp_path, SMALL)
    out = tmp_path / "table.csv"
    command = [sys.executable, "-m", "gandi.sweep", str(spec), "--jobs", "1",
               "--log-dir", str(tmp_path / "log"), "--out", str(out), "--no-progress"]
    sweep = subprocess.Popen(command, cwd=ROOT, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while not (out.is_file() and len(_table(out)) >= 1) and time.time() < deadline:
            time.sleep(0.2)
            assert sweep.poll() is None, "the sweep ended before it could be killed"
    finally:
        os.killpg(sweep.pid, signal.SIGKILL)  # the sweep and its trial processes
        sweep.wait()
    first = _table(out)
    assert len(first) == 1, "killed mid-way: one trial done, not both"
    assert main(command[3:]) == 0
    table = _table(out)
    assert list(table["trial"]) == [f"setting 1 seed {s}" for s in (0, 1)]
    assert (table["status"] == "finished").all()
    kept = table.set_index("trial").loc[first["trial"], "signature"]
    assert list(kept) == list(first["signature"])  # finished trials were not run again


@pytest.mark.parametrize("text, message", [
    ("seeds: [0]\n", "the spec needs 'settings'"),
    ("settings: [999]\n", "no setting 999 in run_params"),
    ("settings: [1]\nlearning_rate: [0.1]\n", "unknown key 'learning_rate'"),
    ("settings: [1]\nsteps: [100, -5]\n", "steps = -5 is not allowed"),
    ("settings: [12]\nnormal_class: 7-3\n", "needs a <= b"),
    ("settings: [1]\nseeds: []\n", "a list needs at least one value"),
    ("settings: [1\n", "not valid YAML"),
])
def test_bad_specs_get_one_line_and_exit_2(tmp_path, capsys, text, message):
    spec = _spec(tmp_path, text)
    assert main([str(spec), "--log-dir", str(tmp_path / "log")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "log").exists()  # nothing started, nothing written


def test_ray_only_flags_without_ray_get_one_line(tmp_path, capsys):
    spec = _spec(tmp_path, "settings: [1]\n")
    assert main([str(spec), "--no-shared-fs", "--log-dir", str(tmp_path / "log")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--address and --no-shared-fs are for --executor ray" in err


def test_a_shipped_run_is_written_whole_or_refused(tmp_path):
    """The driver's side of --no-shared-fs: files land at their paths; a path outside a run
    folder, or a run the driver already holds, is refused before anything is written."""
    from gandi.sweep.shipping import ShippingError, unpacked
    files = {"results/RUN/results.pkl": b"r", "checkpoints/RUN/sweet_spot_d.keras": b"k"}
    assert unpacked(files, tmp_path) == 2
    assert (tmp_path / "results" / "RUN" / "results.pkl").read_bytes() == b"r"
    with pytest.raises(ShippingError, match="run RUN is already under"):
        unpacked({"plots/RUN/x.png": b"p"} | files, tmp_path)
    assert not (tmp_path / "plots").exists()
    with pytest.raises(ShippingError, match="outside a run folder"):
        unpacked({"../evil": b"e"}, tmp_path / "driver")
    assert not (tmp_path / "evil").exists() and not (tmp_path / "driver").exists()


@pytest.mark.parametrize("key,near", [("lattent_dim", "; did you mean 'latent_dim'?"),
                                      ("seed", "; did you mean 'seeds'?"),  # spec's own
                                      ("learning_rate", "")])  # nothing near
def test_a_misspelt_spec_key_gets_the_nearest_not_every_key(key, near):
    from gandi.sweep import spec
    import run_params
    with pytest.raises(spec.SpecError) as err:
        spec.expand({"settings": [1], key: [4]}, run_params.SETTINGS)
    assert str(err.value) == (f"unknown key {key!r}{near} (a spec has settings, seeds, lr for "
                              "both learning rates, and the setting keys that python -m "
                              "gandi.playground --list --keys lists)")


def test_python_spec_and_class_ranges_expand_in_order():
    from gandi.sweep import spec
    import run_params
    trials = spec.expand({"settings": [12], "seeds": [0, 1], "normal_class": "2-3",
                          "lr": [1e-4]}, run_params.SETTINGS)
    assert [t.name for t, _ in trials] == [
        "setting 12 seed 0 normal_class=2", "setting 12 seed 0 normal_class=3",
        "setting 12 seed 1 normal_class=2", "setting 12 seed 1 normal_class=3"]
    _, setting = trials[1]
    # setting 12 is an anomaly_class setting: sweeping normal_class switches the protocol
    assert setting["normal_class"] == 3 and setting["anomaly_class"] is None
    assert setting["lr_d"] == setting["lr_g"] == 1e-4 and setting["tf_seed"] == 0


def test_a_trial_uses_the_cpus_it_was_given():
    code = ("from gandi.sweep.trial import limit_threads; limit_threads(1); "
            "import tensorflow as tf; "
            "print(tf.config.threading.get_intra_op_parallelism_threads(), "
            "tf.config.threading.get_inter_op_parallelism_threads())")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["1", "1"]


def test_the_shipped_example_spec_is_valid():
    from gandi.sweep import spec
    import run_params
    trials = spec.expand(spec.load(ROOT / "sweeps" / "mnist_classes.yaml"), run_params.SETTINGS)
    assert len(trials) == 2 * 3 * 10 * 2


def test_a_json_setting_file_is_a_setting_of_a_sweep(tmp_path, monkeypatch):
    """A user's own setting (the playground's --setting-file) sweeps like a numbered one,
    named after its file; a file that is missing or not JSON is one line."""
    import json
    import run_params
    from gandi.sweep import spec
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_gauss.json").write_text(json.dumps({**run_params.SETTINGS[1], "steps": 40}))
    trials = spec.expand({"settings": [1, "my_gauss.json"], "seeds": [0],
                          "lr": [1e-4, 2e-4]}, run_params.SETTINGS)
    assert [t.name for t, _ in trials] == [
        "setting 1 seed 0 lr=0.0001", "setting 1 seed 0 lr=0.0002",
        "setting my_gauss seed 0 lr=0.0001", "setting my_gauss seed 0 lr=0.0002"]
    _, setting = trials[3]
    assert setting["steps"] == 40 and setting["lr_g"] == 2e-4 and setting["name"]
    (tmp_path / "broken.json").write_text("{")
    for entry, message in (("nope.json", "nope.json: file not found"),
                           ("broken.json", "broken.json: not valid JSON")):
        with pytest.raises(spec.SpecError, match=message) as err:
            spec.expand({"settings": [entry]}, run_params.SETTINGS)
        assert "\n" not in str(err.value)
