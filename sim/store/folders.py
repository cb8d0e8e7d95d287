"""Results folders: one writer (:class:`Folder`) for run, compare and sweep folders alike.

Every folder holds ``manifest.json`` (its kind, the scenario text and hash, seed, runs,
versions, platform, git commit and command) beside the files of its kind. While it is
written, it is marked incomplete in one of two ways:

- a run or compare folder is ``NAME.partial`` (with an ``INCOMPLETE`` note) and is renamed
  to ``NAME`` when complete, so ``NAME`` only ever holds finished results; a run's finished
  chunks are whole Parquet files, so an interrupted run loses none of them;
- a sweep folder (resumable in place) is ``NAME`` with an ``INCOMPLETE`` note saying how to
  resume it, removed when the sweep is complete.

Every file is written to a temporary name and renamed, never through a symlink, so no file
is ever half written. While a command writes a folder it holds the folder's lock
(:mod:`sim.store.locks`), so that no other negsim process writes it at the same time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
import math
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from sim.errors import DamagedFile, StorageError, UsageError
from sim.store.locks import LOCK, Lock, acquire
from sim.store.memory import release
from sim.store.schemas import schema_for

PARTIAL = ".partial"
MARKER = "INCOMPLETE"
CHUNKS = "chunks"  # a run's or compare's finished chunks, until the folder is complete
REQUEST = "request.json"  # in chunks/: what the run was asked, so that it can be resumed
RECORD = ".chunk.json"  # beside each chunk: its rows, size and SHA-256 as written
CLAIM_TRIES = 1000
MAX_READ = 100_000_000  # bytes of one stored JSON or image read back
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_SOURCE = Path(__file__).resolve().parents[1]  # the sim package


def timestamped(root: Path, name: str) -> Path:
    """``root/name-YYYYmmdd-HHMMSS``, with a suffix if that exists already.

    Only a proposal: :func:`claim` (which :class:`Folder` uses) makes the folder
    atomically and moves on to the next suffix if another process took the name meanwhile.
    """
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = root / f"{name}-{stamp}"
    path, k = base, 1
    while path.exists() or _partial(path).exists():
        k += 1
        path = base.with_name(f"{base.name}-{k}")
    return path


def _partial(path: Path) -> Path:
    return path.with_name(path.name + PARTIAL)


def claim(path: Path, suffix: str = "", unique: bool = False) -> Path | None:
    """Create the folder ``path`` + ``suffix`` atomically and return ``path``.

    ``mkdir`` either creates the folder or fails, so two processes never share one. A name
    is taken when the folder, or its ``.partial`` twin (a run still being written), exists.
    With ``unique``, a taken name moves on to ``path-2``, ``path-3``, ...; without it, a
    taken name gives None.

    Raises:
        UsageError: the path is bad input (name too long, a file in the way).
        StorageError: the folder cannot be created (read-only, full, ...).
    """
    make_dirs(path.parent)
    for k in range(1, CLAIM_TRIES + 1):
        candidate = path if k == 1 else path.with_name(f"{path.name}-{k}")
        try:
            other = candidate if suffix else _partial(candidate)  # a run being written there
            if os.path.lexists(other):
                raise FileExistsError(other)
            os.mkdir(candidate.with_name(candidate.name + suffix))
            return candidate
        except FileExistsError:
            if not unique:
                return None
        except OSError as exc:
            raise _failure(exc, f"cannot create {candidate}{suffix}") from None
    raise StorageError(f"cannot find a free name next to {path} after {CLAIM_TRIES} tries")


def _first_missing(path: Path) -> Path | None:
    """The outermost folder of ``path`` (itself included) that does not exist yet: what
    ``mkdir -p path`` would create first (None: it exists)."""
    missing = None
    while not os.path.lexists(path):
        missing, parent = path, path.parent
        if parent == path:
            break
        path = parent
    return missing


def _remove_made(path: Path, made: Path | None) -> None:
    """Remove the folders from ``path`` up to ``made`` that a failed command created, each
    only if it is empty (``results/`` left behind by a command refused after its folder was
    claimed, say)."""
    if made is None:
        return
    while True:
        try:
            os.rmdir(path)
        except OSError:  # not empty (another run's folder), or gone: stop there
            return
        if path == made or path.parent == path:
            return
        path = path.parent


def make_dirs(path: Path) -> None:
    """``mkdir -p``, as a one-line error on failure.

    Raises:
        UsageError: the path is bad input (name too long, a file in the way).
        StorageError: the folder cannot be created (read-only, full, ...).
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _failure(exc, f"cannot create {path}") from None


