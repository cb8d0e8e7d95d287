"""Run folders: written under a temporary name, chunk by chunk, renamed when complete.

A folder being written is ``NAME.partial``; its finished chunks are whole Parquet files
(each written to a temporary file and renamed), so an interrupted run loses none of them
and leaves a folder clearly marked incomplete, never a corrupt one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import StorageError, UsageError

PARTIAL = ".partial"
MARKER = "INCOMPLETE"
_SOURCE = Path(__file__).resolve().parent


def timestamped(root: Path, name: str) -> Path:
    """``root/name-YYYYmmdd-HHMMSS``, with a suffix if that exists already."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = root / f"{name}-{stamp}"
    path, k = base, 1
    while path.exists() or _partial(path).exists():
        k += 1
        path = base.with_name(f"{base.name}-{k}")
    return path


def _partial(path: Path) -> Path:
    return path.with_name(path.name + PARTIAL)


class Folder:
    """A results folder in the making."""

    def __init__(self, final: Path):
        if final.exists():
            raise UsageError(f"{final} exists already; negsim never overwrites a results folder")
        self.final = final
        self.path = _partial(final)
        if self.path.exists():
            raise UsageError(f"{self.path} exists (an interrupted run?); remove it or choose "
                             "another --out")
        try:
            (self.path / "chunks").mkdir(parents=True)
        except OSError as exc:
            raise StorageError(f"cannot create {self.path}: {exc.strerror}") from None
        self.mark_incomplete("running")

    def mark_incomplete(self, why: str) -> None:
        (self.path / MARKER).write_text(
            f"This folder is incomplete ({why}). Finished chunks are in chunks/.\n")

    def write_chunk(self, index: int, batch: pa.RecordBatch) -> None:
        write_parquet(pa.Table.from_batches([batch]), self.path / "chunks" / f"{index:06d}.parquet")

    def chunk_files(self) -> list[Path]:
        return sorted((self.path / "chunks").glob("*.parquet"))

    def merge_chunks(self, name: str = "replications.parquet") -> Path:
        """Concatenate the chunk files into one Parquet file, one chunk in memory at a time."""
        files = self.chunk_files()
        target = self.path / name
        tmp = target.with_suffix(".tmp")
        writer: pq.ParquetWriter | None = None
        for f in files:
            table = pq.read_table(f)
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)
        if writer is not None:
            writer.close()
            os.replace(tmp, target)
        return target

    def complete(self) -> Path:
        """Drop the chunks and the marker, then rename to the final name."""
        shutil.rmtree(self.path / "chunks", ignore_errors=True)
        (self.path / MARKER).unlink(missing_ok=True)
        if self.final.exists():
            raise StorageError(f"{self.final} appeared while running; results left in {self.path}")
        os.replace(self.path, self.final)
        self.path = self.final
        return self.final


def write_parquet(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (NaN and infinities become null)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(clean_json(data), indent=2, allow_nan=False) + "\n")
    os.replace(tmp, path)


def clean_json(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if hasattr(value, "item"):
        return clean_json(value.item())
    return value


def manifest(scenario_text: str, *, seed: int, runs: int, extra: dict[str, Any]) -> dict[str, Any]:
    """What is needed to reproduce a run: the scenario, its hash, the seed, versions, command."""
    return {
        "scenario_text": scenario_text,
        "scenario_sha256": hashlib.sha256(scenario_text.encode()).hexdigest(),
        "seed": seed,
        "runs": runs,
        **provenance(),
        **extra,
    }


def provenance() -> dict[str, Any]:
    """Where and how a result was made: versions, system, negsim's commit, command, time."""
    return {"versions": versions(), "platform": system(), "git": git_commit(),
            "command": sys.argv,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def versions() -> dict[str, str]:
    """Python's, negsim's and every requirement's version (the optional Dask one too)."""
    out = {"python": platform.python_version()}
    for pkg in ("negsim", *requirements()):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def requirements() -> list[str]:
    """The names of negsim's requirements, read from its installed metadata (dev tools left
    out)."""
    try:
        declared = metadata.requires("negsim") or []
    except metadata.PackageNotFoundError:
        return []
    names = [re.split(r"[\s\[<>=!~;(]", r, maxsplit=1)[0] for r in declared
             if "extra == \"dev\"" not in r.replace("'", '"')]
    return list(dict.fromkeys(n.lower() for n in names if n))


def system() -> dict[str, str]:
    """The machine the run ran on: OS, platform string, Python implementation."""
    return {"os": platform.system(), "release": platform.release(),
            "platform": platform.platform(), "machine": platform.machine(),
            "python": f"{platform.python_implementation()} {platform.python_version()}"}


def git_commit() -> dict[str, Any] | None:
    """The commit of the git checkout negsim runs from, and whether it has local changes
    (None outside a repository, or without git)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(_SOURCE), *args], capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()

    try:
        if Path(git("rev-parse", "--show-toplevel")).resolve() != _SOURCE.parent:
            return None  # an installed negsim inside some other repository
        return {"commit": git("rev-parse", "HEAD"),
                "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.SubprocessError):
        return None


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"{path} not found; is {path.parent} a negsim results folder?") from None
    except json.JSONDecodeError as exc:
        raise StorageError(f"{path} is not valid JSON: {exc}") from None


def read_table(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except FileNotFoundError:
        raise UsageError(f"{path} not found; is {path.parent} a negsim results folder?") from None
    except pa.ArrowInvalid as exc:
        raise StorageError(f"{path} is not a readable Parquet file: {exc}") from None
