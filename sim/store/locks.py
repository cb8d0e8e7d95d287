"""The lock a command holds on a results folder while it writes into it.

A run, compare, sweep or tornado holds an exclusive advisory lock (``flock``) on the file
:data:`LOCK` inside its folder from the moment it creates or reopens the folder until it is
done with it, so that a second negsim process that would write into the same folder (two
``--resume`` of one folder, or a resume of a folder still being written) is refused before
it reads or writes anything there.

The operating system lets the lock go when the process ends, however it ends; the file
itself is removed on release, and one left behind by a killed process locks nothing (the
next command simply locks it again). Within one process a folder locked already is shared,
not refused (a command may reopen a folder it holds). Without ``fcntl`` (Windows), or where
the lock file cannot be created (a folder nobody may write into), nothing is locked.
"""

from __future__ import annotations

import errno
import os
import stat
import weakref
from pathlib import Path

from sim.errors import DamagedFile, StorageError, UsageError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks
    fcntl = None  # type: ignore[assignment]

LOCK = ".negsim.lock"
_TRIES = 100  # a lock file released and removed while being opened: open the new one
_FLAGS = (os.O_RDONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
          | getattr(os, "O_NONBLOCK", 0))


class Lock:
    """A folder's lock, held by this process until :meth:`release` (or until it is
    garbage-collected, when its descriptor is closed)."""

    def __init__(self, fd: int):
        own = os.fstat(fd)
        self.key = (own.st_dev, own.st_ino)
        self._close = weakref.finalize(self, os.close, fd)
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._close.alive

    def release(self, folder: Path) -> None:
        """Remove the lock file from ``folder`` (where the folder is now, if it was renamed)
        while still holding it, then let the lock go. Releasing twice does nothing."""
        if not self.held:
            return
        path = folder / LOCK
        try:
            if _same(self._fd, path):
                path.unlink()
        except OSError:
            pass  # removed with the folder, or a folder nobody may write into
        _HELD.pop(self.key, None)
        self._close()


_HELD: weakref.WeakValueDictionary[tuple[int, int], Lock] = weakref.WeakValueDictionary()


def acquire(folder: Path) -> Lock | None:
    """Lock ``folder`` for this process, without waiting (None: nothing to lock with).

    Raises:
        UsageError: another process holds the lock, or the folder disappeared meanwhile.
        DamagedFile: the lock file is a symlink or not a regular file.
        StorageError: the lock file kept being replaced while negsim opened it.
    """
    if fcntl is None:
        return None
    path = folder / LOCK
    for _ in range(_TRIES):
        fd = _open(path)
        if fd is None:
            return None
        lock = _lock(fd, folder)
        if lock is not None:
            return lock
    raise StorageError(f"{path} kept being replaced while negsim tried to lock it")


def _lock(fd: int, folder: Path) -> Lock | None:
    """The lock on the open lock file ``fd`` (None: it was removed meanwhile, try again)."""
    own = os.fstat(fd)
    held = _HELD.get((own.st_dev, own.st_ino))
    if held is not None and held.held:  # this process holds it already
        os.close(fd)
        return held
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise UsageError(f"{folder}: another negsim process is writing it; wait for it "
                             "to finish (or stop it), then try again") from None
        raise StorageError(f"cannot lock {folder / LOCK}: {exc.strerror or exc}") from None
    if not _same(fd, folder / LOCK):  # released and removed before we locked it
        os.close(fd)
        return None
    lock = Lock(fd)
    _HELD[lock.key] = lock
    return lock


def _open(path: Path) -> int | None:
    """A descriptor of the lock file, created if need be (None: it cannot be created)."""
    try:
        fd = os.open(path, _FLAGS, 0o644)
    except FileNotFoundError:
        raise UsageError(f"{path.parent} was removed or renamed meanwhile (by another negsim "
                         "process?)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DamagedFile(f"{path} is a symlink; negsim never reads or writes through a "
                              "link (remove it)") from None
        return None  # a folder nobody may write into: its first write says so
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise DamagedFile(f"{path} is not a regular file; negsim keeps its lock there: "
                          "remove it")
    return fd


def _same(fd: int, path: Path) -> bool:
    """Whether ``path`` is still the file open as ``fd``."""
    try:
        found = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (found.st_dev, found.st_ino) == (own.st_dev, own.st_ino)
