"""A run's signature and its folders under the log dir, atomic writes, and the status file.

Layout (one signature per run, one folder per kind of output, so that
`tensorboard --logdir log_dir/tensorboard` shows every run):

    log_dir/plots/<signature>/        PNG figures
    log_dir/checkpoints/<signature>/  TF checkpoints + the sweet-spot scoring networks (.keras)
    log_dir/logs/<signature>/         run.log (text log)
    log_dir/tensorboard/<signature>/  event files
    log_dir/results/<signature>/      results.pkl, status.json, setting.json (and, for tables,
                                      tabular_transform.json: the fitted feature transform)
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from gandi.outputs import liveness

KINDS = ("plots", "checkpoints", "logs", "tensorboard", "results")
SIGNATURE = re.compile(r"GAN_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_\d{6}_\d+-\d+_\w+")
STATUSES = ("running", "finished", "interrupted", "diverged", "failed")
# a run's test anomalies (its data record): the data's own, or corrupted copies of held-out
# normals (gandi.Detector.fit without eval_set); here, so that reports read them without TF
REAL, SYNTHETIC = "real", "synthetic"


class LogDirError(OSError):
    """The log dir cannot hold run outputs; the message is the one line the user sees."""


def signature(setting_id, numpy_seed: int, tf_seed: int, now: dt.datetime | None = None) -> str:
    """GAN_<YYYY-MM-DD_HH-MM-SS_micro>_<numpy seed>-<tf seed>_<setting>."""
    now = now or dt.datetime.now()
    return f"GAN_{now:%Y-%m-%d_%H-%M-%S}_{now:%f}_{numpy_seed}-{tf_seed}_{setting_id}"


MIN_FREE_BYTES = 100 * 2 ** 20  # a run's checkpoints, plots and results need a few MB each


def check_writable(log_dir, min_free: int = MIN_FREE_BYTES) -> Path:
    """Before any training: the log dir exists (created if needed), takes a file, and has room.
    Raises LogDirError: a read-only mount or a full disk is found now, not after an hour."""
    log_dir = Path(log_dir)
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=log_dir, prefix=".write-test-") as probe:
            probe.write(b"x" * 4096)
            probe.flush()
            os.fsync(probe.fileno())
        free = shutil.disk_usage(log_dir).free
    except OSError as err:
        raise LogDirError(f"log dir {str(log_dir)!r} is not writable: {err.strerror or err}") from None
    if free < min_free:
        raise LogDirError(f"log dir {str(log_dir)!r} has {free / 2 ** 20:.0f} MB free; a run "
                          f"needs at least {min_free / 2 ** 20:.0f} MB")
    return log_dir


def atomic_write_bytes(path, data: bytes):
    """Write to a temporary file beside `path`, then rename: readers see old or new, never torn."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_save(path, save):
    """Call `save(tmp_path)` (tmp_path keeps `path`'s suffix, which Keras needs), then rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        save(str(tmp))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class RunFolders:
    """The folders of one run; created together, exclusively (two runs never share one)."""

    def __init__(self, log_dir, sig: str):
        self.log_dir, self.signature = Path(log_dir), sig
        self._last_beat = None
        for kind in KINDS:
            setattr(self, kind, self.log_dir / kind / sig)

    @classmethod
    def create(cls, log_dir, setting_id, numpy_seed, tf_seed) -> "RunFolders":
        for _ in range(1000):
            run = cls(log_dir, signature(setting_id, numpy_seed, tf_seed))
            try:
                run.results.mkdir(parents=True)  # exclusive: fails if the signature is taken
            except FileExistsError:
                continue
            for kind in KINDS:
                getattr(run, kind).mkdir(parents=True, exist_ok=True)
            return run
        raise LogDirError(f"could not find a free run signature under {log_dir}")

    @property
    def results_file(self) -> Path:
        return self.results / "results.pkl"

    @property
    def status_file(self) -> Path:
        return self.results / "status.json"

    @property
    def log_file(self) -> Path:
        return self.logs / "run.log"

    def sweet_spot_model(self, network: str = "discriminator") -> Path:
        return self.checkpoints / f"sweet_spot_{network}.keras"

    @property
    def thresholds_file(self) -> Path:
        return self.checkpoints / "sweet_spot_thresholds.json"

    def write_thresholds(self, step: int, threshold: float, mc_threshold: float | None,
                         map_scale: float | None = None):
        """The detector's thresholds chosen in training (its threshold_ and mc_threshold_), for
        the networks exported at the sweet spot `step`: `gandi score` restores them with those;
        with the colour scale of their anomaly maps (`gandi.outputs.map_pictures`), if any."""
        atomic_write_bytes(self.thresholds_file, json.dumps(
            {"step": step, "threshold": threshold, "mc_threshold": mc_threshold,
             "map_scale": map_scale}, indent=2).encode())

    def read_thresholds(self) -> dict:
        return json.loads(self.thresholds_file.read_text())

    def ensemble_model(self, step: int, network: str) -> Path:
        return self.checkpoints / f"ensemble_{step}_{network}.keras"

    @property
    def ensemble_file(self) -> Path:
        return self.checkpoints / "checkpoint_ensemble.json"

    def write_ensemble(self, ensemble: dict):
        """The checkpoint ensemble's members (step, mean and std of its validation scores) and
        threshold: with `ensemble_model` files, what `gandi score --ensemble` needs."""
        atomic_write_bytes(self.ensemble_file, json.dumps(ensemble, indent=2).encode())

    def write_status(self, status: str, **info):
        """How the run stands. While it is `running` each write is a heartbeat: who runs it
        (host, pid) and when, so that a reader can tell a run that was killed (liveness)."""
        assert status in STATUSES, status
        if status == "running":
            beat = liveness.now_utc()
            if self._last_beat is not None:
                info["heartbeat_interval_s"] = round((beat - self._last_beat).total_seconds(), 3)
            self._last_beat = beat
            info = {**liveness.this_process(), "heartbeat": beat.isoformat(), **info}
        atomic_write_bytes(self.status_file,
                           json.dumps({"status": status, **info}, indent=2, default=str).encode())

    def read_status(self) -> dict:
        return json.loads(self.status_file.read_text())

    def last_checkpoint(self) -> int | None:
        """The step of the newest TF checkpoint, read from TF's plain-text index file
        (`model_checkpoint_path: "ckpt-<step>"`) so that reports need not import TensorFlow."""
        index = self.checkpoints / "checkpoint"
        if not index.is_file():
            return None
        found = re.search(r'^model_checkpoint_path: ".*?ckpt-(\d+)"', index.read_text(), re.M)
        return int(found.group(1)) if found else None

    @property
    def setting_file(self) -> Path:
        return self.results / "setting.json"

    def write_setting(self, setting_id, setting: dict, data: dict | None = None,
                      setting_hash: str | None = None):
        """The complete, validated setting (steps resolved): what --resume rebuilds the run from;
        with `data`, what the run ran on (gandi.settings.validation.data_record: a fingerprint of the data,
        a label, whether the test anomalies are real or synthetic), and `setting_hash`, what
        the method was (gandi.settings.fingerprint.run_setting_hash): what reports group by."""
        saved = {"setting_id": setting_id, "setting": setting}
        if data is not None:
            saved["data"] = data
        if setting_hash is not None:
            saved["setting_hash"] = setting_hash
        atomic_write_bytes(self.setting_file, json.dumps(saved, indent=2).encode())

    @property
    def transform_file(self) -> Path:
        return self.results / "tabular_transform.json"

    def write_transform(self, transform: dict):
        """Tables: the feature transform fitted on the training normals (TabularTransform)."""
        atomic_write_bytes(self.transform_file, json.dumps(transform, indent=2).encode())

    def read_saved(self) -> dict:
        """setting.json as write_setting wrote it: setting_id, setting, and (for runs since they
        were recorded) data and setting_hash."""
        return json.loads(self.setting_file.read_text())

    def read_setting(self) -> tuple:
        saved = self.read_saved()
        return saved["setting_id"], saved["setting"]

    def read_data_record(self) -> dict | None:
        """What write_setting recorded of the run's data; None for runs from before it did."""
        return self.read_saved().get("data")

    @classmethod
    def find(cls, spec: str, log_dir, option: str = "--resume") -> "RunFolders":
        """A run from a path to any of its folders (log_dir/<kind>/<signature>) or a signature
        under log_dir; raises LookupError with the one line to show (naming `option`)."""
        path = Path(spec)
        if path.is_dir() and path.parent.name in KINDS and SIGNATURE.fullmatch(path.name):
            run = cls(path.parent.parent, path.name)
        elif SIGNATURE.fullmatch(spec):
            run = cls(log_dir, spec)
        else:
            raise LookupError(f"{option} {spec!r}: expected a run signature (GAN_<date>_<time>_"
                              f"<micro>_<numpy seed>-<tf seed>_<setting>) or the path of one "
                              f"of its folders, e.g. log_dir/results/<signature>")
        if not run.setting_file.is_file():
            raise LookupError(f"{option} {spec!r}: no run {run.signature} under "
                              f"{str(run.log_dir)!r} (missing {run.setting_file})")
        return run
