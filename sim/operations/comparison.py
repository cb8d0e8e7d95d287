"""Paired comparisons of scenarios on common random numbers.

Every arm runs the same replication indices with the same seed, so replication ``i`` of each
arm sees the same draws wherever the scenarios agree; differences are taken pair by pair.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sim import stats
from sim.engine.outcomes import HEADLINE_METRICS, possible_in
from sim.errors import NegsimError, UsageError
from sim.operations import statistics
from sim.operations.verification import verify
from sim.running.executor import Executor
from sim.running.precision import Stopping
from sim.running.runner import DEFAULT_CHUNK, Chunk, chunks, run_chunks
from sim.running.summary import column
from sim.scenario import Scenario, budgets, loads
from sim.scenario.inputs import Overrides, ScenarioLike, as_mapping, assignments, resolve, rows
from sim.store import (
    Folder,
    arm_part,
    arms_stored,
    held,
    kind_of,
    read_manifest,
    read_request,
    read_table,
    rows_of,
)

ALPHA = 0.05


@dataclass
class Arm:
    """One side of a comparison: a scenario (or stored run) and its replications."""

    label: str
    scenario: str
    source: str
    text: str
    seed: int
    table: pa.Table | None = None
    model: Scenario | None = None

    def outcomes(self) -> np.ndarray:
        assert self.table is not None
        return self.table.column("outcome").to_numpy(zero_copy_only=False)

    def scenario_model(self) -> Scenario | None:
        """The arm's scenario (parsed from the stored text for a run folder)."""
        if self.model is None:
            try:
                self.model = loads(self.text, self.source)
            except NegsimError:
                return None
        return self.model


def outcome_names(arms: list[Arm]) -> tuple[str, ...]:
    """The outcomes any arm's scenario allows (and any observed), in registry order."""
    models = [m for m in (a.scenario_model() for a in arms) if m is not None]
    observed = {str(o) for a in arms if a.table is not None for o in set(a.outcomes())}
    return possible_in(models, observed)


def unique_label(label: str, arms: list[Arm]) -> str:
    taken = {a.label for a in arms}
    k, out = 1, label
    while out in taken:
        k += 1
        out = f"{label}#{k}"
    return out


def simulate(arms: list[Arm], rule: Stopping, seed: int, workers: Executor | int,
             progress: Callable[[int], None] | None = None,
             folder: Folder | None = None) -> None:
    """Run every arm on the same replications with one seed, batch by batch, until the
    precision rule (:mod:`sim.running.precision`) is met or every replication has run.

    With a folder, each finished chunk is stored (``chunks/arm-K/``) as it arrives; chunks
    it holds already (an interrupted compare resumed, verified first) are read, not run, and
    the rule is checked after each batch as the uninterrupted compare checked it."""
    done = (arms_stored(folder.path, DEFAULT_CHUNK, rule.cap, len(arms)) if folder
            else [{} for _ in arms])
    kept = sum(rows_of(d, DEFAULT_CHUNK, rule.cap) for d in done)
    if progress and kept:
        progress(kept)
    parts: list[list[pa.Table]] = [[] for _ in arms]
    for batch in rule.batches():
        todo = chunks(batch.start, batch.stop)
        for k, (arm, tables) in enumerate(zip(arms, parts, strict=True)):
            tables.extend(_run(arm, seed, todo, workers, progress, _Store(folder, k, done[k])))
            arm.table = pa.concat_tables(tables)
            arm.seed = seed
        if rule.reached(difference_intervals(arms)):
            break


@dataclass
class _Store:
    """Where an arm's chunks are kept (no folder: nowhere) and the ones already there."""

    folder: Folder | None
    arm: int
    done: dict[int, Path]


def _run(arm: Arm, seed: int, todo: Sequence[Chunk], workers: Executor | int,
         progress: Callable[[int], None] | None, store: _Store) -> list[pa.Table]:
    """The arm's chunks ``todo`` in order: those stored read back, the others run (and
    stored)."""
    assert arm.model is not None
    missing = [c for c in todo if c.start not in store.done]
    fresh: dict[int, pa.Table] = {}
    for chunk, batch in zip(missing, run_chunks(arm.model, seed, missing, workers, progress),
                            strict=True):
        if store.folder is not None:
            store.done[chunk.start] = store.folder.write_chunk(chunk.start, batch,
                                                               arm_part(store.arm))
        fresh[chunk.start] = pa.Table.from_batches([batch])
    return [fresh[c.start] if c.start in fresh else
            read_table(store.done[c.start], (), store.folder.path if store.folder else None)
            for c in todo]


