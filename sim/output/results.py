"""Typed results of run, compare, sweep, trace and discover for notebooks: a one-screen
``repr``, an HTML view, and pandas DataFrames (``.outcomes``, ``.metrics``, ``.to_pandas()``).

They read only what the operation produced or stored; nothing here runs the model.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.engine import Plan
from sim.engine.outcomes import meaning
from sim.errors import UsageError
from sim.operations.run import Finished
from sim.operations.statistics import STATISTICS
from sim.output import plots
from sim.output.tidy import compare_rows, point_records, sweep_rows
from sim.running.summary import ParquetColumns, column

if TYPE_CHECKING:
    import pandas as pd

    from sim.engine import World

REPR_ROWS = 12


def _frame(rows: list[dict[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    """A DataFrame of ``rows``; with ``columns``, those columns even when there is no row."""
    import pandas as pd

    return pd.DataFrame(rows, columns=columns)


def _html_table(frame: pd.DataFrame, caption: str, notes: list[str] | None = None) -> str:
    """The caption in bold, each of ``notes`` as a paragraph, then the table's first rows."""
    paragraphs = "".join(f"<p>{html.escape(n)}</p>" for n in notes or [])
    return (f"<p><b>{html.escape(caption)}</b></p>" + paragraphs
            + frame.head(REPR_ROWS * 4).to_html(index=False, float_format=lambda x: f"{x:.4g}"))


@dataclass(repr=False)
class RunResult:
    """A finished run: its summary, its records and, when saved, its folder.

    With a folder, records stay on disk until ``.records`` is read, and the plots read one
    column at a time, so a run of any size needs little memory.
    """

    summary: dict[str, Any]
    plan: Plan
    folder: Path | None = None
    plots: list[Path] = field(default_factory=list)
    table: pa.Table | None = None
    source: Path | None = None  # replications.parquet while the table is not loaded

    @classmethod
    def of(cls, done: Finished) -> RunResult:
        """The result of a finished run (:mod:`sim.operations.run`)."""
        return cls(done.summary, done.plan, done.folder, list(done.extras), done.table,
                   done.source)

    @property
    def records(self) -> pa.Table:
        """One row per replication (``.to_pandas()`` where pandas is installed)."""
        if self.table is None:
            assert self.source is not None
            self.table = pq.read_table(self.source)
        return self.table

    @property
    def columns(self) -> Any:
        if self.table is None and self.source is not None:
            return ParquetColumns(self.source)
        return self.records

    def to_pandas(self) -> Any:
        """One row per replication as a pandas DataFrame (nulls where a value does not apply)."""
        return self.records.to_pandas()

    @property
    def outcomes(self) -> Any:
        """One row per outcome category: p, its 95% interval, count and meaning."""
        import pandas as pd

        return pd.DataFrame([{"outcome": k, "p": v["p"], "ci_low": v["ci"][0],
                              "ci_high": v["ci"][1], "count": v["count"],
                              "meaning": meaning(k)}
                             for k, v in self.summary["outcomes"].items()])

    @property
    def metrics(self) -> Any:
        """One row per metric: n, mean, sd, the mean's 95% interval (``ci_low``, ``ci_high``,
        clipped to the metric's range; null for fewer than two values) and quantiles over the
        replications it applies to."""

        return _frame([{"metric": k, **_metric_row(v)} for k, v in self.summary["metrics"].items()],
                      ["metric", *METRIC_COLUMNS])

    def __repr__(self) -> str:
        s = self.summary
        lines = [f"RunResult({s['scenario']}: {s['runs']} replications, seed {s['seed']}"
                 + (f", folder {self.folder}" if self.folder else "") + ")"]
        lines += [f"  {k:<22} {v['p']:.3f} [{v['ci'][0]:.3f}, {v['ci'][1]:.3f}]"
                  for k, v in s["outcomes"].items()]
        lines.append(f"  {len(s['metrics'])} metrics: .metrics; records: .to_pandas()")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return (f"<p><b>{html.escape(repr(self).splitlines()[0])}</b></p>"
                + self.outcomes.to_html(index=False, float_format=lambda x: f"{x:.3f}"))

    def plot_outcomes(self, path: str | Path | None = None, ax: Any = None) -> Any:
        """Outcome probabilities: written to ``path``, or a Figure (on ``ax`` if given)."""
        return plots.plot_outcomes(self.summary["outcomes"], path, ax=ax)

    def plot_survival(self, path: str | Path | None = None, ax: Any = None) -> Any:
        """Kaplan-Meier survival of first truces: to ``path``, or a Figure."""
        return plots.plot_survival(self.summary["survival"], path, "", self.plan.horizon,
                                   ax=ax)

    def plot_deal_days(self, path: str | Path | None = None, ax: Any = None) -> Any:
        """Deal days with the deadlines marked: to ``path``, or a Figure."""
        deadline = self.plan.deadline_day if self.plan.deadline_day == self.plan.deadline_day \
            else None
        return plots.plot_deal_days(column(self.columns, "deal_day"), path, deadline,
                                    self.plan.horizon, "", renewed_deadlines(self.plan), ax=ax)

    def plot_violations(self, path: str | Path | None = None, ax: Any = None) -> Any:
        """Mean violations per party: to ``path``, or a Figure."""
        cols = self.columns
        actors = self.plan.scenario.actors
        names = {actors[c.removeprefix("violations_")].label: c
                 for c in cols.column_names  # per actor (not violations_per_truce_day)
                 if c.startswith("violations_") and c.removeprefix("violations_") in actors}
        return plots.plot_violations(_ColumnsRead(cols, names), path, ax=ax)


