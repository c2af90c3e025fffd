"""How fast gandi's detectors are on this machine, now: training and scoring images/s, AnoGAN's
batched latent search against one image at a time, and compiled against eager train steps.

Functions return numbers or rows and print nothing: `python -m gandi.benchmark` (its speed table)
and the scripts in `benchmarks/` are thin callers. Networks are untrained (built from the
detector's setting and seeded): speed does not depend on the weights. Steps run on the compute
device (`gandi.training.device`), after untimed warm-up steps that hold the tracing.

`measure(dataset, detectors, sizes)` returns one row per measured number, with the keys

    what      `train` (compiled train step, images/s), `score` (images/s), `train_compiled` and
              `train_eager` (steps/s), `compiled_speedup` (x); `anogan_batched`,
              `anogan_one_at_a_time` (the same compiled search, one image per call) and
              `anogan_reference_style` (a z variable and a Keras Adam per image, an eager loop),
              in ms/image; `anogan_speedup_one_at_a_time`, `anogan_speedup_reference_style` (x:
              how many times less time per image the batched search takes)
    detector  the detector measured (`anogan` for the AnoGAN comparison)
    value     the number (a float)
    unit      `images/s`, `steps/s`, `ms/image` or `x`
    note      what was timed: setting, images, steps, iterations, batch
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from gandi.training.device import compute_device
from gandi.settings.shipped import dataset_settings

COLUMNS = ["what", "detector", "value", "unit", "note"]


@dataclass(frozen=True)
class Sizes:
    """How much is timed. FULL takes a few minutes for every detector on 2 CPU cores, QUICK
    seconds."""
    warmup_steps: int = 3              # untimed compiled steps first: tracing is not speed
    train_steps: int = 50              # timed compiled train steps per detector
    eager_steps: int = 10              # timed eager train steps per detector (after one untimed)
    score_images: int = 10000          # test images scored per detector (at most the test set)
    anogan_score_images: int = 200     # AnoGAN's score in the table: its setting's iterations
    anogan_images: int = 1000          # batched vs one at a time: images searched batched
    anogan_iterations: int = 50        # ... with this many iterations each way
    anogan_single_images: int = 50     # one at a time, compiled: timed on the first N images
    anogan_reference_images: int = 10  # one at a time, reference style: the first N images


FULL = Sizes()
QUICK = Sizes(warmup_steps=2, train_steps=3, eager_steps=2, score_images=200,
              anogan_score_images=20, anogan_images=50, anogan_iterations=5,
              anogan_single_images=5, anogan_reference_images=2)


def validated(number: int, raw: dict, overrides: dict | None = None) -> dict:
    from gandi.settings.validation import validate
    return validate({**raw, **(overrides or {})}, label=str(number))


def build(setting: dict, data=None):
    """(detector, data): the setting's data (`data` when given: another build's) and its
    detector with seeded, untrained networks."""
    from gandi.data import load_splits
    from gandi.detectors import DETECTORS
    from gandi.training.compiled_step import MEASURE_FROM, with_step_chosen
    from gandi.training.loop import set_seeds
    data = load_splits(setting, np.random.default_rng(0)) if data is None else data
    # a speed is a long run's: jit_compile as such a run of the setting resolves it on this
    # machine (a short run trains plain whatever the step's speed: its compile would not pay)
    long_run = {**setting, "epochs": None, "steps": max(setting["steps"], MEASURE_FROM)}
    jit = with_step_chosen(long_run, data.train, data.sample_shape)["jit_compile"]
    setting = {**setting, "jit_compile": jit}
    set_seeds(0, 0)
    with compute_device():
        detector = DETECTORS[setting["detector"]](setting, data.sample_shape)
    return detector, data


def timed(fn):
    """(fn(), seconds it took)."""
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def steps_per_second(step_fn, batches, steps: int, warmup: int) -> float:
    """Train steps/s of `step_fn` on the next batches, after `warmup` untimed steps."""
    def run(n):
        for _ in range(n):
            out = step_fn(next(batches))
        float(next(iter(out.values())))  # wait for the last step to finish

    with compute_device():
        if warmup:
            run(warmup)
        return steps / timed(lambda: run(steps))[1]


def train_batches(detector, data):
    from gandi.training.loop import real_batches
    return iter(real_batches(data.train, detector.batch_per_step, 0))


def train_images_per_second(detector, data, steps: int, warmup: int = 3) -> float:
    """Training images/s of the detector's compiled train step."""
    return (steps_per_second(detector.train_step, train_batches(detector, data), steps, warmup)
            * detector.batch_per_step)