def difference_intervals(arms: list[Arm]) -> Iterator[list[float] | None]:
    """The 95% intervals of every outcome's paired difference from the baseline (lazily:
    only a precision target reads them)."""
    base = arms[0].outcomes()
    names = outcome_names(arms)
    for arm in arms[1:]:
        for name in names:
            yield stats.paired_difference((base == name).astype(float),
                                          (arm.outcomes() == name).astype(float))["ci"]


def arms_from_folders(folders: list[str]) -> tuple[list[Arm], str | None]:
    """Arms from stored run folders, and a warning when they cannot be paired.

    Raises:
        UsageError: a folder is not a negsim run folder.
    """
    arms: list[Arm] = []
    for folder in folders:
        path = Path(folder)
        kind = kind_of(path)
        if kind not in ("run", None):
            raise UsageError(f"{path} is a {kind} folder; compare reads run folders "
                             "(or scenarios)")
        if kind == "run":
            verify(path)
        manifest = read_manifest(path)
        table = read_table(path / "replications.parquet", inside=path)
        name = manifest.get("scenario", path.name)
        arms.append(Arm(unique_label(path.name, arms), name, str(path), manifest["scenario_text"],
                        int(manifest["seed"]), table=table))
    return arms, _pairing_problem(arms)


def _pairing_problem(arms: list[Arm]) -> str | None:
    base = arms[0]
    assert base.table is not None
    base_idx = base.table.column("replication").to_pylist()
    for arm in arms[1:]:
        assert arm.table is not None
        if arm.seed != base.seed:
            return f"seeds differ ({base.label}: {base.seed}, {arm.label}: {arm.seed})"
        if arm.table.column("replication").to_pylist() != base_idx:
            return (f"replications differ ({base.label}: {len(base_idx)}, "
                    f"{arm.label}: {arm.table.num_rows})")
    return None


def analyse(arms: list[Arm], paired: bool) -> dict[str, Any]:
    """compare.json: each arm's outcome table and each arm's differences from the first."""
    names = outcome_names(arms)
    comparisons = [_compare(arms[0], arm, paired, names) for arm in arms[1:]]
    family = _holm_adjust(comparisons)
    base = arms[0]
    assert base.table is not None
    return {
        "baseline": base.label,
        "seed": base.seed,
        "runs": base.table.num_rows,
        "paired": paired,
        "scenarios": [{"label": a.label, "scenario": a.scenario, "source": a.source,
                       "runs": a.table.num_rows if a.table is not None else 0,
                       "outcomes": stats.outcome_table(a.outcomes(), names)} for a in arms],
        "comparisons": comparisons,
        "family": family,
    }


def _compare(a: Arm, b: Arm, paired: bool, names: tuple[str, ...]) -> dict[str, Any]:
    assert a.table is not None and b.table is not None
    outcomes = {}
    for name in names:
        x = (a.outcomes() == name).astype(float)
        y = (b.outcomes() == name).astype(float)
        outcomes[name] = _difference(x, y, paired, binary=True)
    metrics = {}
    for name in _shared_metrics(a.table, b.table):
        metrics[name] = _difference(column(a.table, name), column(b.table, name), paired,
                                    binary=False)
    return {"baseline": a.label, "variant": b.label, "paired": paired,
            "diff": {"outcomes": outcomes, "metrics": metrics}}


def _difference(x: np.ndarray, y: np.ndarray, paired: bool, binary: bool) -> dict[str, Any]:
    if not paired:
        out = stats.unpaired_difference(x, y)
        out["test"] = "welch"
        return out
    out = stats.paired_difference(x, y)
    if binary:
        out["p_value"] = stats.mcnemar(x > 0, y > 0)
        out["test"] = "mcnemar"
    else:
        out["test"] = "paired t"
    out["unpaired_ci"] = stats.unpaired_difference(x, y)["ci"]
    return {**out, **statistics.extra(x, y, paired)}