class _ColumnsRead(Mapping[str, Any]):
    """Columns by label, each read when asked for (one held at a time, not every party's:
    memory flat in the number of replications)."""

    def __init__(self, columns: Any, names: dict[str, str]):
        self._columns, self._names = columns, names

    def __getitem__(self, label: str) -> Any:
        return column(self._columns, self._names[label])

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def renewed_deadlines(plan: Plan) -> list[float]:
    """The days of the new deadlines that may follow lapses, within the horizon."""
    d = next(iter(plan.threats.values()), None)
    if d is None or not d.extension_days or not d.extensions or plan.deadline_day != \
            plan.deadline_day:
        return []
    days = [plan.deadline_day + k * d.extension_days for k in range(1, d.extensions + 1)]
    return [day for day in days if day <= plan.horizon]


@dataclass
class CompareResult:
    """Paired differences between scenarios (``data`` is what compare.json holds)."""

    data: dict[str, Any]
    pairs: pa.Table
    folder: Path | None = None

    def _rows(self, kind: str) -> list[dict[str, Any]]:
        """One row per comparison and outcome or metric; None (NaN in a DataFrame) where a
        difference has no value, interval or p value (a metric that applies to no pair)."""
        rows = []
        for c in self.data["comparisons"]:
            for name, d in c["diff"][kind].items():
                low, high = d.get("ci") or (None, None)
                rows.append({"baseline": c["baseline"], "variant": c["variant"], kind[:-1]: name,
                             "diff": d.get("diff"), "ci_low": low, "ci_high": high,
                             "p_value": d.get("p_value"), "p_holm": d.get("p_holm"),
                             "significant": bool(d.get("significant")), "pairs": d.get("n"),
                             **{s.key: d.get(s.key) for s in STATISTICS}})
        return rows

    @property
    def outcomes(self) -> pd.DataFrame:
        """One row per comparison and outcome: the paired difference of probabilities."""
        return _frame(self._rows("outcomes"))

    @property
    def metrics(self) -> pd.DataFrame:
        """One row per comparison and metric: the paired difference of means."""
        return _frame(self._rows("metrics"))

    def to_pandas(self) -> pd.DataFrame:
        """One row per replication and arm: ``replication``, ``arm`` (its label), ``outcome``
        and the headline metrics (``pairs`` holds them side by side, as pairs.parquet)."""
        return _frame(compare_rows(self.pairs))

    def plot_differences(self, path: str | Path | None = None, ax: Any = None) -> Any:
        """Forest plot of the paired outcome differences: to ``path``, or a Figure."""
        return plots.plot_forest(self.data["comparisons"], path, ax=ax)

    def __repr__(self) -> str:
        d = self.data
        head = (f"CompareResult({len(d['scenarios'])} scenarios, {d['runs']} runs each, seed "
                f"{d['seed']}, {'paired' if d['paired'] else 'unpaired'}"
                + (f", folder {self.folder}" if self.folder else "") + ")")
        significant = [r for r in self._rows("outcomes") if r["significant"]]
        lines = [head, *(_difference(r) for r in significant[:REPR_ROWS])]
        if len(significant) > REPR_ROWS:  # one screen, but say what is left out
            lines.append(f"  ... {len(significant) - REPR_ROWS} more significant differences: "
                         ".outcomes")
        lines.append(f"  {d['family']['text']}" if "family" in d else "")
        return "\n".join(x for x in lines if x)

    def _repr_html_(self) -> str:
        return _html_table(self.outcomes, repr(self).splitlines()[0])


