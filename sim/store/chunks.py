"""The finished chunks of an interrupted run or compare, read back for ``--resume``.

While a run or compare is written (``NAME.partial``), ``chunks/request.json`` holds what it
was asked and each finished chunk is ``chunks/NNNNNN.parquet`` (a compare's in
``chunks/arm-K/``) with its record ``NNNNNN.chunk.json`` (rows, size and SHA-256 as written),
written after the Parquet, so the record marks the chunk done. A resume trusts a chunk only
when its record matches the chunk grid and its Parquet matches the record; a chunk without a
record (interrupted between the two writes) is run again.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sim.errors import DamagedFile, UsageError
from sim.store.digests import difference
from sim.store.folders import CHUNKS, RECORD, REQUEST, read_json, refuse_links

_CHUNK = re.compile(r"^(\d{6,8})(\.parquet|" + re.escape(RECORD) + r")$")
_ARM = re.compile(r"^arm-(\d+)$")


def read_request(folder: Path, kind: str | None = None) -> dict[str, Any]:
    """``chunks/request.json`` of an unfinished folder, checked against its schema.

    Raises:
        UsageError: the folder holds another command's request.
        DamagedFile: the request is not what negsim writes.
    """
    request = dict(read_json(folder / CHUNKS / REQUEST, folder))
    if kind is not None and request["kind"] != kind:
        raise UsageError(f"{folder} is an interrupted {request['kind']}: continue it with "
                         f"negsim {request['kind']} --resume {folder}")
    return request


def arm_part(k: int) -> str:
    """The subfolder of ``chunks/`` that holds arm ``k``'s chunks."""
    return f"arm-{k}"


def stored(folder: Path, size: int, runs: int, part: str = "") -> dict[int, Path]:
    """The verified finished chunks in ``chunks/part``: their first replication -> Parquet.

    Args:
        folder: the ``.partial`` folder.
        size: replications per chunk (the grid: chunks start at multiples of it).
        runs: the replications asked for (no chunk starts at or after it).
        part: a compare arm's subfolder (:func:`arm_part`), or ``""`` for a run.

    Raises:
        DamagedFile: a file that is no chunk of this grid, a record that disagrees with its
            name or the grid, or a Parquet missing, truncated or changed since it was
            written (the file named, and how to recover).
    """
    where = folder / CHUNKS / part if part else folder / CHUNKS
    refuse_links(where, folder)
    found: dict[int, Path] = {}
    for path in sorted(where.iterdir()) if where.is_dir() else []:
        if _skipped(path, part):
            continue
        m = _CHUNK.match(path.name)
        if not m:
            raise DamagedFile(f"{path} is not a chunk of this {('compare' if part else 'run')}"
                              " (planted?); remove it")
        start = int(m[1])
        if start % size or start >= runs:
            raise DamagedFile(f"{path}: no chunk starts at replication {start} (chunks of "
                              f"{size} of {runs:,} replications); remove it")
        if m[2] == RECORD:
            found[start] = _checked(path, start, min(start + size, runs), folder)
    return found


def _skipped(path: Path, part: str) -> bool:
    """The request, temporary files and (at the top) a compare's arm folders."""
    if path.name.endswith(".tmp"):
        return True
    if not part and (path.name == REQUEST or _ARM.match(path.name) and path.is_dir()
                     and not path.is_symlink()):
        return True
    return False


def _checked(record: Path, start: int, stop: int, folder: Path) -> Path:
    """A chunk's Parquet, after its record has been checked against the grid and the
    Parquet against its record."""
    data = read_json(record, folder)
    want = {"start": start, "stop": stop, "rows": stop - start}
    for key, value in want.items():
        got = data.get(key) if isinstance(data, dict) else None
        if type(got) is not int or got != value:
            raise DamagedFile(f"{record}: {key} is {got!r}, expected {value}; remove it and "
                              "its Parquet to run the chunk again")
    recorded = data.get("parquet")
    parquet = record.with_name(f"{record.name.removesuffix(RECORD)}.parquet")
    if not isinstance(recorded, dict):
        raise DamagedFile(f"{record}: parquet: no size and SHA-256 recorded; remove it and "
                          "its Parquet to run the chunk again")
    _matches(parquet, recorded, record.name, folder)
    return parquet


def _matches(parquet: Path, recorded: dict[str, Any], record: str, folder: Path) -> None:
    found = difference(parquet, recorded, folder)
    if found is None:
        return
    message = found.says(f"its record {record} lists it", "its record says")
    if found.what == "missing":
        message += f"; remove {record} to run the chunk again"
    elif found.what != "unreadable":
        message += f"; remove it and {record} to run the chunk again"
    raise DamagedFile(message)


def arms_stored(folder: Path, size: int, runs: int, arms: int) -> list[dict[int, Path]]:
    """Each arm's verified chunks (see :func:`stored`); an arm folder beyond the compare's
    arms is refused.

    Raises:
        DamagedFile: as :func:`stored`, or a stray arm folder.
    """
    where = folder / CHUNKS
    for path in sorted(where.iterdir()) if where.is_dir() else []:
        m = _ARM.match(path.name)
        if m and int(m[1]) >= arms:
            raise DamagedFile(f"{path}: this compare has {arms} arms; remove it")
        if not _skipped(path, ""):
            raise DamagedFile(f"{path} is not a chunk folder of this compare (planted?); "
                              "remove it")
    return [stored(folder, size, runs, arm_part(k)) for k in range(arms)]


def rows_of(found: dict[int, Path], size: int, runs: int) -> int:
    """Replications the verified chunks hold."""
    return sum(min(start + size, runs) - start for start in found)
