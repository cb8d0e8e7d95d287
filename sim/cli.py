"""The ``negsim`` command line. Only this module prints errors and chooses exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from sim import scenario as scn
from sim.errors import NegsimError


def _handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except NegsimError as exc:
            click.echo(f"negsim: {exc}" if "\n" not in str(exc) else str(exc), err=True)
            sys.exit(exc.exit_code)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="negsim")
def main() -> None:
    """negsim: simulate negotiations under a deadline and the truces they start.

    \b
    Example:
      negsim validate scenarios/kerry_moscow_2016.yaml
    """


@main.command()
@click.argument("files", nargs=-1, required=True)
def validate(files: tuple[str, ...]) -> None:
    """Check scenario FILES; print OK or every problem with its line.

    \b
    Example:
      negsim validate scenarios/*.yaml scenarios/examples/*.yaml
    Exit code 0 when all are valid, 2 otherwise.
    """
    bad = False
    for path in files:
        try:
            scn.load(path)
        except NegsimError as exc:
            bad = True
            click.echo(str(exc), err=True)
        else:
            click.echo(f"OK {path}")
    sys.exit(2 if bad else 0)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format (for editors).

    \b
    Example:
      negsim schema > schema/scenario.schema.json
    """
    click.echo(json.dumps(scn.json_schema(), indent=2))