def _difference(r: dict[str, Any]) -> str:
    """One significant outcome difference as a repr line (the interval only if it has one)."""
    interval = ("" if r["ci_low"] is None or r["ci_high"] is None
                else f" [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]")
    diff = "" if r["diff"] is None else f" {r['diff']:+.3f}"
    return f"  {r['variant']} vs {r['baseline']}: {r['outcome']}{diff}{interval} *"


IMPORTANCE_COLUMNS = ["outcome", "parameter", "rank", "method", "src", "t", "p_value", "pawn",
                      "pawn_max", "pawn_null", "first_order", "first_ci_low", "first_ci_high",
                      "total_order", "total_ci_low", "total_ci_high", "r2", "noise_share",
                      "noise", "nonlinear"]


def _importance(cell: dict[str, Any]) -> dict[str, Any]:
    """One parameter's stored indices as the importance columns (intervals split in two)."""
    first, total = cell.get("first_ci") or (None, None), cell.get("total_ci") or (None, None)
    return {**{k: cell.get(k) for k in ("src", "t", "p_value", "pawn", "pawn_max",
                                        "pawn_null", "first_order", "total_order")},
            "first_ci_low": first[0], "first_ci_high": first[1], "total_ci_low": total[0],
            "total_ci_high": total[1], "noise": bool(cell.get("noise")),
            "nonlinear": bool(cell.get("nonlinear"))}


METRIC_COLUMNS = ["n", "mean", "sd", "ci_low", "ci_high", "q05", "q50", "q95"]


def _metric_row(m: dict[str, Any]) -> dict[str, Any]:
    """A stored metric summary as the metric columns (its interval split in two)."""
    low, high = m.get("ci") or (None, None)
    return {c: {**m, "ci_low": low, "ci_high": high}.get(c) for c in METRIC_COLUMNS}


