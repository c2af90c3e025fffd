"""Where trials run: a local process pool, or Ray. gandi does not schedule; these hand trials to
an engine that does, at most `max_concurrent` at a time, and yield each trial's row as it ends.

Both run the same function (`trial.run_trial`) in a fresh process per trial, so for fixed seeds
a trial gives the same numbers whichever executor ran it. On Ray, `shared_fs=False` is for a
cluster whose nodes do not share the driver's log dir: each trial runs into a temporary folder of
its node and its run's files come back with its row (gandi.sweep.shipping), written under the
driver's log dir before the row is yielded.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from gandi.sweep.trial import run_trial


class ExecutorError(RuntimeError):
    """The executor cannot start (Ray missing, no cluster at the address); one line."""


def _lost(trial, setting_id, err) -> dict:
    """The row of a trial whose process died or whose task the engine lost."""
    return {"trial": trial.name, "setting": setting_id, "status": "failed",
            "error": " ".join(f"{type(err).__name__}: {err}".split())}


def _at_most(max_concurrent, trials, submit, finished, result, log_dir=None):
    """Keep at most max_concurrent trials submitted; yield each trial's row as it ends (the
    engine's handles: `submit(trial, setting)`, `finished(handles)` waits for some,
    `result(handle)` gets the row). A trial whose worker died or whose task was lost is a
    failed row, not the sweep's end. A row with shipped `files` has them written under
    `log_dir` first (a run the driver cannot write is a failed row)."""
    waiting, running = list(trials), {}
    while waiting or running:
        while waiting and len(running) < max_concurrent:
            trial, setting = waiting.pop(0)
            running[submit(trial, setting)] = trial
        for handle in finished(list(running)):
            trial = running.pop(handle)
            try:
                row = result(handle)
            except Exception as err:  # noqa: BLE001 - the worker died, or the engine lost it
                yield _lost(trial, trial.setting_id, err)
                continue
            yield _written(row, log_dir)


def _written(row: dict, log_dir) -> dict:
    """The row, its shipped run files (if any) written under log_dir and dropped from it."""
    files = row.pop("files", None)
    if files is not None:
        from gandi.sweep.shipping import ShippingError, unpacked
        try:
            unpacked(files, log_dir)
        except (ShippingError, OSError) as err:
            row.update(status="failed", error=" ".join(f"{type(err).__name__}: {err}".split()))
    return row


def _hide_gpus():
    """In a trial given no GPU (before TensorFlow starts): it must not grab one."""
    os.environ["CUDA_VISIBLE_DEVICES"] = ""


def local(trials, log_dir, cpus: int, gpus: int, max_concurrent: int):
    """One process per trial (spawned: no TensorFlow state inherited), max_concurrent at once."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max_concurrent, mp_context=context,
                             max_tasks_per_child=1, initializer=_hide_gpus if gpus == 0 else None
                             ) as pool:
        yield from _at_most(
            max_concurrent, trials,
            submit=lambda trial, setting: pool.submit(
                run_trial, trial.name, trial.setting_id, setting, str(log_dir), cpus),
            finished=lambda futures: wait(futures, return_when=FIRST_COMPLETED)[0],
            result=lambda future: future.result())


def ray(trials, log_dir, cpus: int, gpus: int, max_concurrent: int, address=None,
        shared_fs: bool = True):
    """Ray tasks with num_cpus/num_gpus per trial; Ray places them on the cluster's nodes.
    `address`: None starts Ray on this machine; "auto" or HOST:PORT joins a running cluster.
    `shared_fs` False: trials run into their node's temporary folders and ship their runs back
    (module docstring)."""
    try:
        import ray as ray_module
    except ImportError:
        raise ExecutorError("--executor ray needs Ray: pip install 'gandi[ray]'") from None
    started_here = not ray_module.is_initialized()
    if started_here:
        try:
            if address:
                ray_module.init(address=address, log_to_driver=False)
            else:
                ray_module.init(num_cpus=max(cpus * max_concurrent, os.cpu_count() or 1),
                                include_dashboard=False, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise ExecutorError(f"cannot start or reach Ray at {address or 'this machine'}: "
                                + " ".join(str(err).split())) from None
    remote = ray_module.remote(num_cpus=cpus, num_gpus=gpus, max_calls=1)(run_trial)
    try:
        yield from _at_most(
            max_concurrent, trials,
            submit=lambda trial, setting: remote.remote(
                trial.name, trial.setting_id, setting, str(log_dir) if shared_fs else None, cpus),
            finished=lambda refs: ray_module.wait(refs, num_returns=1)[0],
            result=ray_module.get, log_dir=log_dir)
    finally:
        if started_here:
            ray_module.shutdown()


EXECUTORS = {"local": local, "ray": ray}


def default_jobs(jobs, cpus_per_trial: int) -> int:
    """Trials at once: as asked, else the machine's CPUs / the CPUs each trial is given."""
    return jobs or max(1, (os.cpu_count() or 1) // cpus_per_trial)


def options_of(executor: str, address, no_shared_fs: bool) -> dict:
    """The executor's own keyword arguments (Ray: where the cluster is, a shared filesystem)."""
    return {"address": address, "shared_fs": not no_shared_fs} if executor == "ray" else {}
