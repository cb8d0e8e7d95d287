"""Scale (issue 22): a local Dask cluster is started once per command and reused."""

from __future__ import annotations

from typing import Any

import dask.distributed as dd
import pytest

from sim.running import executor as ex


class FakeFuture:
    def __init__(self, value: Any):
        self.value = value

    def result(self) -> Any:
        return self.value


class FakeCluster:
    started: list[FakeCluster] = []

    def __init__(self, **kwargs: Any):
        self.n_workers = kwargs["n_workers"]
        self.workers: dict[str, Any] = {}  # no nannies to kill
        self.closed = False
        FakeCluster.started.append(self)

    def close(self, timeout: float | None = None) -> None:
        self.closed = True


class FakeClient:
    def __init__(self, cluster: FakeCluster):
        self.cluster = cluster
        self.submitted = 0

    def nthreads(self) -> dict[str, int]:
        return {f"w{k}": 1 for k in range(self.cluster.n_workers)}

    def submit(self, fn: Any, task: Any, pure: bool = True) -> FakeFuture:
        self.submitted += 1
        return FakeFuture(fn(task))

    def close(self, timeout: float | None = None) -> None:
        pass


@pytest.fixture
def fake_dask(monkeypatch: pytest.MonkeyPatch) -> list[FakeCluster]:
    FakeCluster.started = []
    monkeypatch.setattr(dd, "LocalCluster", FakeCluster)
    monkeypatch.setattr(dd, "Client", FakeClient)
    monkeypatch.setattr(ex.budgets, "cores", lambda: 4)
    return FakeCluster.started


def test_a_command_starts_one_local_cluster_and_reuses_it(fake_dask: list[FakeCluster]) -> None:
    before = len(ex.STARTUPS)
    runner = ex.Executor(2, "local")
    with ex.command_scope():
        assert list(runner.map(abs, [-1, -2, -3])) == [1, 2, 3]
        assert list(runner.map(abs, [-4, -5])) == [4, 5]  # a second batch: the same cluster
        assert len(fake_dask) == 1 and not fake_dask[0].closed
    assert fake_dask[0].closed  # closed when the command ends
    assert len(ex.STARTUPS) == before + 1 and ex.STARTUPS[-1] >= 0


def test_outside_a_command_each_map_has_its_own_cluster(fake_dask: list[FakeCluster]) -> None:
    runner = ex.Executor(2, "local")
    assert list(runner.map(abs, [-1, -2])) == [1, 2]
    assert list(runner.map(abs, [-3, -4])) == [3, 4]
    assert len(fake_dask) == 2 and all(c.closed for c in fake_dask)


def test_a_stopped_command_closes_its_cluster_at_once(fake_dask: list[FakeCluster]) -> None:
    def boom(x: int) -> int:
        raise KeyboardInterrupt

    with ex.command_scope():
        with pytest.raises(KeyboardInterrupt):
            list(ex.Executor(2, "local").map(boom, [1, 2]))
        assert len(fake_dask) == 1 and fake_dask[0].closed
        assert list(ex.Executor(2, "local").map(abs, [-1, -2])) == [1, 2]  # a fresh one
    assert len(fake_dask) == 2 and all(c.closed for c in fake_dask)


def test_a_command_stopped_between_batches_kills_its_cluster(
        fake_dask: list[FakeCluster], monkeypatch: pytest.MonkeyPatch) -> None:
    closes: list[float | None] = []
    monkeypatch.setattr(ex, "_close", lambda client, cluster, timeout: closes.append(timeout))
    with pytest.raises(KeyboardInterrupt), ex.command_scope():
        assert list(ex.Executor(2, "local").map(abs, [-1])) == [1]
        raise KeyboardInterrupt  # while the command does its own work
    assert closes == [ex.QUICK_CLOSE]


class FinishingAnyOrder:
    """``as_completed`` over fake futures, handing them back last submitted first."""

    def __init__(self, futures: list[FakeFuture]):
        self.futures = list(futures)

    def add(self, future: FakeFuture) -> None:
        self.futures.append(future)

    def __iter__(self) -> FinishingAnyOrder:
        return self

    def __next__(self) -> FakeFuture:
        if not self.futures:
            raise StopIteration
        return self.futures.pop()


@pytest.mark.parametrize("ordered", [True, False])
def test_a_cluster_holds_a_bounded_window_of_tasks_however_many_there_are(
        fake_dask: list[FakeCluster], ordered: bool) -> None:
    client = FakeClient(FakeCluster(n_workers=3))
    window = ex.IN_FLIGHT * 3
    tasks = list(range(1000))
    out, in_flight = [], []
    for value in ex._windowed(client, FinishingAnyOrder, abs, tasks, ordered):
        in_flight.append(client.submitted - len(out))  # submitted and not yet taken
        out.append(value)
    assert (out == tasks) if ordered else (sorted(out) == tasks and out != tasks)
    assert client.submitted == len(tasks)
    assert max(in_flight) <= window + 1 and in_flight[0] >= window  # the cluster is kept busy
