"""The engine's compiled kernels on a machine's first run: compiled before any pilot or job
starts its clock, with one line on stderr while the compiler runs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import sim.engine as engine
from sim import api, cli
from sim.running import estimate
from tests.conftest import POISSON, ROOT, invoke

NOTICE = "negsim: compiling the engine's kernels for this machine, once (under a minute)"


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize("talks", [False, True])
def test_the_pilot_does_not_time_the_compiler(talks: bool,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A compile of 10 s (on the pilot's clock) before the first replication is not counted:
    the pilot times only the replications, and compiles the bargaining kernels only for a
    scenario with talks."""
    clock = _Clock()
    asked: list[bool] = []

    def compile_for_ten_seconds(bargaining: bool = True) -> None:
        asked.append(bargaining)
        clock.t += 10.0

    def one_ms(plan: object, k: int) -> None:
        clock.t += 0.001

    monkeypatch.setattr(estimate, "compile_kernels", compile_for_ten_seconds)
    monkeypatch.setattr(estimate, "run_replication", one_ms)
    plan = SimpleNamespace(scenario=SimpleNamespace(negotiation=object() if talks else None))
    assert estimate.per_replication(plan, 5, clock) == pytest.approx(0.001)  # type: ignore[arg-type]
    assert asked == [talks]


@pytest.mark.slow
def test_the_bargaining_kernels_are_loaded_only_when_asked_for() -> None:
    """In a fresh process: the streams' seeding alone leaves the bargaining kernels'
    module unloaded; asked for next, they are loaded, and then both parts are done."""
    code = ("import sys; from sim import engine; engine.compile_kernels(False); "
            "a = 'sim.engine.protocols.kernels' in sys.modules; "
            "engine.compile_kernels(True); "
            "print(a, 'sim.engine.protocols.kernels' in sys.modules, "
            "sorted(engine._compiled))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split(None, 2) == ["False", "True", "['bargaining', 'streams']\n"]


def test_a_slow_compile_is_announced_once_and_a_quick_one_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    told: list[str] = []
    monkeypatch.setattr(engine, "compile_kernels", lambda bargaining=True: time.sleep(0.4))
    api.compile_kernels(lambda: told.append("slow"), after=0.05)
    assert told == ["slow"]
    monkeypatch.setattr(engine, "compile_kernels", lambda bargaining=True: None)
    api.compile_kernels(lambda: told.append("quick"), after=0.2)
    time.sleep(0.3)  # a timer left running would fire by now
    assert told == ["slow"]


def test_compiling_twice_in_a_process_is_nothing() -> None:
    engine.compile_kernels()
    start = time.perf_counter()
    engine.compile_kernels()
    assert time.perf_counter() - start < 0.01


@pytest.mark.parametrize("command", ["run", "trace"])
def test_the_command_line_says_when_it_compiles(command: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def slow_once(bargaining: bool = True) -> None:  # compiled the first time, nothing after
        if not calls:
            time.sleep(0.6)
        calls.append(1)

    monkeypatch.setattr(engine, "compile_kernels", slow_once)
    monkeypatch.setattr(cli, "COMPILING_AFTER", 0.2)
    args = [command, POISSON, "--seed", "1"] + (
        ["-n", "20", "--out", tmp_path / "run", "--no-plots"] if command == "run" else [])
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines().count(NOTICE) == 1


def test_a_quick_load_says_nothing(tmp_path: Path) -> None:
    result = invoke("run", POISSON, "-n", "20", "--out", tmp_path / "run", "--no-plots")
    assert result.exit_code == 0, result.output
    assert NOTICE not in result.stderr