def compiled_vs_eager(detector, data, steps: int, eager_steps: int | None = None,
                      warmup: int = 5) -> dict:
    """{'compiled', 'eager'}: train steps/s of the compiled (tf.function) step and of the same
    step run eagerly, on the same networks and data."""
    batches = train_batches(detector, data)
    compiled = steps_per_second(detector.train_step, batches, steps, warmup)
    eager = steps_per_second(detector.train_step_eager, batches,
                             steps if eager_steps is None else eager_steps, min(warmup, 1))
    return {"compiled": compiled, "eager": eager}


def score_images_per_second(score, x) -> float:
    """Scoring throughput of `score` on x (traced first on a few images, outside the timing)."""
    score(x[:8])
    scores, seconds = timed(lambda: score(x))
    if scores.shape != (len(x),) or not np.all(np.isfinite(scores)):
        raise RuntimeError(f"scores of shape {scores.shape}, or not finite, for {len(x)} images")
    return len(x) / seconds


def detector_scoring(name: str, detector, data, images: int, anogan_images: int):
    """(images/s, note): the detector's anomaly score on the first test images; AnoGAN's costly
    final score with its setting's iterations on `anogan_images` only."""
    if name == "anogan":
        [score] = detector.final_scorers().values()
        n = min(anogan_images, len(data.test_x))
        s = detector.setting
        note = f"{n} images, {s['anogan_iterations']} iterations, batch {s['anogan_batch']}"
    else:
        score, n = detector.score, min(images, len(data.test_x))
        note = f"{n} images"
    return score_images_per_second(score, data.test_x[:n]), note


def detector_speeds(dataset: str, detectors=None, images: int = 10000, train_steps: int = 50,
                    anogan_images: int = 1000, overrides: dict | None = None):
    """Per detector (default: every detector with a setting on `dataset`): {'detector',
    'setting', 'train' (images/s), 'score' (images/s), 'score_note'}; yielded one by one."""
    settings = dataset_settings(dataset)
    for name in detectors or settings:
        number, raw = settings[name]
        detector, data = build(validated(number, raw, overrides))
        train = train_images_per_second(detector, data, train_steps)
        score, note = detector_scoring(name, detector, data, images, anogan_images)
        yield {"detector": name, "setting": number, "train": train, "score": score,
               "score_note": note}


def reference_style(search, x, z0, iterations: int, lr: float) -> np.ndarray:
    """AnoGAN one image at a time, eagerly, with a Keras optimiser per image (as per-sample
    reference code does)."""
    scores = []
    for image, z_start in zip(x, z0):
        image = tf.constant(image[None])
        features = search.features(image, training=False)
        z = tf.Variable(z_start[None])
        optimizer = keras.optimizers.Adam(learning_rate=lr, epsilon=1e-7)
        for _ in range(iterations):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(search._losses(image, z, features))
            optimizer.apply_gradients([(tape.gradient(loss, z), z)])
        scores.append(float(search._losses(image, z, features)[0]))
    return np.array(scores)


def anogan_batched_vs_single(detector, x, iterations: int, single_images: int | None = None,
                             reference_images: int | None = None) -> dict:
    """AnoGAN's latent search on the images x, same iterations and start z each way: batched
    (the setting's `anogan_batch` images together), one image per call of the same compiled
    search (on the first `single_images`), and reference style (on the first
    `reference_images`). Returns the seconds per image of each ('batched', 'single',
    'reference'), the image counts ('images', 'single_images', 'reference_images'), 'batch',
    and the largest relative score differences to the batched scores ('single_difference',
    'reference_difference'; scores must not depend on which images share a batch)."""
    from gandi.detectors.latent_search import LatentSearch
    s = detector.setting
    x = np.asarray(x, np.float32)
    n_single = min(len(x), single_images or len(x))
    n_reference = min(len(x), reference_images or n_single)
    with compute_device():
        search = LatentSearch(detector.generator, detector.discriminator, s["latent_dim"],
                              1, s["anogan_lambda"], s["anogan_lr"], detector.xla,
                              s["anogan_tolerance"])
        # trace (and with XLA compile) every batch shape timed below, one iteration each: the
        # iteration count is an argument of the compiled search, not part of its shape
        for n, batch in ((len(x), s["anogan_batch"]), (n_single, 1)):
            search.score(x[:n], batch)
        search.iterations = iterations
        batched, t_batched = timed(lambda: search.score(x, s["anogan_batch"]))
        single, t_single = timed(lambda: search.score(x[:n_single], 1))
        reference, t_reference = timed(lambda: reference_style(
            search, x[:n_reference], search.initial_latents(n_reference), iterations,
            s["anogan_lr"]))

    def difference(scores):
        base = batched[:len(scores)]
        return float(np.max(np.abs(base - scores) / np.maximum(np.abs(scores), 1e-6)))

    return {"batched": t_batched / len(x), "single": t_single / n_single,
            "reference": t_reference / n_reference, "images": len(x),
            "single_images": n_single, "reference_images": n_reference,
            "batch": s["anogan_batch"], "iterations": iterations,
            "single_difference": difference(single), "reference_difference": difference(reference)}