def _failure(exc: OSError, what: str) -> StorageError | UsageError:
    """A path the user got wrong is bad input (exit 2); anything else, the environment (1)."""
    message = f"{what}: {_why(exc)}"
    if exc.errno in (errno.ENAMETOOLONG, errno.ENOTDIR, errno.EEXIST):
        return UsageError(message)
    return StorageError(message)


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return "the name is too long; choose a shorter <<out>>"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return "a file is in the way (part of the path is not a folder)"
    return exc.strerror or str(exc)


KINDS = ("run", "compare", "sweep", "tornado")


class Folder:
    """A results folder in the making (see the module's docstring).

    Attributes:
        final: The folder's name once complete.
        path: Where files are written now (``final.partial``, or ``final`` when resumable).

    The folder is locked against other negsim processes from its creation (or reopening)
    until :meth:`complete`, :meth:`abandon` or :meth:`release` (:mod:`sim.store.locks`).
    """

    _lock: Lock | None = None
    _made: Path | None = None  # the first folder above it that its creation made

    def __init__(self, final: Path, kind: str, *, unique: bool = False,
                 resumable: bool = False):
        """Claim the folder atomically.

        Args:
            final: The folder to create.
            kind: ``run``, ``compare`` or ``sweep`` (recorded in the manifest).
            unique: ``final`` is a proposed name: take ``final-2``, ... if it is taken.
            resumable: write in place, marked incomplete until :meth:`complete`.

        Raises:
            UsageError: the folder (or its ``.partial``) exists and ``unique`` is not set,
                or another negsim process locked it as soon as it was created.
            StorageError: the folder cannot be created.
        """
        assert kind in KINDS, kind
        self.kind, self.resumable = kind, resumable
        if not unique and os.path.lexists(final):
            raise UsageError(self._taken(final))
        self._made = _first_missing(final.parent)  # what a failure with nothing kept removes
        claimed = claim(final, "" if resumable else PARTIAL, unique)
        if claimed is None:
            raise UsageError(self._taken(final) if os.path.lexists(final) else
                             f"{_partial(final)} exists (an interrupted run?); remove it or "
                             "choose another <<out>>")
        self.final = claimed
        self.path = claimed if resumable else _partial(claimed)
        self._lock = acquire(self.path)  # before anything is written: see sim.store.locks
        self.mark_incomplete("running")

    def _taken(self, final: Path) -> str:
        """Why ``final`` cannot be used: resume it if it is this kind's, else choose another."""
        found = kind_of(final) if final.is_dir() else None
        if self.resumable and found == self.kind:
            return f"{final} exists already; use <<resume>> {final} to continue it"
        what = f" (a {found} folder)" if found else ""
        return (f"{final} exists already{what}; negsim never overwrites a results folder: "
                "choose another <<out>>")

    @classmethod
    def reopen(cls, path: Path, kind: str) -> Folder:
        """A resumable folder left incomplete, to be finished in place (locked first).

        Raises:
            UsageError: another negsim process is writing the folder.
        """
        folder = cls.__new__(cls)
        folder.kind, folder.resumable, folder.final, folder.path = kind, True, path, path
        folder._lock = acquire(path)
        return folder

    def release(self) -> None:
        """Let the folder's lock go (:mod:`sim.store.locks`): done writing into it."""
        if self._lock is not None:
            self._lock.release(self.path)

    def mark_incomplete(self, why: str) -> None:
        if self.resumable:
            text = (f"This {self.kind} is incomplete ({why}); finish it with: "
                    f"negsim {self.kind} --resume {self.final}\n")
        elif self.kind in ("run", "compare"):
            text = (f"This {self.kind} is incomplete ({why}); its finished chunks are in "
                    f"{CHUNKS}/; finish it with: negsim {self.kind} --resume {self.path}\n")
        else:
            text = f"This folder is incomplete ({why}). Finished chunks are in chunks/.\n"
        write_text(self.path / MARKER, text, self.path)

    def write_manifest(self, scenario_text: str, *, seed: int, runs: int,
                       extra: dict[str, Any]) -> None:
        """manifest.json: the kind, what reproduces the results, and where they were made."""
        self.write_json("manifest.json", {"kind": self.kind, **manifest(
            scenario_text, seed=seed, runs=runs, extra=extra)})

    def write_json(self, name: str, data: Any) -> Path:
        write_json(self.path / name, data, self.path)
        return self.path / name

    def write_parquet(self, name: str, table: pa.Table) -> Path:
        write_parquet(table, self.path / name, self.path)
        return self.path / name

    def abandon(self, why: str) -> None:
        """A run that failed: with no finished chunk, nothing is left behind; otherwise the
        ``.partial`` folder stays, marked with the reason."""
        if self.has_chunks() or self.resumable:
            with contextlib.suppress(StorageError):  # a full disk may refuse the note too
                self.mark_incomplete(why)
        else:
            shutil.rmtree(self.path, ignore_errors=True)
            _remove_made(self.path.parent, self._made)
        self.release()

    def write_chunk(self, index: int, batch: pa.RecordBatch, part: str = "") -> Path:
        """A finished chunk (in ``chunks/part``): its Parquet, then its record (rows, size
        and SHA-256 as written), which marks it done; a resume verifies the chunks that have
        a record and runs the rest."""
        where = self.path / CHUNKS / part if part else self.path / CHUNKS
        make_dirs(where)
        parquet = where / f"{index:06d}.parquet"
        write_parquet(pa.Table.from_batches([batch]), parquet, self.path)
        write_json(where / f"{index:06d}{RECORD}",
                   {"start": index, "stop": index + batch.num_rows, "rows": batch.num_rows,
                    "parquet": written(parquet)}, self.path)
        return parquet

    def chunk_files(self) -> list[Path]:
        refuse_links(self.path / CHUNKS)
        return sorted((self.path / CHUNKS).glob("*.parquet"))

    def has_chunks(self) -> bool:
        """Whether any finished chunk is stored (a compare's in one folder per arm)."""
        refuse_links(self.path / CHUNKS)
        return any((self.path / CHUNKS).rglob("*.parquet"))

    def write_request(self, request: dict[str, Any]) -> None:
        """``chunks/request.json``: everything a resume needs to rebuild the same run."""
        make_dirs(self.path / CHUNKS)
        write_json(self.path / CHUNKS / REQUEST, {"kind": self.kind, **request}, self.path)

    @classmethod
    def resume(cls, given: Path, kind: str) -> Folder:
        """The interrupted run or compare ``given`` (its ``.partial`` folder, or the final
        name beside which it lies), to be finished and renamed.

        Raises:
            UsageError: there is no interrupted folder of this kind there, the final name
                is taken meanwhile, or another negsim process is writing the folder.
        """
        path = given if given.name.endswith(PARTIAL) else _partial(given)
        refuse_links(path)
        if not path.is_dir() or not os.path.lexists(path / CHUNKS / REQUEST):
            done = " (it is complete)" if kind_of(given) == kind else ""
            raise UsageError(f"{given}: no interrupted {kind} to resume{done}; expected a "
                             f"NAME{PARTIAL} folder that an interrupted negsim {kind} left")
        folder = cls.__new__(cls)
        folder.kind, folder.resumable, folder.path = kind, False, path
        folder.final = path.with_name(path.name.removesuffix(PARTIAL))
        if os.path.lexists(folder.final):
            raise UsageError(f"{folder.final} exists already; move it away to finish {path}")
        folder._lock = acquire(path)  # before its request and chunks are read
        return folder

    def merge_chunks(self, name: str = "replications.parquet",
                     files: list[Path] | None = None) -> Path:
        """Concatenate the chunk files (``files``, in order; by default every one) into one
        Parquet file, in row groups of :data:`ROW_GROUP` rows: at most that many rows in
        memory at a time, and a footer that does not grow with every chunk (memory flat in
        the number of replications)."""
        files = self.chunk_files() if files is None else files
        target = self.path / name
        if not files:
            return target
        with _atomic(target, self.path) as out:
            _concatenate(files, out, self.path)
        release()  # what the merge freed, back to the system before the summary
        return target

    def complete(self) -> Path:
        """Drop the chunks and the marker; a ``.partial`` folder is renamed to its final name.

        Raises:
            StorageError: the final name appeared meanwhile (the results stay where they are).
        """
        shutil.rmtree(self.path / "chunks", ignore_errors=True)
        forget(self.path / "chunks")
        (self.path / MARKER).unlink(missing_ok=True)
        seal(self.path)
        if self.path != self.final:
            if self.final.exists():
                raise StorageError(f"{self.final} appeared while running; results left in "
                                   f"{self.path}")
            os.replace(self.path, self.final)
            forget(self.path)
            self.path = self.final
        self.release()
        return self.final