def _shared_metrics(a: pa.Table, b: pa.Table) -> list[str]:
    names = [c for c in a.column_names if c in b.column_names]
    extra = [c for c in names if c.startswith(("violations_", "utility_"))
             and c not in HEADLINE_METRICS]
    return [c for c in HEADLINE_METRICS if c in names] + extra


def _holm_adjust(comparisons: list[dict[str, Any]]) -> dict[str, Any]:
    """Holm's correction over the whole family: every outcome and every metric of every
    comparison, so the chance of any false star in a compare stays at most 5%.

    Returns:
        The family's description (size, method, level and a sentence for table footers).
    """
    rows = [d for c in comparisons for kind in ("outcomes", "metrics")
            for d in c["diff"][kind].values()]
    adjusted = stats.holm([r["p_value"] for r in rows])
    for row, p in zip(rows, adjusted, strict=True):
        row["p_holm"] = p
        row["significant"] = p is not None and p < ALPHA
    size = sum(p is not None for p in adjusted)
    return {"method": "holm", "alpha": ALPHA, "size": size,
            "text": f"* significant at {ALPHA:.0%} after Holm's correction over the whole "
                    f"family of {size} tests (every outcome and metric of every comparison): "
                    f"the chance of any false star in this compare is at most {ALPHA:.0%}. "
                    "The p values are Holm-adjusted; the ± 95% intervals are not (each "
                    "covers its own difference)"}


def pairs(arms: list[Arm]) -> pa.Table:
    """Per replication, each arm's outcome and main metrics side by side."""
    base = arms[0]
    assert base.table is not None
    cols: dict[str, Any] = {"replication": base.table.column("replication")}
    for k, arm in enumerate(arms):
        assert arm.table is not None
        if arm.table.num_rows != base.table.num_rows:
            continue
        for name in ("outcome", *HEADLINE_METRICS):
            if name in arm.table.column_names:
                cols[f"{name}__{k}"] = arm.table.column(name)
    table = pa.table(cols)
    labels = {str(k): a.label for k, a in enumerate(arms)}
    return table.replace_schema_metadata({"arms": str(labels)})


def run_comparison(arms: list[Arm], runs: int, seed: int, workers: Executor | int,
                   precision: float | None,
                   progress: Callable[[int], None] | None = None,
                   folder: Folder | None = None) -> dict[str, Any]:
    """Simulate the arms (their chunks kept in ``folder``, if given) and analyse them
    (paired)."""
    if len(arms) < 2:
        raise UsageError("compare needs at least two arms: two scenarios, a scenario and a "
                         "change of it in <<vs>>, or two run folders")
    budgets.check_runs(runs * len(arms), f"<<runs>> {runs:,} × {len(arms)} scenarios =",
                       budgets.MAX_RUNS_IN_MEMORY)
    t0 = time.perf_counter()
    rule = Stopping(precision, runs)
    simulate(arms, rule, seed, workers, progress, folder)
    result = analyse(arms, paired=True)
    if precision is not None:
        result["precision"] = rule.report(
            d["ci"] for c in result["comparisons"] for d in c["diff"]["outcomes"].values())
    result["wall_s"] = round(time.perf_counter() - t0, 3)
    return result


def compare_folders(folders: list[str]) -> tuple[list[Arm], dict[str, Any]]:
    """Stored run folders compared as they are: paired when their seeds and replications
    match, else as independent samples with a warning in the result."""
    arms, problem = arms_from_folders(folders)
    result = analyse(arms, paired=problem is None)
    if problem:
        result["warning"] = f"runs cannot be paired ({problem}); compared as independent"
    return arms, result


