"""One exception family for negsim; only the CLI turns these into messages and exit codes."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

# Arguments named in messages: written <<name>> where raised; the library shows the Python
# argument, the command line its flag (NegsimError.cli_text).
ARGUMENTS = {"set": ("specs", "--set"), "overrides": ("overrides", "--set"),
             "sample": ("sample", "--sample"),
             "zip": ("zipped", "--zip"), "design": ("design", "--design"),
             "out": ("out", "--out"), "resume": ("resume", "--resume"),
             "dask": ("dask", "--dask"), "precision": ("precision", "--precision"),
             "force": ("force", "--force"), "vs": ("variants", "--vs"),
             "parties": ("parties", "--parties"), "runs": ("runs", "-n"),
             "actors": ("actors", "--actors"), "spoiler": ("spoilers", "--spoiler"),
             "seed": ("seed", "--seed"), "workers": ("workers", "--workers"),
             "replication": ("replication", "--replication"), "outcome": ("outcome", "--outcome"),
             "min_coverage": ("min_coverage", "--min-coverage"),
             "max_qp": ("max_qp", "--max-qp"), "peel_alpha": ("peel_alpha", "--peel-alpha"),
             "paste_alpha": ("paste_alpha", "--paste-alpha")}
_TOKEN = re.compile(r"<<(\w+)>>")


def _render(text: str, which: int) -> str:
    return _TOKEN.sub(lambda m: ARGUMENTS.get(m[1], (m[1], m[1]))[which], text)


class NegsimError(Exception):
    """Root of every error negsim raises on purpose.

    A message names an argument as ``<<name>>`` (see ARGUMENTS): ``str(error)`` shows the
    Python argument, :meth:`cli_text` the command-line flag.
    """

    exit_code: ClassVar[int] = 1

    def __init__(self, *args: object):
        self.template = str(args[0]) if args else ""
        super().__init__(*((_render(str(args[0]), 0),) + args[1:]) if args else ())

    def cli_text(self) -> str:
        """The message as the command line says it (flags instead of arguments)."""
        return _render(self.template, 1) if self.template else str(self)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what was expected."""

    file: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class ScenarioError(NegsimError):
    """A scenario file, or an override of one, is not valid. Exit code 2."""

    exit_code: ClassVar[int] = 2

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UsageError(NegsimError):
    """A command-line argument is not valid. Exit code 2."""

    exit_code: ClassVar[int] = 2


class EngineError(NegsimError):
    """A replication could not be simulated. Exit code 1."""


class MissingExtra(NegsimError):
    """An optional part of negsim is not installed; the message says how to install it.
    Exit code 1."""


class StorageError(NegsimError):
    """A run folder could not be written or read. Exit code 1 (2 when the folder is bad input)."""


class DamagedFile(StorageError):
    """A file in a results folder is damaged, planted or not negsim's. Exit code 2 (bad input)."""

    exit_code: ClassVar[int] = 2


class Interrupted(NegsimError):
    """The user stopped a command (Ctrl-C); the message says what was kept. Exit code 130."""

    exit_code: ClassVar[int] = 130


@contextlib.contextmanager
def interrupts() -> Iterator[None]:
    """Ctrl-C (or SIGTERM, which the CLI turns into it) as ``KeyboardInterrupt`` wherever it
    strikes: when it strikes while a compiled (numba) function returns, Python reports
    ``SystemError: ... returned a result with an exception set``, the interrupt chained as its
    cause; this re-raises that as the interrupt, so that what finished is kept and the folder
    marked as for any other."""
    try:
        yield
    except SystemError as exc:
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, KeyboardInterrupt):
            cause = cause.__cause__ or cause.__context__
        if cause is None:
            raise
        raise KeyboardInterrupt from exc


class DataError(NegsimError):
    """A data file (incidents CSV) is not valid: names the file and the line. Exit code 2."""

    exit_code: ClassVar[int] = 2

    def __init__(self, file: str, line: int | None, message: str):
        self.file, self.line = file, line
        where = file if line is None else f"{file}:{line}"
        super().__init__(f"{where}: {message}")