_Held = TypeVar("_Held", bound="Folder | None")


@contextlib.contextmanager
def held(folder: _Held, on_error_only: bool = False) -> Iterator[_Held]:
    """Release ``folder``'s lock when the block ends, however it ends (``on_error_only``:
    only when it raises, the folder then being handed on to the code that writes it)."""
    try:
        yield folder
    except BaseException:
        if folder is not None:
            folder.release()
        raise
    if folder is not None and not on_error_only:
        folder.release()


UNSEALED = ("manifest.json", MARKER, LOCK)  # files the manifest does not list


def seal(folder: Path) -> None:
    """Record every stored file's size and SHA-256 in the manifest (``files``).

    A file this process wrote is recorded as written; one found changed since is refused.

    Raises:
        DamagedFile: a file changed after it was written, or is a link.
    """
    files = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if rel in UNSEALED or path.is_dir() and not path.is_symlink():
            continue
        refuse_links(path, folder)
        digest = file_digest(path)
        before = written(path)
        if before is not None and before != digest:
            raise DamagedFile(f"{path} changed after negsim wrote it (size {before['size']} "
                              f"-> {digest['size']}); run again")
        files[rel] = digest
    record(folder, files, replace=True)


def record(folder: Path, files: dict[str, dict[str, Any]], replace: bool = False) -> None:
    """Add files' sizes and SHA-256 to a folder's manifest (all of them, with ``replace``)."""
    path = folder / "manifest.json"
    if not os.path.lexists(path):
        return
    data = read_json(path)
    data["files"] = {**({} if replace else data.get("files") or {}), **files}
    write_json(path, data, folder)


