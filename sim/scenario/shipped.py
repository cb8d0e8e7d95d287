"""The scenarios and the JSON Schema shipped with negsim, found wherever negsim runs.

There is one copy of each: the repository's ``scenarios/`` and ``schema/`` folders. The wheel
installs them as ``sim/scenarios`` and ``sim/schema`` (``package-dir`` in pyproject.toml maps
the folders into the package, so nothing is copied or linked in the repository); an installed
negsim reads them with :mod:`importlib.resources`, a checkout (or an editable install) reads
the folders themselves.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from sim.errors import UsageError

SCHEMA_FILE = "scenario.schema.json"
SCHEMA_LINE = "# yaml-language-server: $schema="
DEFAULT_START = "kerry_moscow_2016"
_CHECKOUT = Path(__file__).resolve().parents[2]  # sim/scenario/shipped.py -> the checkout


def _folder(name: str) -> Path | None:
    installed = resources.files("sim") / name
    if isinstance(installed, Path) and installed.is_dir():
        return installed
    checkout = _CHECKOUT / name
    return checkout if checkout.is_dir() else None


def scenarios_dir() -> Path | None:
    """The folder of shipped scenarios (None if this installation has none)."""
    return _folder("scenarios")


def schema_path() -> Path | None:
    """The shipped JSON Schema of the scenario format (None if missing)."""
    folder = _folder("schema")
    return folder / SCHEMA_FILE if folder and (folder / SCHEMA_FILE).is_file() else None


def names() -> dict[str, Path]:
    """Each shipped scenario by name ("kerry_moscow_2016", "examples/truce_poisson")."""
    root = scenarios_dir()
    if root is None:
        return {}
    files = sorted(root.glob("*.yaml")) + sorted(root.glob("examples/*.yaml"))
    return {p.relative_to(root).with_suffix("").as_posix(): p for p in files}


def find(name: str) -> Path | None:
    """The shipped scenario called ``name`` (".yaml" and "examples/" optional), or None."""
    key = name.removesuffix(".yaml")
    shipped = names()
    by_stem = [p for k, p in shipped.items() if k.split("/")[-1] == key]
    return shipped.get(key) or (by_stem[0] if len(by_stem) == 1 else None)


def resolve(arg: str) -> str:
    """A scenario argument as a path: an existing file wins, then a shipped name."""
    if Path(arg).exists():
        return arg
    found = find(arg)
    return str(found) if found is not None else arg


def init(name: str, start: str | None = None, where: Path | None = None) -> Path:
    """Write ``where/NAME.yaml``: a small commented starting scenario (two parties, one term,
    a deadline, a truce), or a copy of the shipped scenario ``start`` renamed NAME, with an
    absolute reference to the installed JSON Schema on its first line.

    Args:
        name: The new scenario's name (lower case, digits and underscores).
        start: The shipped scenario to start from (default: the starting scenario).
        where: The folder to write in (default: the current directory).

    Returns:
        The file written.

    Raises:
        UsageError: ``name`` is not a valid name, ``start`` is not shipped, or the file exists.
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or len(name) > 64:
        raise UsageError(f"name(={name!r}) must be lower case letters, digits and underscores, "
                         "starting with a letter")
    if start is None:
        from sim.scenario.starter import starter

        text = _with_schema(starter(name))
    else:
        source = find(start)
        if source is None:
            raise UsageError(f"start(={start!r}) is not a shipped scenario; one of: "
                             + ", ".join(names()))
        text = _with_schema(_renamed(source.read_text(encoding="utf-8"), name))
    target = (where or Path.cwd()) / f"{name}.yaml"
    try:
        with target.open("x", encoding="utf-8") as f:  # "x": never overwrite
            f.write(text)
    except FileExistsError:
        raise UsageError(f"{target} exists already; negsim init never overwrites a file") from None
    return target


def _renamed(text: str, name: str) -> str:
    return re.sub(r"^name:\s*\S+", f"name: {name}", text, count=1, flags=re.M)


def _with_schema(text: str) -> str:
    """The first line pointing at the installed schema (a file URI), whatever it said."""
    schema = schema_path()
    if schema is None:
        return text
    line = SCHEMA_LINE + schema.as_uri()
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith(SCHEMA_LINE):
        return line + "\n" + "".join(lines[1:])
    return line + "\n" + text
