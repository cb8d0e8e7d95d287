"""Files a user gives (scenarios, design CSVs, incident data, override files), read bounded.

A file is opened without blocking (a FIFO with no writer must not hang), refused unless it is
a regular file (``/dev/zero``, a FIFO, a directory), and read in blocks with its size checked
as the bytes arrive, so nothing past the limit is ever held in memory.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

BLOCK = 1 << 20


class Unreadable(Exception):
    """A user's file that cannot be read as one; ``reason`` is the one-line why (each
    caller wraps it in its own error, naming the file as it names it)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def read_input(path: str | Path, limit: int, what: str = "file") -> bytes:
    """The bytes of a user's regular file of at most ``limit`` bytes.

    Raises:
        Unreadable: the file is missing, a directory, a FIFO or device, unreadable, or
            larger than ``limit`` (counted as it is read, not trusted from its size).
    """
    fd = _open(path, what)
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind:
            raise Unreadable(f"is {kind}, expected a {what}")
        return _read(fd, limit, what, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def stream_input(path: str | Path, limit: int, what: str = "file") -> Iterator[bytes]:
    """The blocks of a user's regular file, one at a time, for a reader that parses as the
    bytes arrive (the file is checked as in :func:`read_input`; the count is kept as it
    streams, and the file is closed when the blocks are exhausted or abandoned).

    Raises:
        Unreadable: as :func:`read_input`, the size only once it is passed.
    """
    fd = _open(path, what)
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind:
            raise Unreadable(f"is {kind}, expected a {what}")
        size = 0
        while block := _block(fd, BLOCK):
            size += len(block)
            if size > limit:
                raise Unreadable(_too_large(max(size, os.fstat(fd).st_size), limit, what))
            yield block
    finally:
        os.close(fd)


def _block(fd: int, n: int) -> bytes:
    try:
        return os.read(fd, n)
    except OSError as exc:
        raise Unreadable(f"cannot read file: {exc.strerror or exc}") from None


def _open(path: str | Path, what: str) -> int:
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise Unreadable("file not found") from None
    except IsADirectoryError:
        raise Unreadable(f"is a directory, expected a {what}") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a FIFO or socket no one has opened
            raise Unreadable(f"is not a regular file, expected a {what}") from None
        raise Unreadable(f"cannot read file: {exc.strerror or exc}") from None


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _read(fd: int, limit: int, what: str, stated: int) -> bytes:
    blocks: list[bytes] = []
    size = 0
    while block := _block(fd, min(BLOCK, limit + 1 - size)):
        blocks.append(block)
        size += len(block)
        if size > limit:
            raise Unreadable(_too_large(max(size, stated), limit, what))
    return b"".join(blocks)


def _too_large(size: int, limit: int, what: str) -> str:
    return f"file is {size} bytes; {what}s are limited to {limit:,} bytes"
