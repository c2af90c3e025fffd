"""Is a `running` run still alive? The process that writes a run's status.json records who it is
(host, pid, the process's start time) and a heartbeat; a reader judges from those.

A SIGKILL or a power cut leaves status.json saying `running` for ever: nobody is left to write
the end. A reader on the same host asks the kernel whether that process still exists (and, on
Linux, whether it is the same process: a pid is reused once its owner is gone); a reader on
another host can only see the heartbeat stop, so a run whose heartbeat is older than
STALE_BEATS of its own intervals (and at least STALE_FLOOR_S) is taken for dead there.
"""
from __future__ import annotations

import datetime as dt
import os
import socket
from pathlib import Path

STALE_BEATS = 5          # heartbeats come every tracking step; five missed ones mean no process
STALE_FLOOR_S = 15 * 60  # the end of a run (costly final scorers, plots) beats no more: allow it


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux /proc), or None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (command name) "
    return None if fields[0] == "Z" else fields[19]  # a zombie has ended: it is not running


def this_process() -> dict:
    """Who writes the heartbeat: recorded in status.json while the run lives."""
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "process_start": _process_start(os.getpid())}


def process_alive(pid: int, process_start: str | None = None) -> bool:
    """Whether process `pid` of this host exists and, where its start time was recorded and can
    be read, is the same process (not a later one that got the same pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        pass
    now_start = _process_start(pid)
    if Path("/proc/self/stat").exists():  # Linux: a zombie or another process with the pid
        return now_start is not None and (process_start is None or now_start == process_start)
    return True


def observed_status(status: dict, written: dt.datetime, now: dt.datetime | None = None,
                    host: str | None = None) -> str:
    """The status a reader should show: `killed` for a `running` run whose process is gone.

    `written` is when status.json was last written (its mtime): the heartbeat of runs from
    before heartbeats were recorded."""
    if status.get("status") != "running":
        return status.get("status", "unknown")
    host = host or socket.gethostname()
    if status.get("host") == host and "pid" in status:
        alive = process_alive(int(status["pid"]), status.get("process_start"))
        return "running" if alive else "killed"
    beat = dt.datetime.fromisoformat(status["heartbeat"]) if "heartbeat" in status else written
    interval = float(status.get("heartbeat_interval_s") or 0.0)
    age = ((now or now_utc()) - beat).total_seconds()
    return "killed" if age > max(STALE_BEATS * interval, STALE_FLOOR_S) else "running"