@dataclass
class SweepResult:
    """A sweep: one row per point (``data`` is the sweep's summary.json)."""

    data: dict[str, Any]
    paths: list[str]
    folder: Path | None = None

    def to_pandas(self) -> pd.DataFrame:
        """One row per point (the shape of ``sweep.parquet``): ``point``, the swept values,
        then ``p_NAME``, ``ci_low_NAME``, ``ci_high_NAME`` per outcome and ``mean_NAME`` per
        headline metric."""
        return _frame(sweep_rows(self.data["points"], self.paths))

    @property
    def outcomes(self) -> pd.DataFrame:
        """One row per point and outcome (the columns of ``RunResult.outcomes``): ``point``,
        the swept values, ``outcome``, ``p``, ``ci_low``, ``ci_high``, ``count``."""
        rows = [{"point": p.get("point", k), **{q: p["values"][q] for q in self.paths},
                 "outcome": name, "p": o["p"], "ci_low": o["ci"][0], "ci_high": o["ci"][1],
                 "count": o["count"]}
                for k, p in enumerate(self.data["points"]) for name, o in p["outcomes"].items()]
        return _frame(rows, ["point", *self.paths, "outcome", "p", "ci_low", "ci_high", "count"])

    @property
    def records(self) -> pa.Table:
        """Every replication of every point as one table (``points/*.parquet`` read as one
        Parquet dataset): a ``point`` column, the swept values, then the record."""
        if self.folder is None:
            raise UsageError("this sweep kept no folder: its replications are not stored")
        return point_records(Path(self.folder))

    @property
    def metrics(self) -> pd.DataFrame:
        """One row per point and metric: the swept values, then n, mean, sd, the mean's 95%
        interval and quantiles over the point's replications the metric applies to (None
        where it applies to none)."""
        rows = []
        for k, p in enumerate(self.data["points"]):
            values = {q: p["values"][q] for q in self.paths}
            for name, m in p.get("metrics", {}).items():
                rows.append({"point": p.get("point", k), **values, "metric": name,
                             **_metric_row(m)})
        return _frame(rows, ["point", *self.paths, "metric", *METRIC_COLUMNS])

    @property
    def sensitivity(self) -> dict[str, Any]:
        return self.data.get("sensitivity", {})  # type: ignore[no-any-return]

    @property
    def importance(self) -> pd.DataFrame:
        """The sensitivity ranking as one row per outcome and swept parameter: ``rank``
        (1: most influential), the method (``src`` or ``sobol``) and its indices (SRC with
        t and p, PAWN with its permutation null, and R^2, for grids and Latin hypercubes;
        first-order and total Sobol indices with intervals for Sobol samples), the noise
        share, and the ``noise`` / ``nonlinear`` flags the text and plots show."""
        rows = [{"outcome": outcome, "parameter": param, "rank": k + 1,
                 "method": res.get("method"), **_importance(res["parameters"][param]),
                 "r2": res.get("r2"), "noise_share": res.get("noise_share")}
                for outcome, res in self.sensitivity.items()
                for k, param in enumerate(res.get("ranking", []))]
        return _frame(rows, IMPORTANCE_COLUMNS)

    def __repr__(self) -> str:
        d = self.data
        lines = [f"SweepResult({d['scenario']}: {len(d['points'])} points x {d['runs']} runs, "
                 f"seed {d['seed']}, {d['method']}" + (f", folder {self.folder}" if self.folder
                                                       else "") + ")",
                 f"  swept: {', '.join(self.paths)}"]
        for outcome, res in list(self.sensitivity.items())[:REPR_ROWS]:
            top = res.get("ranking", [])[:2]
            lines.append(f"  {outcome}: most influential " + (", ".join(top) or "none"))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return _html_table(self.to_pandas(), repr(self).splitlines()[0])


EVENT_COLUMNS = ["time", "date", "kind", "actor", "offer", "utility", "aspiration", "text"]


def _actor(data: dict[str, Any]) -> str | None:
    """Who acted in a story entry (the engine names the proposer, party or spoiler)."""
    for key in ("proposer", "party", "spoiler"):
        if data.get(key) is not None:
            return str(data[key])
    return None


