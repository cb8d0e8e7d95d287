"""Rich tables for the terminal (no printing here; the CLI prints them)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

OUTCOME_TEXT = {
    "truce_holds": "deal / truce holds at the horizon",
    "truce_collapsed": "truce collapsed",
    "no_deal": "no deal",
    "escalation": "escalation (plan B)",
}


def _num(x: Any, fmt: str = ".3g") -> str:
    return "—" if x is None else format(x, fmt)


def outcomes_table(summary: dict[str, Any]) -> Table:
    """Outcome probabilities with 95% Wilson intervals."""
    t = Table(title=f"{summary['title']} — {summary['runs']} replications, seed {summary['seed']}")
    for col, just in (("outcome", "left"), ("p", "right"), ("95% interval", "right"),
                      ("count", "right"), ("", "left")):
        t.add_column(col, justify=just, no_wrap=col != "")  # type: ignore[arg-type]
    for name, row in summary["outcomes"].items():
        lo, hi = row["ci"]
        t.add_row(name, f"{row['p']:.3f}", f"[{lo:.3f}, {hi:.3f}]", str(row["count"]),
                  OUTCOME_TEXT.get(name, ""))
    return t


def metrics_table(summary: dict[str, Any]) -> Table:
    """Metric summaries: mean (95% interval), sd and quantiles."""
    t = Table(title="Metrics over replications where they apply (mean ± 95% half-width)")
    t.add_column("metric", no_wrap=True)
    for col in ("n", "mean", "sd", "q05", "q50", "q95"):
        t.add_column(col, justify="right", no_wrap=True)
    for name, m in summary["metrics"].items():
        ci = m.get("ci") or [None, None]
        half = None if ci[0] is None else (ci[1] - ci[0]) / 2
        t.add_row(name, str(m["n"]), f"{_num(m['mean'])} ± {_num(half, '.2g')}",
                  _num(m["sd"]), _num(m["q05"]), _num(m["q50"]), _num(m["q95"]))
    return t


def extras_lines(summary: dict[str, Any]) -> list[str]:
    """Deadline, survival and timing in one line each."""
    lines = []
    d = summary["deadline"]
    lines.append("deadline: " + ", ".join(f"{k} {v['p']:.3f}" for k, v in d.items()))
    km = summary["survival"]
    if km.get("n"):
        med = km["median"]
        lines.append(f"truce survival (Kaplan-Meier, {km['n']} truces, {km['events']} breakdowns): "
                     f"median {'not reached' if med is None else f'{med:.1f} days'}")
    timing = summary["deal_timing"]
    if timing.get("share_in_last_fifth") is not None:
        lines.append(f"deal timing: {timing['share_before_deadline']:.3f} of deals before the "
                     f"deadline, {timing['share_in_last_fifth']:.3f} in its last fifth")
    if "precision" in summary:
        p = summary["precision"]
        lines.append(f"precision: largest 95% half-width {p['achieved']:.4f} (target "
                     f"{p['target']}) after {summary['runs']} of at most {p['cap']} replications")
    lines.append(f"{summary['events']} events in {summary['wall_s']:.2f} s")
    return lines
