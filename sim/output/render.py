"""Rich tables for the terminal (no printing here; the CLI prints them).

Tables never cut a number. Each table is laid out for the console's width (80 when output
is piped, or ``COLUMNS``): text columns fold, number cells wrap between numbers but never
inside one, and a table that still cannot fit is printed stacked, one block per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from sim.engine.outcomes import meaning
from sim.operations.statistics import STATISTICS
from sim.output.text import clean, for_rich

P_FLOOR = 1e-16  # below double precision's resolution of 1 - p: print "< 1e-16"
TEXT_MIN = 10  # narrowest a folded text column gets


def _num(x: Any, fmt: str = ".3g") -> str:
    return "—" if x is None else format(x, fmt)


def pvalue(p: float | None, significant: bool = False) -> str:
    """A p-value for people: 3 significant digits, "< 1e-16" below that floor, then a star
    when significant ("—" when there is no test)."""
    if p is None:
        return "—"
    text = "< 1e-16" if p < P_FLOOR else f"{p:.3g}"
    return text + (" *" if significant else "")


@dataclass(frozen=True)
class Col:
    """A column of a fitted table.

    Attributes:
        header: The header text.
        numeric: Right-aligned numbers: cells wrap between numbers, never inside one.
        whole: Never wrap a cell at all (a p-value and its star stay together).
    """

    header: str
    numeric: bool = True
    whole: bool = False

    def minimum(self, cells: list[str]) -> int:
        """The narrowest width that keeps every number whole and every word of the header
        (a header folds after an underscore or space, never inside a word)."""
        words = [len(w) for w in _BREAKS.split(self.header)]
        if not self.numeric and not self.whole:  # a whole text cell (a dotted path) never folds
            return max([min(TEXT_MIN, self.natural(cells)), *words])
        parts = cells if self.whole else [w for c in cells for w in c.split()]
        return max([len(p) for p in parts] + words + [1])

    def natural(self, cells: list[str]) -> int:
        return max([len(c) for c in cells] + [len(self.header)])


def fitted(title: str, cols: list[Col], rows: list[list[str]], width: int,
           key: int = 1) -> RenderableType:
    """A table fitted to ``width`` columns without cutting a number or a word of a header.

    When every column cannot fit, the table is printed in blocks of columns, each repeating
    the first ``key`` columns (what names a row), as pandas prints a wide frame; when not
    even one column fits beside them, the rows are printed stacked.

    Args:
        title: The title above the table.
        cols: The columns.
        rows: The cells, already formatted, one list per row.
        width: The console's width.
        key: How many leading columns name a row (repeated in every block).

    Returns:
        A rich Table, a Group of tables (blocks of columns), or a Group of stacked rows.
    """
    blocks = _blocks(cols, rows, width, key)
    if blocks is None:
        return _stacked(title, cols, rows)
    tables = []
    for k, block in enumerate(blocks):
        sub_cols = [cols[i] for i in block]
        sub_rows = [[r[i] for i in block] for r in rows]
        widths = _widths(sub_cols, sub_rows, _room(width, len(block)))
        assert widths is not None
        tables.append(_table(title if k == 0 else "", sub_cols, sub_rows, widths))
    return tables[0] if len(tables) == 1 else Group(*tables)


def _room(width: int, columns: int) -> int:
    return width - 1 - 3 * columns  # borders and padding


def _blocks(cols: list[Col], rows: list[list[str]], width: int, key: int
            ) -> list[list[int]] | None:
    """Column indices of each block: all columns when they fit, else the key columns with as
    many of the others, in order, as fit; None when one column beside the key cannot."""
    keys = list(range(min(key, len(cols))))

    def fits(block: list[int]) -> bool:
        sub = [[r[i] for i in block] for r in rows]
        return _widths([cols[i] for i in block], sub, _room(width, len(block))) is not None

    if fits(list(range(len(cols)))):
        return [list(range(len(cols)))]
    blocks: list[list[int]] = []
    current: list[int] = []
    for i in range(len(keys), len(cols)):
        if fits(keys + current + [i]):
            current.append(i)
            continue
        if not current:
            return None
        blocks.append(keys + current)
        current = [i]
        if not fits(keys + current):
            return None
    if current or not blocks:
        blocks.append(keys + current)
    return _even(blocks, keys, fits)


def _even(blocks: list[list[int]], keys: list[int],
          fits: Callable[[list[int]], bool]) -> list[list[int]]:
    """The same number of blocks with the columns shared out evenly (greedy filling leaves
    the last block nearly empty and squeezes the others), when every even block fits."""
    rest = [i for b in blocks for i in b[len(keys):]]
    size = -(-len(rest) // len(blocks))  # ceiling
    even = [keys + rest[k:k + size] for k in range(0, len(rest), size)]
    return even if len(even) == len(blocks) and all(fits(b) for b in even) else blocks


def _table(title: str, cols: list[Col], rows: list[list[str]], widths: list[int]) -> Table:
    t = Table(title=for_rich(title) if title else None)  # scenario text, never markup
    for col, w in zip(cols, widths, strict=True):
        t.add_column(for_rich(fold(col.header, w)), justify="right" if col.numeric else "left",
                     width=w, overflow="fold", no_wrap=col.whole)
    for row in rows:
        t.add_row(*(for_rich(cell if col.numeric else fold(cell, w))
                    for col, cell, w in zip(cols, row, widths, strict=True)))
    return t


_BREAKS = re.compile(r"(?<=[_ .,/-])")


def fold(text: str, width: int) -> str:
    """Text folded into lines of at most ``width`` after an underscore, space or other
    separator, so that ``violations_per_truce_day`` reads ``violations_per_`` /
    ``truce_day``; a part longer than ``width`` is left for the table to cut."""
    if len(text) <= width:
        return text
    lines, line = [], ""
    for part in _BREAKS.split(text):
        if line and len(line) + len(part.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += part
    return "\n".join([*lines, line.rstrip()])


def _widths(cols: list[Col], rows: list[list[str]], room: int) -> list[int] | None:
    """Natural widths, narrowed one character at a time where most can be given up."""
    cells = [[r[k] for r in rows] for k in range(len(cols))]
    widths = [c.natural(x) for c, x in zip(cols, cells, strict=True)]
    floor = [c.minimum(x) for c, x in zip(cols, cells, strict=True)]
    if sum(floor) > room:
        return None
    while sum(widths) > room:  # text gives way at half the rate: names fold last
        k = max(range(len(cols)),
                key=lambda i: (widths[i] - floor[i]) / (1 if cols[i].numeric else 2))
        widths[k] -= 1
    return widths


def _stacked(title: str, cols: list[Col], rows: list[list[str]]) -> Group:
    """One block per row: its first cell, then each other column as "header: value"."""
    lines: list[RenderableType] = [Text(clean(title), style="bold")]
    for row in rows:
        lines.append(Text(clean(row[0]), style="bold"))
        lines += [Text(clean(f"  {c.header}: {v}"))
                  for c, v in zip(cols[1:], row[1:], strict=True)]
    return Group(*lines)


def outcomes_table(summary: dict[str, Any], width: int = 80) -> RenderableType:
    """Outcome probabilities with 95% Wilson intervals (their meanings: ``legend``)."""
    cols = [Col("outcome", numeric=False), Col("p"), Col("95% interval"), Col("count")]
    rows = [[name, f"{row['p']:.3f}", f"[{row['ci'][0]:.3f}, {row['ci'][1]:.3f}]",
             str(row["count"])] for name, row in summary["outcomes"].items()]
    title = f"{summary['title']} — {summary['runs']} replications, seed {summary['seed']}"
    return fitted(title, cols, rows, width)


def legend(names: list[str]) -> list[str]:
    """What each outcome means, one line each, for under a table."""
    return [f"{name}: {meaning(name)}" for name in names if meaning(name)]


def metrics_table(summary: dict[str, Any], width: int = 80) -> RenderableType:
    """Metric summaries: mean ± 95% half-width, sd and quantiles."""
    cols = [Col("metric", numeric=False), Col("n"), Col("mean ± 95%"), Col("sd"), Col("q05"),
            Col("q50"), Col("q95")]
    rows = []
    for name, m in summary["metrics"].items():
        ci = m.get("ci") or [None, None]
        half = None if ci[0] is None else (ci[1] - ci[0]) / 2
        rows.append([name, str(m["n"]), f"{_num(m['mean'])} ± {_num(half, '.2g')}",
                     _num(m["sd"]), _num(m["q05"]), _num(m["q50"]), _num(m["q95"])])
    return fitted("Metrics over replications where they apply", cols, rows, width)


def extras_lines(summary: dict[str, Any]) -> list[str]:
    """Deadline, survival and timing in one line each."""
    lines = []
    if "coarse" in summary:
        lines.append("coarse: " + ", ".join(f"{k} {v['p']:.3f}"
                                            for k, v in summary["coarse"].items()))
    d = summary["deadline"]
    lines.append("deadline: " + ", ".join(f"{k} {v['p']:.3f}" for k, v in d.items()))
    lines += survival_lines(summary["survival"])
    timing = summary["deal_timing"]
    if timing.get("share_in_last_fifth") is not None:
        lines.append(f"deal timing: {timing['share_before_deadline']:.3f} of deals before the "
                     f"deadline, {timing['share_in_last_fifth']:.3f} in its last fifth")
    if "precision" in summary:
        lines.append(precision_line(summary, "half-width"))
    lines.append(f"{summary['events']} events in {summary['wall_s']:.2f} s")
    return lines


def survival_lines(km: dict[str, Any]) -> list[str]:
    """First-truce survival: the headline S(judged_after_days) with its interval and the number
    at risk, the median (or "not estimable" with fewer than 10 at risk), and the number at risk
    at round times; nothing without truces."""
    if not km.get("n"):
        return []
    parts = [f"first-truce survival (Kaplan-Meier, {km['n']} truces, {km['events']} "
             "breakdowns)"]
    if km.get("judged"):
        parts.append(judged_text(km["judged"]))
    parts.append(median_text(km))
    risk = km.get("risk")
    lines = ["; ".join(parts)]
    if risk:
        lines.append("  at risk by day since the start: " + ", ".join(
            f"{t:g}: {n}" for t, n in zip(risk["t"], risk["n"], strict=True)))
    return lines


def judged_text(j: dict[str, Any]) -> str:
    """``S(30 d) 0.41 [0.35, 0.47], 120 at risk``, or "not estimable" below 10 at risk."""
    head = f"S({j['day']:g} d)"
    if not j.get("estimable") or j.get("s") is None:
        return f"{head} not estimable ({j['at_risk']} at risk)"
    lo, hi = j["ci"]
    return f"{head} {j['s']:.3f} [{lo:.3f}, {hi:.3f}], {j['at_risk']} at risk"


def median_text(km: dict[str, Any]) -> str:
    """The Kaplan-Meier median with the number at risk there, "not estimable" below 10."""
    from sim.stats import MIN_AT_RISK

    med, n = km.get("median"), km.get("median_at_risk")
    if med is None:
        return "median not reached"
    if n is not None and n < MIN_AT_RISK:
        return f"median not estimable ({n} at risk)"
    return f"median {med:.1f} days" + ("" if n is None else f" ({n} at risk)")


def precision_line(result: dict[str, Any], what: str) -> str:
    """How a run or compare stopped under ``precision`` (see :mod:`sim.running.precision`)."""
    p = result["precision"]
    return (f"precision: largest 95% {what} {p['achieved']:.4f} (target {p['target']}) after "
            f"{result['runs']} of at most {p['cap']} replications, checked every {p['batch']}")


def compare_tables(result: dict[str, Any], width: int = 80) -> list[RenderableType]:
    """Per comparison, two tables: outcome probabilities with the paired difference, test
    and pairing gain; then the metrics' differences."""
    tables = []
    scen = {s["label"]: s["outcomes"] for s in result["scenarios"]}
    for c in result["comparisons"]:
        a, b = c["baseline"], c["variant"]
        how = "paired, common random numbers" if c["paired"] else "UNPAIRED"
        cols = [Col("outcome", numeric=False), Col("p base"), Col("p var"), Col("diff ± 95%"),
                Col("p (Holm)", whole=True), *(Col(s.header) for s in STATISTICS)]
        rows = [[name, f"{scen[a][name]['p']:.3f}", f"{scen[b][name]['p']:.3f}", _diff(d),
                 _pval(d), *(s.show(d) for s in STATISTICS)]
                for name, d in c["diff"]["outcomes"].items()]
        tables.append(fitted(f"{b} vs {a} ({how})", cols, rows, width))
        tables.append(_metric_diffs(c, width))
    return tables


