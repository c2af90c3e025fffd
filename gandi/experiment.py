"""One run, end to end: setting -> data -> detector -> training with the Tracker -> run folders."""
from __future__ import annotations

import contextlib
import logging
import time
from typing import Iterator

import numpy as np
import tensorflow as tf

from gandi.data import load_splits
from gandi.data.splits import SYNTHETIC, SYNTHETIC_NOTE
from gandi.detectors import DETECTORS
from gandi.training.compiled_step import with_step_chosen
from gandi.training.precision import with_precision_chosen
from gandi.training.device import compute_device
from gandi.nets import precision_of
from gandi.outputs.run_folder import RunFolders
from gandi.settings import validation as settings
from gandi.settings.fingerprint import run_setting_hash
from gandi.settings.validation import SettingError
from gandi.tracking.selection import sweet_spot_summary
from gandi.tracking.tracker import Tracker
from gandi.training.loop import set_seeds, train


@contextlib.contextmanager
def run_log(run: RunFolders) -> Iterator[logging.Logger]:
    """The run's text log (log_dir/logs/<signature>/run.log), closed when the run ends: a
    process that runs many settings keeps no file open per finished run."""
    log = logging.getLogger(f"gandi.run.{run.signature}")
    log.setLevel(logging.INFO)
    log.propagate = False
    handler = logging.FileHandler(run.log_file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    try:
        yield log
    finally:
        log.removeHandler(handler)
        handler.close()


def resolve_steps(setting: dict, n_train: int, label="?") -> dict:
    """Turn `epochs` into steps now that the training set's size is known; check the batch fits."""
    detector = DETECTORS[setting["detector"]]
    per_step = detector.samples_per_step(setting)
    if per_step > n_train:
        what = "batch_size * d_steps" if detector.uses_d_steps else "batch_size"
        raise SettingError(f"setting {label}: {what} = {per_step} is larger than the "
                           f"{n_train} training samples; lower {what.replace(' * ', ' or ')}")
    if setting["epochs"] is None:
        return setting
    steps = max(1, int(np.ceil(setting["epochs"] * n_train / per_step)))
    return {**setting, "steps": steps}


def run_setting(setting_id, setting: dict, log_dir, progress: bool = True,
                data_record: dict | None = None) -> dict:
    """Train one validated setting; return its results dict (also pickled in the run folder).
    `data_record`: what the run's data are (gandi.settings.validation.data_record), when its data keys do
    not say it (gandi.Detector.fit's files are new for every fit)."""
    set_seeds(setting["numpy_seed"], setting["tf_seed"])
    data = load_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    setting = resolve_steps(setting, len(data.train), setting_id)
    # one word for "the test anomalies are corrupted normals", however the run learnt it: from
    # its data (a normal-only table) or from its caller (a Python fit without eval_set)
    if data_record is not None and data_record["test_anomalies"] == settings.SYNTHETIC:
        data.test_anomalies = SYNTHETIC
    if data_record is None:
        data_record = settings.data_record(
            setting, settings.SYNTHETIC if data.test_anomalies == SYNTHETIC else settings.REAL,
            contents=data.contents)
    if data.contents is not None:  # the files read, for a resume to check they are still so
        data_record = {**data_record, "contents": data.contents}
    precision_of(setting)  # a precision this process cannot run is refused before any folder
    run = RunFolders.create(log_dir, setting_id, setting["numpy_seed"], setting["tf_seed"])
    run.write_setting(setting_id, setting, data_record, run_setting_hash(setting))
    if data.transform is not None:  # what a later scoring step applies to new rows
        run.write_transform(data.transform)
    return _train_and_finish(run, setting_id, setting, data, progress, resume=False)


def resume_run(run: RunFolders, progress: bool = True) -> dict:
    """Continue a run from its latest checkpoint: networks, optimisers, noise and dropout state,
    step, and the Tracker's history and sweet spot. The data are drawn again from the seed."""
    if tf.train.latest_checkpoint(str(run.checkpoints)) is None:
        raise ResumeError(f"run {run.signature} has no checkpoint to resume from (a run "
                          f"checkpoints every checkpoint_every steps)")
    status = run.read_status().get("status") if run.status_file.exists() else None
    if status == "finished":
        raise ResumeError(f"run {run.signature} has already finished; nothing to resume")
    setting_id, setting = run.read_setting()
    set_seeds(setting["numpy_seed"], setting["tf_seed"])
    data = load_splits(setting, np.random.default_rng(setting["numpy_seed"]))
    record = run.read_data_record()  # a Python fit's synthetic test set is said by its record
    if record is not None and record.get("contents") not in (None, data.contents):
        where = next((str(setting[k]) for k in ("image_dir", "data_file", "train_file",
                                                 "test_file") if setting.get(k)), "the data")
        raise ResumeError(f"run {run.signature}: its data files changed since it started "
                          f"({where} hashes to another value now); resuming would train on "
                          f"other data: start a new run")
    if record is not None and record["test_anomalies"] == settings.SYNTHETIC:
        data.test_anomalies = SYNTHETIC
    return _train_and_finish(run, setting_id, setting, data, progress, resume=True)


def _train_and_finish(run, setting_id, setting, data, progress, resume) -> dict:
    """A run's life in three phases: set up (build the detector and its Tracker, or restore
    both from the latest checkpoint), train (with automatic restarts after a divergence), and
    finish (final tables, plots, results and the status saying how the run ended), the last
    whatever happened in the first two."""
    with run_log(run) as log:
        run.write_status("running")
        _log_start(log, run, setting_id, setting, data, resume)
        started = time.time()
        step, status, error = 0, "failed", None
        tracker = None
        try:
            tracker, step = _set_up(run, setting_id, setting, data, log, resume)
            step, status, error = _train_with_restarts(tracker, data, setting, step, progress,
                                                       f"setting {setting_id}", log)
        except KeyboardInterrupt:  # Ctrl-C outside the step loop (building, first evaluation)
            status = "interrupted"
        except Exception as err:  # the run folder must still say how the run ended
            error = f"{type(err).__name__}: {err}"
            log.exception("run failed at step %d", step)
            raise
        finally:
            results = _finish(run, tracker, step, status, error, progress, started, log)
    results["run"] = run
    return results


def _log_start(log, run, setting_id, setting, data, resume):
    if resume:
        log.info("resuming run %s", run.signature)
        return
    log.info("run %s, setting %s: %s", run.signature, setting_id, setting)
    log.info("data: %d train, %d validation, %d test (%d anomalies); %s", len(data.train),
             len(data.validation), len(data.test_y), int(data.test_y.sum()), data.description)
    record = run.read_data_record()
    log.info("data %s (fingerprint %s); test anomalies: %s", record["label"],
             record["fingerprint"], record["test_anomalies"])
    if data.test_anomalies == SYNTHETIC:  # a number the user must not read as real detection
        log.warning("the data hold no anomaly: the test anomalies are corrupted copies of the "
                    "test normals, so every test AUC of this run (curve, sweet spot, final "
                    "table) is %s", SYNTHETIC_NOTE)


def _set_up(run, setting_id, setting, data, log, resume) -> tuple[Tracker, int]:
    """The detector and its Tracker at the step training starts from."""
    if setting["deterministic"]:
        tf.config.experimental.enable_op_determinism()
    # "auto" resolved (XLA, then precision; perhaps timing throwaway detectors), then the seeds
    # set again: the detector starts from the same random state whether or not its step was
    # measured now
    setting = with_step_chosen(setting, data.train, data.sample_shape, log)
    setting = with_precision_chosen(setting, data.train, data.sample_shape, log)
    set_seeds(setting["numpy_seed"], setting["tf_seed"])
    with compute_device():
        detector = DETECTORS[setting["detector"]](setting, data.sample_shape)
    tracker = Tracker(setting, setting_id, detector, data, run, log)
    if resume:
        step = tracker.restore()
        log.info("resumed at step %d", step)
        return tracker, step
    tracker.evaluate(0)  # the untrained detector: where the curve starts
    return tracker, 0


def _train_with_restarts(tracker, data, setting, step, progress, description, log):
    """Train to the end; after a divergence, restart from the last good checkpoint with lower
    learning rates, at most divergence_restarts times. Returns (step, status, error)."""
    restarts_left = setting["divergence_restarts"]
    while True:
        step, status, error = train(tracker.detector, data, setting, tracker,
                                    progress=progress, start_step=step, description=description)
        if error:
            log.error(error)
        if status != "diverged" or restarts_left == 0 or not tracker.has_checkpoint():
            return step, status, error
        restarts_left -= 1
        step = _restart_slower(tracker.detector, tracker, setting["divergence_lr_factor"],
                               error, log)


def _finish(run, tracker, step, status, error, progress, started: float, log) -> dict:
    """What a run leaves however it ended: the Tracker's final outputs (when it was built) and
    the status file."""
    results = (tracker.finish(step, status, error, progress=progress)
               if tracker is not None else {})
    seconds = time.time() - started  # finishing included: the final scorers can take long
    status = results.get("status", status)
    run.write_status(status, step=step, error=results.get("error", error),
                     seconds=round(seconds, 1), last_checkpoint=run.last_checkpoint(),
                     sweet_spot=sweet_spot_summary(results.get("sweet_spot")))
    log.info("run %s %s at step %d after %.1f s", run.signature, status, step, seconds)
    tracking = results.get("tracking_seconds") or {}
    if np.isfinite(tracking.get("seconds", np.nan)):
        log.info("its tracked steps took %.1f s (%.1f s of CPU), over the run's life",
                 tracking["seconds"], tracking["cpu_seconds"])
    for warning in results.get("warnings", []):
        log.warning(warning)
    return results


def _restart_slower(detector, tracker, factor: float, error: str, log) -> int:
    """After a divergence: back to the last good checkpoint, learning rates times `factor`."""
    step = tracker.restore()
    rates = {}
    for name, optimizer in detector.optimizers.items():
        optimizer.learning_rate.assign(float(optimizer.learning_rate.numpy()) * factor)
        rates[name] = float(optimizer.learning_rate.numpy())
    tracker.record_restart(error, step, rates)
    log.warning("%s; restarting from the checkpoint at step %d with learning rates %s",
                error, step, rates)
    return step


class ResumeError(ValueError):
    """A run that cannot be resumed; the message is the one line the user sees."""