@dataclass
class TraceResult:
    """One replication told as a story."""

    world: World
    lines: list[str] = field(default_factory=list)

    @property
    def record(self) -> dict[str, Any]:
        return self.world.record.row()

    def to_pandas(self) -> pd.DataFrame:
        """One row per story entry: day, date, kind, text."""
        start = self.world.plan.scenario.start
        return _frame([{"day": e.day, "date": e.date(start), "kind": e.kind, "text": e.text}
                       for e in self.world.told()])

    @property
    def events(self) -> pd.DataFrame:
        """One row per story entry as data, from the engine's structured entries: ``time``
        (days from the start), ``date``, ``kind``, ``actor`` (who proposed, answered,
        violated or attacked; null where no one), ``offer`` (``{term: level}`` of an offer
        or a deal), ``utility`` and ``aspiration`` (of the party answering an offer) and
        ``text``."""
        start = self.world.plan.scenario.start
        return _frame([{"time": e.day, "date": e.date(start), "kind": e.kind,
                        "actor": _actor(e.data), "offer": self._offer(e.data.get("offer")),
                        "utility": e.data.get("utility"), "aspiration": e.data.get("aspiration"),
                        "text": e.text} for e in self.world.told()], EVENT_COLUMNS)

    def _offer(self, offer: Any) -> dict[str, float] | None:
        if isinstance(offer, dict):
            return {k: float(v) for k, v in offer.items()}
        if offer is None:
            return None
        levels = self.world.plan.offers[int(offer)]
        return {t: float(x) for t, x in zip(self.world.plan.terms, levels, strict=True)}

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def to_json(self) -> dict[str, Any]:
        """The story as JSON-ready data: the record and one entry per line."""
        from sim.operations.story import story_json

        return story_json(self.world)

    def __repr__(self) -> str:
        rec = self.world.record
        shown = self.lines[:REPR_ROWS] + (["  ..."] if len(self.lines) > REPR_ROWS else [])
        return (f"TraceResult(replication {rec.replication}, seed {self.world.plan.seed}, "
                f"outcome {rec.outcome}, {len(self.lines)} lines)\n" + "\n".join(shown))

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(str(self)) + "</pre>"


BOX_COLUMNS = ["input", "min", "max", "range_low", "range_high", "qp_min", "qp_max"]


@dataclass
class DiscoverResult:
    """PRIM scenario discovery: which ranges of the inputs lead to an outcome (``data`` is
    what ``discover-OUTCOME.json`` holds)."""

    data: dict[str, Any]
    stored: list[Path] = field(default_factory=list)  # the JSON and plot, when saved

    @property
    def box(self) -> pd.DataFrame:
        """One row per input the chosen box restricts: its bounds, the input's range and the
        quasi-p value of each bound (None where the bound does not restrict)."""
        return _frame([{"input": r["input"], "min": r["min"], "max": r["max"],
                        "range_low": r["range"][0], "range_high": r["range"][1],
                        "qp_min": r["qp_min"] if r["restricts_min"] else None,
                        "qp_max": r["qp_max"] if r["restricts_max"] else None}
                       for r in self.data["chosen"]["restricted"]], BOX_COLUMNS)

    @property
    def trajectory(self) -> pd.DataFrame:
        """One row per box on the peeling and pasting trajectory: coverage, density, mass,
        restricted inputs and replications in the box."""
        return _frame(self.data["trajectory"])

    def to_pandas(self) -> pd.DataFrame:
        """Alias of :attr:`box`."""
        return self.box

    def plot(self, path: str | Path | None = None, axes: Any = None) -> Any:
        """The trajectory and the chosen box: written to ``path``, or a Figure (on two
        ``axes`` of yours if given)."""
        return plots.plot_discovery(self.data, path, axes=axes)

    @property
    def lines(self) -> list[str]:
        """The chosen box in words, one line per restricted input."""
        from sim.operations.discovery import box_lines

        return box_lines(self.data)

    def __repr__(self) -> str:
        from sim.operations.discovery import box_lines

        d = self.data
        return (f"DiscoverResult({d['outcome']} in {d['folder']}, {d['kind']}, "
                f"{len(d['inputs'])} inputs)\n" + "\n".join(box_lines(d)))

    def _repr_html_(self) -> str:
        """The box in words (which says why a box may be empty), then the box as a table."""
        from sim.operations.discovery import box_lines

        head, *rest = box_lines(self.data)
        return _html_table(self.box, head, [line.strip() for line in rest])


__all__ = ["CompareResult", "SweepResult", "TraceResult", "DiscoverResult"]
