"""Worker processes: how many to start by default, and the guard that makes a pool worker
die with the process that started it (workers never outlive their parent)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1
WATCH_SECONDS = 0.5


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


def guard_worker(parent: int) -> None:
    """Make a pool worker die with the process that started the pool (``parent``).

    A daemon thread polls whether ``parent`` still runs and ends the worker when it does not:
    the worker's own parent is the fork server, which lives as long as any worker does, so
    the main process must be watched directly. Linux also delivers SIGKILL should the fork
    server itself die (``PR_SET_PDEATHSIG``). Ctrl-C is left to the parent, which stops the
    pool, so workers print no tracebacks.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _arm_death_signal()
    threading.Thread(target=_watch, args=(parent, os.getppid()), daemon=True,
                     name="negsim-parent-watch").start()


def _arm_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: the watchdog alone serves
        pass


def _watch(parent: int, ppid: int, every: float = WATCH_SECONDS) -> None:
    while os.getppid() == ppid and _alive(parent):
        time.sleep(every)
    os._exit(1)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a killed parent not yet reaped is a zombie: not running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")
