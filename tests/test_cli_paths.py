"""Paths given to the command line: a folder where a file is expected, and the like, is refused
in one line with exit 2, never click's multi-line usage error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FLAGSHIP, SYNTHETIC, invoke, refused


@pytest.mark.parametrize("command", [
    ["run", "DIR"], ["sweep", "DIR", "--set", "deadline.credibility=0..1"], ["trace", "DIR"],
    ["tornado", "DIR"], ["validate", "DIR"], ["fit", str(SYNTHETIC), "--actors", "DIR"]])
def test_a_folder_given_as_a_file_is_refused_in_one_line(tmp_path: Path,
                                                         command: list[str]) -> None:
    result = invoke(*[str(tmp_path) if a == "DIR" else a for a in command])
    refused(result, f"'{tmp_path}' is a directory; expected a file")
    assert "Usage:" not in result.output


@pytest.mark.parametrize(("command", "flag"), [
    (["run", FLAGSHIP, "-n", "5", "--set", "foo"], "--set foo"),
    (["trace", FLAGSHIP, "--set", "foo"], "--set foo"),
    (["compare", FLAGSHIP, "-n", "5", "--vs", "foo"], "--vs foo")])
def test_an_override_without_a_value_is_named_in_the_command_lines_words(
        command: list[str], flag: str) -> None:
    """Not the Python API's "a mapping {PATH: VALUE} or a list of strings"."""
    refused(invoke(*command), flag, "expected PATH=VALUE")