def _metric_diffs(c: dict[str, Any], width: int) -> RenderableType:
    cols = [Col("metric", numeric=False), Col("pairs"), Col("diff ± 95%"),
            Col("p (Holm)", whole=True), *(Col(s.header) for s in STATISTICS)]
    rows = [[name, str(d["n"]), _diff(d, ".3g"), _pval(d), *(s.show(d) for s in STATISTICS)]
            for name, d in c["diff"]["metrics"].items()]
    title = f"Metrics: {c['variant']} minus {c['baseline']}"
    return fitted(title, cols, rows, width)


def sweep_table(summary: dict[str, Any], width: int = 80) -> RenderableType:
    """Each point's swept values and outcome probabilities ± 95% half-widths."""
    paths = summary["paths"]
    names = list(summary["points"][0]["outcomes"]) if summary["points"] else []
    cols = [Col(_short(p, paths), whole=True) for p in paths] + [Col(n) for n in names]
    rows = [[_value(p["values"][q]) for q in paths]
            + [f"{o['p']:.3f} ± {(o['ci'][1] - o['ci'][0]) / 2:.3f}"
               for o in p["outcomes"].values()] for p in summary["points"]]
    title = (f"{summary['scenario']}: {len(summary['points'])} points × "
             f"{summary['runs']} replications, seed {summary['seed']} ({summary['method']})")
    return fitted(title, cols, rows, width, key=len(paths))