def record_written(folder: Path, paths: list[Path]) -> None:
    """Add files just written into a sealed folder (a report, a discovery) to its manifest."""
    if os.path.lexists(folder / "manifest.json") and "files" in read_json(folder / "manifest.json"):
        record(folder, {p.relative_to(folder).as_posix(): file_digest(p) for p in paths
                        if p.parent == folder})


def write_parquet(table: pa.Table, path: Path, inside: Path | None = None) -> None:
    """Write a Parquet file atomically, never through a symlink.

    Raises:
        StorageError: the file cannot be written (full disk, read-only folder, ...).
        UsageError: the path is bad input (name too long, a file in the way).
    """
    with _atomic(path, inside) as f:
        pq.write_table(table, f)


def write_json(path: Path, data: Any, inside: Path | None = None) -> None:
    """Write JSON atomically (NaN and infinities become null), never through a symlink.

    Raises:
        StorageError: the file cannot be written.
    """
    write_text(path, json.dumps(clean_json(data), indent=2, allow_nan=False) + "\n", inside)


def write_text(path: Path, text: str, inside: Path | None = None) -> None:
    """Write UTF-8 text atomically, never through a symlink.

    Raises:
        StorageError: the file cannot be written.
    """
    with _atomic(path, inside) as f:
        f.write(text.encode("utf-8", "replace"))


@contextlib.contextmanager
def _atomic(path: Path, inside: Path | None = None) -> Iterator[BinaryIO]:
    """A new file beside ``path``, renamed over ``path`` when the block ends without error.

    A symlink at ``path``, or at any folder between ``inside`` and ``path``, is refused, never
    followed or replaced; a stale temporary file is removed first (itself, not its target).
    The size and SHA-256 of what was written are remembered (:func:`written`).
    """
    refuse_links(path, inside)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)  # removes a symlink itself, never its target
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as f:
            yield f
        digest = file_digest(tmp)
        os.replace(tmp, path)
        _WRITTEN[str(Path(os.path.abspath(path)))] = digest
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _failure(exc, f"cannot write {path}") from None


_WRITTEN: dict[str, dict[str, Any]] = {}  # absolute path -> size and SHA-256 as written


def forget(folder: Path) -> None:
    """Drop what :func:`written` remembers of the files under ``folder``, removed or renamed:
    two entries per chunk, kept for the whole process, were memory growing with the number of
    replications (and with every run of a notebook or a sweep)."""
    prefix = str(Path(os.path.abspath(folder))) + os.sep
    for key in [k for k in _WRITTEN if k.startswith(prefix)]:
        del _WRITTEN[key]