def _row(what, detector, value, unit, note) -> dict:
    return {"what": what, "detector": detector, "value": float(value), "unit": unit, "note": note}


def measure(dataset: str, detectors, sizes: Sizes = FULL, overrides: dict | None = None,
            progress=None) -> list[dict]:
    """The speed rows (see the module docstring) of `detectors` on `dataset`, each with its
    first setting there (plus `overrides`), and of AnoGAN batched vs one image at a time (with
    the dataset's AnoGAN setting, whether AnoGAN is among `detectors` or not). `progress(text)`
    is called before each part."""
    settings = dataset_settings(dataset)
    if "anogan" not in settings:
        raise ValueError(f"no {dataset} setting for anogan in run_params")
    say = progress or (lambda text: None)
    rows, built = [], {}
    for name in detectors:
        number, raw = settings[name]
        say(f"speed: {name}")
        detector, data = built[name] = build(validated(number, raw, overrides))
        steps = compiled_vs_eager(detector, data, sizes.train_steps, sizes.eager_steps,
                                  sizes.warmup_steps)
        score, score_note = detector_scoring(name, detector, data, sizes.score_images,
                                             sizes.anogan_score_images)
        batch = detector.batch_per_step
        step_note = f"setting {number}, {batch} images/step"
        rows += [
            _row("train", name, steps["compiled"] * batch, "images/s",
                 f"{step_note}, {sizes.train_steps} timed steps"),
            _row("score", name, score, "images/s", f"setting {number}, {score_note}"),
            _row("train_compiled", name, steps["compiled"], "steps/s",
                 f"{step_note}, {sizes.train_steps} timed steps"),
            _row("train_eager", name, steps["eager"], "steps/s",
                 f"{step_note}, {sizes.eager_steps} timed steps"),
            _row("compiled_speedup", name, steps["compiled"] / steps["eager"], "x",
                 "compiled steps/s over eager steps/s")]
    number, raw = settings["anogan"]
    say("speed: AnoGAN batched vs one image at a time")
    detector, data = built.get("anogan") or build(validated(number, raw, overrides))
    a = anogan_batched_vs_single(detector, data.test_x[:sizes.anogan_images],
                                 sizes.anogan_iterations, sizes.anogan_single_images,
                                 sizes.anogan_reference_images)
    common = f"setting {number}, {a['iterations']} iterations"
    rows += [
        _row("anogan_batched", "anogan", 1e3 * a["batched"], "ms/image",
             f"{common}, {a['images']} images, batch {a['batch']}"),
        _row("anogan_one_at_a_time", "anogan", 1e3 * a["single"], "ms/image",
             f"{common}, first {a['single_images']} images, compiled search, batch 1"),
        _row("anogan_reference_style", "anogan", 1e3 * a["reference"], "ms/image",
             f"{common}, first {a['reference_images']} images, z variable and Keras Adam per "
             "image, eager"),
        _row("anogan_speedup_one_at_a_time", "anogan", a["single"] / a["batched"], "x",
             "one-at-a-time ms/image over batched ms/image"),
        _row("anogan_speedup_reference_style", "anogan", a["reference"] / a["batched"], "x",
             "reference-style ms/image over batched ms/image")]
    return rows


def sizes_text(sizes: Sizes) -> str:
    """The sizes in words, for reports."""
    s = sizes
    return (f"per detector {s.warmup_steps} untimed and {s.train_steps} timed compiled train "
            f"steps, 1 untimed and {s.eager_steps} timed eager ones, {s.score_images} test "
            f"images scored (AnoGAN: {s.anogan_score_images}, with its setting's iterations); "
            f"AnoGAN batched vs one at a time: {s.anogan_images} images, "
            f"{s.anogan_iterations} iterations, one at a time on the first "
            f"{s.anogan_single_images} (compiled) and {s.anogan_reference_images} "
            "(reference style)")