def _short(path: str, paths: list[str]) -> str:
    """A swept path's last part, when that names it unambiguously."""
    last = path.split(".")[-1]
    return last if [p.split(".")[-1] for p in paths].count(last) == 1 else path


def _value(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _diff(d: dict[str, Any], fmt: str = "+.3f") -> str:
    if d.get("diff") is None:
        return "—"
    lo, hi = d["ci"]
    return f"{d['diff']:{fmt}} ± {(hi - lo) / 2:{fmt.lstrip('+')}}"


def _pval(d: dict[str, Any]) -> str:
    return pvalue(d.get("p_holm", d.get("p_value")), bool(d.get("significant")))


def noise_note(share: float | None) -> str:
    """How much of the spread across a sweep's points binomial noise alone would make."""
    if share is None:
        return ""
    return (f"; binomial noise alone would be {share:.0%} of the spread across points "
            "(less under common random numbers)")


def sensitivity_line(outcome: str, res: dict[str, Any], p_values: list[float] | None = None
                     ) -> str:
    """One outcome's sensitivity in words: each parameter's effect by rank, R^2 beside SRC,
    and the noise share; an outcome that does not vary across points says so."""
    if res.get("constant"):
        at = f" (p = {p_values[0]:.3f} at every point)" if p_values else ""
        return f"{outcome}: constant across the points{at}: no parameter moves it"
    text = f"{outcome}: " + ", ".join(influence(res, p) for p in res["ranking"])
    if res.get("method") == "src" and res.get("r2") is not None:
        text += f"; R^2 {res['r2']:.2f} (the linear fit's share of the spread)"
    return text + noise_note(res.get("noise_share"))


def influence(res: dict[str, Any], param: str) -> str:
    """One parameter's effect on an outcome in words: the index (with its interval), "not
    estimable" where the design cannot separate it, and "(noise?)" where noise could produce
    it."""
    v = res["parameters"][param]
    noise = " (noise?)" if v.get("noise") else " (non-linear?)" if v.get("nonlinear") else ""
    if res["method"] == "sobol":
        ci = v.get("total_ci")
        band = f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else ""
        return (f"{param} (total Sobol {v['total_order']:.2f}{band}, first order "
                f"{v['first_order']:.2f}){noise}")
    if v.get("src") is None:
        return f"{param} (SRC not estimable: the design does not separate it)"
    pawn = f", PAWN {v['pawn']:.2f}" if v.get("pawn") is not None else ""
    return f"{param} (SRC {v['src']:+.2f}{pawn}){noise}"