def written(path: Path) -> dict[str, Any] | None:
    """The size and SHA-256 this process wrote to ``path`` (None: not written here)."""
    return _WRITTEN.get(str(Path(os.path.abspath(path))))


def file_digest(path: Path) -> dict[str, Any]:
    """``{"size": bytes, "sha256": hex}`` of a file, read in blocks (never through a link).

    Raises:
        OSError: the file cannot be read.
    """
    h, size = hashlib.sha256(), 0
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        while block := f.read(1 << 20):
            h.update(block)
            size += len(block)
    return {"size": size, "sha256": h.hexdigest()}


def refuse_links(path: Path, inside: Path | None = None) -> None:
    """Refuse a symlink at ``path`` or at any folder between ``inside`` and ``path``.

    Raises:
        DamagedFile: one of them is a symlink (named).
    """
    parts = [path]
    if inside is not None:
        with contextlib.suppress(ValueError):
            rel = Path(os.path.abspath(path.parent)).relative_to(os.path.abspath(inside))
            parts += [Path(inside, *rel.parts[:k]) for k in range(1, len(rel.parts) + 1)]
    for p in parts:
        if os.path.islink(p):
            raise DamagedFile(f"{p} is a symlink; negsim never reads or writes through a link "
                              "(remove it)")


def write_bytes(path: Path, data: bytes, inside: Path | None = None) -> None:
    """Write bytes atomically, refusing links (see :func:`_atomic`).

    Raises:
        StorageError: the file cannot be written.
        DamagedFile: a link at the target or a parent inside ``inside``.
    """
    with _atomic(path, inside) as f:
        f.write(data)


def write_new(path: Path, data: bytes, force: bool = False) -> None:
    """Write a file the user named: an existing file is kept unless ``force``.

    Raises:
        UsageError: the file exists and ``force`` is not set.
        StorageError: the file cannot be written.
    """
    refuse_existing(path, force)
    write_bytes(path, data)


def refuse_existing(path: Path, force: bool = False) -> None:
    """Refuse, before anything is written, a file the user named that cannot or may not be
    written: a folder (``force`` or not), a name in a folder that does not exist or under a
    file, or a file that exists, unless ``force``.

    Raises:
        UsageError: naming the path and what was expected.
    """
    if os.path.isdir(path):
        raise UsageError(f"cannot write {path}: it is a folder; expected the name of a file")
    where = Path(path).parent
    if not where.is_dir():
        why = ("a file is in the way (part of the path is not a folder)"
               if os.path.lexists(where) else f"the folder {where} does not exist")
        raise UsageError(f"cannot write {path}: {why}; expected a file in an existing folder")
    if not force and os.path.lexists(path):
        raise UsageError(f"{path} exists; give <<force>> to overwrite it (negsim never "
                         "overwrites a file without it)")


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


def _open_own(path: Path, inside: Path | None,
              failure: type[StorageError | DamagedFile] = StorageError) -> int:
    """A descriptor of a file of a results folder, opened without following a link (nor one
    in a parent inside ``inside``); any other failure to open raises ``failure``.

    Raises:
        UsageError: the file is missing.
        DamagedFile: the file or a parent inside the folder is a symlink.
    """
    if inside is not None:
        refuse_links(path, inside)
    try:
        return os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise UsageError(f"{path} not found; is {path.parent} a negsim results folder?") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DamagedFile(f"{path} is a symlink; negsim reads only its own files in a "
                              "results folder (remove the link)") from None
        raise failure(f"cannot read {path}: {_why(exc)}") from None


