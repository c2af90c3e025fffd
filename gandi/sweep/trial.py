"""One trial, run in its own process (a pool worker or a Ray task): an ordinary playground run,
with TensorFlow's thread pools sized to the CPUs the trial was given.

Thread pools can only be sized before TensorFlow starts its runtime, which is why each trial gets
a fresh process (`max_tasks_per_child=1` locally, `max_calls=1` on Ray): trials sharing a machine
then use their own cores instead of each spreading over all of them.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import traceback

from gandi.outputs.run_rows import clock, spent


def limit_threads(cpus: int):
    """Size TensorFlow's (and OpenMP's) thread pools to `cpus`; call before TF is imported."""
    os.environ["OMP_NUM_THREADS"] = str(cpus)
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(cpus)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1" if cpus < 4 else "2"
    from gandi.cli import import_tensorflow_quietly
    import_tensorflow_quietly()
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(cpus)
    tf.config.threading.set_inter_op_parallelism_threads(1 if cpus < 4 else 2)


def run_trial(name: str, setting_id: int, setting: dict, log_dir: str | None, cpus: int) -> dict:
    """Run one validated setting; return its row for the sweep's table. An exception is the
    trial's outcome (status `failed` and the error in one line), not the sweep's end.
    `log_dir` None: no shared filesystem; the run goes to a temporary log dir of this node and
    its files come back in the row's `files` (gandi.sweep.shipping), the folder removed."""
    if log_dir is None:
        own = tempfile.mkdtemp(prefix="gandi_trial_")
        try:
            row = run_trial(name, setting_id, setting, own, cpus)
            if row.get("signature"):
                from gandi.sweep.shipping import packed
                row["files"] = packed(own, row["signature"])
            return row
        finally:
            shutil.rmtree(own, ignore_errors=True)
    started = clock()
    row = {"trial": name, "setting": setting_id, "status": "failed", "error": ""}
    try:
        limit_threads(cpus)
        from gandi.outputs.run_rows import result_row
        from gandi.experiment import run_setting
        results = run_setting(setting_id, setting, log_dir, progress=False)
        cls = setting.get("normal_class")
        cls = setting.get("anomaly_class") if cls is None else cls
        row.update(result_row(results, setting["detector"], cls, spent(started), setting))
        row.update(status=results["status"], error=" ".join(str(results.get("error") or
                                                                "").split()))
    except Exception as err:  # noqa: BLE001 - reported in the table, retried on the next run
        last = traceback.extract_tb(err.__traceback__)[-1]
        row["error"] = " ".join(f"{type(err).__name__}: {err} (at {os.path.basename(last.filename)}"
                                f":{last.lineno})".split())
        row.update(spent(started))
    return row
