"""Rich tables for the terminal (no printing here; the CLI prints them)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from sim.outcomes import meaning
from sim.text import for_rich


def _num(x: Any, fmt: str = ".3g") -> str:
    return "—" if x is None else format(x, fmt)


def outcomes_table(summary: dict[str, Any]) -> Table:
    """Outcome probabilities with 95% Wilson intervals."""
    t = Table(title=f"{for_rich(summary['title'])} — {summary['runs']} replications, "
              f"seed {summary['seed']}")
    for col, just in (("outcome", "left"), ("p", "right"), ("95% interval", "right"),
                      ("count", "right"), ("", "left")):
        t.add_column(col, justify=just, no_wrap=col != "")  # type: ignore[arg-type]
    for name, row in summary["outcomes"].items():
        lo, hi = row["ci"]
        t.add_row(name, f"{row['p']:.3f}", f"[{lo:.3f}, {hi:.3f}]", str(row["count"]),
                  meaning(name))
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
    if "coarse" in summary:
        lines.append("coarse: " + ", ".join(f"{k} {v['p']:.3f}"
                                            for k, v in summary["coarse"].items()))
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


def compare_tables(result: dict[str, Any]) -> list[Table]:
    """One table per comparison: probabilities, paired difference, test, pairing gain."""
    tables = []
    scen = {s["label"]: s["outcomes"] for s in result["scenarios"]}
    for c in result["comparisons"]:
        a, b = c["baseline"], c["variant"]
        how = "paired, common random numbers" if c["paired"] else "UNPAIRED"
        t = Table(title=f"{for_rich(b)} vs {for_rich(a)} ({how})")
        names = c["diff"]["outcomes"]
        t.add_column("outcome", no_wrap=True, min_width=max(map(len, names), default=7))
        for col in ("p base", "p var", "diff ± 95%", "p (Holm)", "gain"):
            t.add_column(col, justify="right", no_wrap=True)
        for name, d in c["diff"]["outcomes"].items():
            t.add_row(name, f"{scen[a][name]['p']:.3f}", f"{scen[b][name]['p']:.3f}",
                      _diff(d), _pval(d), _gain(d))
        tables.append(t)
        tables.append(_metric_diffs(c))
    return tables


def _metric_diffs(c: dict[str, Any]) -> Table:
    t = Table(title=f"Metrics: {for_rich(c['variant'])} minus {for_rich(c['baseline'])}")
    t.add_column("metric", no_wrap=True)
    for col in ("pairs", "diff ± 95%", "p (Holm)", "gain"):
        t.add_column(col, justify="right", no_wrap=True)
    for name, d in c["diff"]["metrics"].items():
        t.add_row(name, str(d["n"]), _diff(d, ".3g"), _pval(d), _gain(d))
    return t


def _diff(d: dict[str, Any], fmt: str = "+.3f") -> str:
    if d.get("diff") is None:
        return "—"
    lo, hi = d["ci"]
    return f"{d['diff']:{fmt}} ± {(hi - lo) / 2:{fmt.lstrip('+')}}"


def _pval(d: dict[str, Any]) -> str:
    p = d.get("p_holm", d.get("p_value"))
    if p is None:
        return "—"
    return f"{p:.3g}{' *' if d.get('significant') else ''}"


def _gain(d: dict[str, Any]) -> str:
    if "pairing_gain" not in d:
        return "—"
    g = d["pairing_gain"]
    if g is None:
        return "∞" if d.get("diff") is not None else "—"
    return f"{g:.1f}×"


def influence(res: dict[str, Any], param: str) -> str:
    """One parameter's effect on an outcome in words: the index (with its interval), "not
    estimable" where the design cannot separate it, and "(noise?)" where noise could produce
    it."""
    v = res["parameters"][param]
    noise = " (noise?)" if v.get("noise") else ""
    if res["method"] == "sobol":
        ci = v.get("total_ci")
        band = f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else ""
        return (f"{param} (total Sobol {v['total_order']:.2f}{band}, first order "
                f"{v['first_order']:.2f}){noise}")
    if v.get("src") is None:
        return f"{param} (SRC not estimable: the design does not separate it)"
    return f"{param} (SRC {v['src']:+.2f}){noise}"