def read_bytes(path: Path, limit: int = MAX_READ, inside: Path | None = None) -> bytes:
    """The bytes of a file inside a results folder, refusing symlinks and huge files.

    Raises:
        UsageError: the file is missing.
        DamagedFile: the file is a symlink, not a regular file, or too large.
    """
    fd = _open_own(path, inside)
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # before fdopen, which refuses a folder itself
        os.close(fd)
        raise DamagedFile(f"{path} is not a regular file (a folder or a device); negsim wrote "
                          "a file there: remove it")
    with os.fdopen(fd, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise DamagedFile(f"{path} is larger than {limit:,} bytes; not a negsim file")
    return data


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


def kind_of(folder: Path) -> str | None:
    """``run``, ``compare``, ``sweep`` or ``tornado`` by the files a folder holds (None: not
    a negsim results folder)."""
    if (folder / "compare.json").exists():
        return "compare"
    if (folder / "sweep.json").exists():
        return "sweep"
    if (folder / "tornado.json").exists():
        return "tornado"
    if (folder / "manifest.json").exists() and (
            (folder / "summary.json").exists() or (folder / "replications.parquet").exists()):
        return "run"
    return None


def read_manifest(folder: Path) -> dict[str, Any]:
    """A folder's manifest.json (for a sweep folder written before sweeps had one, the same
    fields taken from its sweep.json).

    Raises:
        UsageError: there is no manifest.
        DamagedFile: it is not what negsim writes.
    """
    if not (folder / "manifest.json").exists() and (folder / "sweep.json").exists():
        job = read_json(folder / "sweep.json")
        text = job["scenario_text"]
        return {"kind": "sweep", "scenario_text": text, "seed": job["seed"], "runs": job["runs"],
                "scenario_sha256": hashlib.sha256(text.encode()).hexdigest(),
                **{k: job.get(k) for k in ("versions", "platform", "git", "command", "created")}}
    return dict(read_json(folder / "manifest.json"))


def read_json(path: Path, inside: Path | None = None) -> Any:
    """A stored JSON file, checked against its schema (by file name) before use.

    Raises:
        UsageError: the file is missing.
        DamagedFile: the file is not valid JSON or not what negsim writes there.
    """
    try:
        data = json.loads(read_bytes(path, inside=inside).decode("utf-8"))
    except RecursionError:
        raise DamagedFile(f"{path} is nested too deeply; {_recover(path)}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DamagedFile(f"{path} is not valid JSON ({exc}); {_recover(path)}") from None
    schema = schema_for(path.name)
    if schema is not None:
        try:
            schema.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"]) or "(top)"
            raise DamagedFile(f"{path}: {where}: {err['msg']}; {_recover(path)}") from None
    return data


def _recover(path: Path) -> str:
    if path.parent.name == "points":
        return (f"delete {path.name} and {path.stem}.parquet, then resume the sweep: the point "
                "is computed again")
    return "the folder is damaged or not from negsim; run again to recreate it"


ROW_GROUP = 5_000  # rows per row group of a merged replications file


def _concatenate(files: list[Path], out: BinaryIO, inside: Path) -> None:
    """Write the Parquet ``files``' rows to ``out`` in row groups of :data:`ROW_GROUP`; the
    writer and the last row group die with this call, so that what they held can be
    released."""
    writer: pq.ParquetWriter | None = None
    try:
        for table in _row_groups(read_table(f, (), inside) for f in files):
            if writer is None:
                writer = pq.ParquetWriter(out, table.schema)
            writer.write_table(table, row_group_size=ROW_GROUP)
    except BaseException:
        if writer is not None:  # closed now, not by a finaliser after its file is gone
            with contextlib.suppress(Exception):
                writer.close()
        raise
    assert writer is not None
    writer.close()


def _row_groups(tables: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """The chunks' tables regrouped into tables of :data:`ROW_GROUP` rows (the last fewer)."""
    held: list[pa.Table] = []
    rows = 0
    for table in tables:
        held.append(table)
        rows += table.num_rows
        if rows >= ROW_GROUP:
            whole = pa.concat_tables(held)
            yield whole.slice(0, ROW_GROUP)
            rest = whole.slice(ROW_GROUP)
            held, rows = [rest], rest.num_rows
    if rows:
        yield pa.concat_tables(held)


def read_table(path: Path, required: tuple[str, ...] = ("replication", "outcome"),
               inside: Path | None = None) -> pa.Table:
    """A stored Parquet file, refusing symlinks and files without the ``required`` columns.

    Raises:
        UsageError: the file is missing.
        DamagedFile: the file is unreadable or lacks a required column.
    """
    fd = _open_own(path, inside, DamagedFile)
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # before fdopen, which refuses a folder itself
        os.close(fd)
        raise DamagedFile(f"{path} is not a regular file; {_recover(path)}")
    try:
        with os.fdopen(fd, "rb") as f:
            table = pq.read_table(f)
    except (pa.ArrowException, OSError) as exc:
        raise DamagedFile(f"{path} is not a readable Parquet file: {exc}; "
                          f"{_recover(path)}") from None
    missing = [c for c in required if c not in table.column_names]
    if missing:
        raise DamagedFile(f"{path} has no {missing[0]!r} column; {_recover(path)}")
    return table
