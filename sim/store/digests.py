"""A stored file against the size and SHA-256 recorded when negsim wrote it: one check for
a chunk against its record, a sweep point's Parquet against its JSON and a complete folder's
files against its manifest. Each caller words the difference for its own reader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.store.folders import file_digest, refuse_links


@dataclass(frozen=True)
class Difference:
    """How a stored file differs from its record.

    Attributes:
        path: The file.
        what: ``missing``, ``unreadable``, ``size`` or ``sha256`` (the first that differs).
        found: The file's size and SHA-256 (empty when it could not be read).
        recorded: The record (``{"size", "sha256"}``), as stored.
        reason: Why the file could not be read (``unreadable``).
    """

    path: Path
    what: str
    found: dict[str, Any]
    recorded: Mapping[str, Any]
    reason: str = ""

    @property
    def unread(self) -> bool:
        """Whether the file is missing or could not be read."""
        return not self.found

    def says(self, lists: str, records: str) -> str:
        """The difference in one sentence; ``lists`` says what lists the file (``the
        manifest lists it``), ``records`` what recorded its size (``the manifest recorded``)."""
        got, want = self.found, self.recorded
        if self.what == "missing":
            return f"{self.path} is missing ({lists})"
        if self.what == "unreadable":
            return f"{self.path}: cannot read it ({self.reason})"
        if self.what == "size":
            return (f"{self.path} has {got['size']} bytes; {records} {want.get('size')} "
                    "(truncated or replaced)")
        return (f"{self.path} differs from what negsim wrote (SHA-256 {got['sha256'][:12]}…, "
                f"recorded {str(want.get('sha256'))[:12]}…)")


def difference(path: Path, recorded: Mapping[str, Any],
               inside: Path | None = None) -> Difference | None:
    """``path`` against its recorded ``{"size", "sha256"}``: None when both match.

    A missing or unreadable file is a difference, not an error.

    Raises:
        DamagedFile: ``path``, or a folder between ``inside`` and it, is a symlink.
    """
    refuse_links(path, inside)
    try:
        got = file_digest(path)
    except FileNotFoundError:
        return Difference(path, "missing", {}, recorded)
    except OSError as exc:
        return Difference(path, "unreadable", {}, recorded, str(exc.strerror or exc))
    for key in ("size", "sha256"):
        if got[key] != recorded.get(key):
            return Difference(path, key, got, recorded)
    return None