def variants(given: Sequence[Overrides] | Mapping[str, Any] | str | None) -> list[Overrides]:
    """Each variant's overrides: a mapping is one variant, a ``PATH=VALUE`` string one
    variant of one change, a list one variant per item.

    Raises:
        UsageError: anything else, naming ``variants`` and showing the value.
    """
    if given is None:
        return []
    given = as_mapping(rows(given))
    if isinstance(given, Mapping):
        return [given]
    items = [given] if isinstance(given, str) else given
    if hasattr(items, "tolist") and not isinstance(items, Sequence):
        items = items.tolist()  # a numpy array or Series of variants
    if not isinstance(items, Sequence):
        raise UsageError(f"<<vs>>: expected {{PATH: VALUE}} mappings or 'PATH=VALUE' strings, "
                         f"got {given!r:.80}")
    out: list[Overrides] = []
    for item in items:
        if isinstance(item, str):
            if "=" not in item:
                raise UsageError(f"<<vs>>: expected {{PATH: VALUE}} mappings or 'PATH=VALUE' "
                                 f"strings, got {item!r:.80} (scenarios to compare go in a "
                                 "list as the first argument)")
            out.append([item])
        else:
            out.append(item)
    return out


def is_folder(item: Any) -> bool:
    """Whether a compare input names a stored run folder (YAML text never does)."""
    if not isinstance(item, str | Path) or "\n" in str(item):
        return False
    try:
        return Path(item).is_dir()
    except OSError:  # a name too long to be a path
        return False


def arms(items: list[ScenarioLike], changes: list[Overrides]) -> list[Arm]:
    """One arm per scenario, then one per variant of the first."""
    out: list[Arm] = []
    for item in items:
        model, text, source = resolve(item)
        out.append(Arm(unique_label(model.name, out), model.name, source, text, model.seed,
                       model=model))
    for change in changes:
        model, text, source = resolve(items[0], change, via="vs")
        label = ", ".join(assignments(change, "vs"))
        out.append(Arm(unique_label(label, out), model.name, f"{source} {label}", text,
                       model.seed, model=model))
    return out


def request(arms: list[Arm], runs: int, seed: int, precision: float | None,
            plots: bool) -> dict[str, Any]:
    """What a compare folder stores when it starts (``chunks/request.json``), so that an
    interrupted compare can be resumed as it was asked."""
    return {"arms": [{"label": a.label, "scenario": a.scenario, "source": a.source,
                      "text": a.text} for a in arms],
            "seed": seed, "runs": runs, "chunk": DEFAULT_CHUNK, "precision": precision,
            "plots": plots}


@dataclass
class Resumed:
    """A compare with a folder, as it was asked (for an interrupted one: its arms loaded
    from the stored texts): arms, replications, seed, precision target, plots, folder."""

    arms: list[Arm]
    runs: int
    seed: int
    precision: float | None
    plots: bool
    folder: Folder | None  # None: a compare kept in memory


def reopen(given: Path) -> Resumed:
    """The interrupted compare ``given`` (its ``.partial`` folder or final name).

    Raises:
        UsageError: no interrupted compare there, its final name is taken, or another
            negsim process is writing it (the folder, locked, is this process's until the
            compare ends).
        DamagedFile: its request is not what negsim writes.
        ScenarioError: a stored scenario no longer validates.
    """
    with held(Folder.resume(given, "compare"), on_error_only=True) as folder:
        req = read_request(folder.path, "compare")
        if req["chunk"] != DEFAULT_CHUNK:
            raise UsageError(f"{folder.path}: its chunks hold {req['chunk']} replications; "
                             f"this negsim runs compares in chunks of {DEFAULT_CHUNK}: run it "
                             "again")
        arms = [Arm(a["label"], a["scenario"], a["source"], a["text"], req["seed"],
                    model=loads(a["text"], a["source"])) for a in req["arms"]]
    return Resumed(arms, req["runs"], req["seed"], req["precision"], req["plots"], folder)


def save(arms: list[Arm], result: dict[str, Any], folder: Folder,
         extras: Callable[[dict[str, Any], Path], list[Path]] | None = None) -> Path:
    """Write a compare folder (claimed before the replications ran): compare.json,
    manifest.json, pairs.parquet and what ``extras`` adds (plots); its final path."""
    folder.write_json("compare.json", result)
    folder.write_manifest("\n---\n".join(a.text for a in arms), seed=result["seed"],
                          runs=result["runs"],
                          extra={"arms": [{"label": a.label, "source": a.source,
                                           "scenario_text": a.text} for a in arms]})
    folder.write_parquet("pairs.parquet", pairs(arms))
    if extras is not None:
        extras(result, folder.path)
    return folder.complete()
