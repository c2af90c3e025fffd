"""What the efficiency benchmark rests on: the machine's description and peak, the FLOP count of
a step, and the batch pipeline that ends with the run."""
import numpy as np
import pytest
import tensorflow as tf

from conftest import MNIST_DIR, needs_mnist
from gandi.studies.efficiency import flops_per_image
from gandi.training.machine import describe, describe_text, fp32_flops_per_cycle
from gandi.training.loop import real_batches


@pytest.mark.parametrize("flags,per_cycle", [
    ({"avx", "avx2", "fma", "avx512f"}, 64), ({"avx", "avx2", "fma"}, 32), ({"avx"}, 16),
    (set(), 8), ({"avx", "avx2"}, 16)])  # AVX2 without FMA: no fused multiply-add
def test_fp32_flops_per_cycle_follow_the_vector_flags(flags, per_cycle):
    assert fp32_flops_per_cycle(flags) == per_cycle


def test_the_machine_is_named_with_its_cores_flags_and_peak():
    m = describe()
    assert m["cores"] >= 1 and m["cpu"] and m["tf"] == tf.__version__
    if m["mhz"] is not None:
        assert m["peak_gflops"] == pytest.approx(
            m["cores"] * m["mhz"] / 1000 * m["flops_per_cycle"])
    text = describe_text(m)
    assert m["cpu"] in text and f"{m['cores']} cores" in text and "TensorFlow" in text


def test_the_profiler_counts_a_matrix_product_as_2mnk_flops_per_call():
    w = tf.Variable(tf.ones((16, 8)))

    @tf.function
    def step(x):
        return tf.matmul(x, w)

    batch = tf.ones((4, 16))
    assert flops_per_image(step, batch) == 2 * 4 * 16 * 8 / 4


def test_the_batches_end_with_the_run_and_equal_the_endless_ones():
    train = np.arange(50 * 3, dtype=np.float32).reshape(50, 3)
    finite = [b.numpy() for b in real_batches(train, 8, seed=3, first_step=4, last_step=9)]
    endless = iter(real_batches(train, 8, seed=3, first_step=4))
    assert len(finite) == 6  # steps 4..9
    for batch in finite:
        assert np.array_equal(batch, next(endless).numpy())


def test_each_layer_is_timed_alone_with_its_forward_and_both_gradients():
    """benchmarks/efficiency.py --layers: one row per layer of a chain (the input layer not a
    row), each fed the previous layer's output; a bias-free Dense(4 -> 3) on 8 rows counts its
    three matrix products (forward, the input's and the kernel's gradients: 3 x 2 x 4 x 3
    FLOPs per row) and at most one more FLOP per gradient element (the sums that keep the
    gradients from being pruned)."""
    import keras
    from gandi.studies.efficiency import layer_rates
    x = keras.Input((4,))
    model = keras.Model(x, keras.layers.ReLU()(keras.layers.Dense(3, use_bias=False)(x)))
    rows = layer_rates(model, tf.random.normal((8, 4), seed=1), timed_steps=2, rounds=1)
    assert [(r["kind"], r["output"]) for r in rows] == [("Dense", "3"), ("ReLU", "3")]
    dense = rows[0]["mflop_per_image"] * 1e6
    assert 72 <= dense <= 72 + (8 * 4 + 4 * 3 + 2) / 8, dense
    assert all(r["ms_per_batch"] > 0 for r in rows)


def test_the_tracking_share_is_measured_both_ways_on_whole_runs():
    """Paired whole runs (tracked as set, tracked at the ends only) and each tracked run's own
    record of its tracked steps: shares of its time, so within (0, 1)."""
    import run_params
    from gandi.experiment import resolve_steps
    from gandi.settings.validation import validate
    from gandi.studies.efficiency import tracking_share
    setting = validate({**run_params.SETTINGS[1], "steps": 40, "track_every": 10,
                        "n_train": 500, "n_validation": 200, "n_test_normal": 200,
                        "n_test_anomaly": 200, "n_generated": 200}, label="1")
    setting = resolve_steps(setting, 500, 1)
    seconds = tracking_share(1, setting, rounds=1)
    assert len(seconds["tracked"]) == len(seconds["ends_only"]) == len(seconds["in_run"]) == 1
    assert 0 < seconds["in_run"][0] < 1
    assert seconds["share"] == 1 - seconds["ends_only"][0] / seconds["tracked"][0]


@pytest.fixture
def script(monkeypatch):
    """benchmarks/efficiency.py as a module (a script, not a package: loaded from its file)."""
    import importlib.util

    from conftest import ROOT
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))  # the script imports its neighbours
    spec = importlib.util.spec_from_file_location("efficiency_script",
                                                  ROOT / "benchmarks" / "efficiency.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_machines_earlier_figures_come_from_its_own_copy(tmp_path, script):
    """benchmarks/efficiency.py writes efficiency.json (the latest machine's, which the paper
    reads) and a copy per machine. A part not measured this time keeps the figures of the same
    machine's copy, even when efficiency.json holds another machine's by then."""
    import json
    path = tmp_path / "efficiency.json"
    a = {"text": "CPU A", "cpu": "CPU A", "family_model": "family 1, model 2"}
    b = {"text": "CPU B", "cpu": "CPU B", "family_model": "family 3, model 4"}
    grid = {"dataset": "mnist", "class": 0, "seconds": {"vae": 60.0}}
    script.write_measured(path, {"machine": a, "tracking": {"10": {"share": 0.1}}, "grid": grid})
    script.write_measured(path, {"machine": b, "tracking": {}})  # another machine, no grid
    assert json.loads(path.read_text())["machine"] == b and "grid" not in json.loads(
        (tmp_path / "efficiency.cpu_b_family_3_model_4.json").read_text())
    script.write_measured(path, {"machine": a, "tracking": {"22": {"share": 0.2}}})  # A again
    again = json.loads(path.read_text())
    assert again["grid"] == grid
    assert again["tracking"] == {"10": {"share": 0.1}, "22": {"share": 0.2}}
    assert json.loads((tmp_path / "efficiency.cpu_a_family_1_model_2.json").read_text()) == again


@needs_mnist
def test_the_grid_through_the_local_pool_times_each_cell_in_its_own_process(script,
                                                                             monkeypatch):
    """`--grid-class`'s second timing: the class's cells through `gandi.benchmark --executor
    local` (one process per cell, one CPU each): each cell's row comes back from its trial
    process with that process's own CPU time, and the class's wall time holds them."""
    monkeypatch.setenv("GANDI_DATA_DIR", str(MNIST_DIR.parent))
    pool = script.grid_times("mnist", 1, ["autoencoder"], "local", quick=True)
    assert pool["jobs"] >= 1 and set(pool["seconds"]) == set(pool["cpu_seconds"]) == {
        "autoencoder"}
    # the trial's CPU is its own process's (this one only waited), and it ran inside the wall
    assert 0 < pool["cpu_seconds"]["autoencoder"] and 0 < pool["seconds"]["autoencoder"] <= \
        pool["wall_seconds"]
