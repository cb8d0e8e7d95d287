"""PNG plots of a run, drawn with matplotlib's object API (no pyplot, no global backend).

Each function draws one figure, writes it to ``path`` and returns that path. Empty data
gives a readable figure rather than an exception.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.engine.outcomes import BY_NAME
from sim.output.text import PLOT_TEXT, clean, plain_figure, shorten
from sim.stats import MIN_AT_RISK, Z95
from sim.store import write_bytes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

DPI = 120
_SIZE = (7.0, 4.5)
_BAR = "#4C72B0"
_BAND = "#4C72B0"
_DEADLINE = "#C44E52"


def plot_outcomes(outcomes: dict[str, dict], path: str | Path | None = None, title: str = "",
                  *, ax: Axes | None = None) -> Path | Figure:
    """Bar chart of outcome probabilities with 95% Wilson intervals.

    Args:
        outcomes: An outcome table, ``{name: {"p", "ci": [lo, hi], "count"}}``.
        path: Where to write the PNG (None: return the Figure instead).
        title: Title above the chart.

        ax: Draw on these axes (of a figure of yours) instead of a new figure.

    Returns:
        The path written, or the Figure when no path is given.
    """
    fig, ax = _figure(ax)
    names = list(outcomes)
    p, whiskers = _whiskers(outcomes, names)
    bars = ax.bar(_labels(names), p, yerr=whiskers, capsize=6, color=_BAR)
    ax.bar_label(bars, labels=[f"{v:.3f}" for v in p], padding=3)
    _slant(ax)
    ax.set_ylim(0.0, 1.1)
    _label(ax, title or "How did the replications end?", "outcome",
           "probability (95% Wilson interval)")
    if not names:
        _note(ax, "no outcomes")
    return _finish(fig, path)


def plot_survival(km: dict, path: str | Path | None = None, title: str = "",
                  horizon: float | None = None, *, ax: Axes | None = None) -> Path | Figure:
    """Kaplan-Meier step curve with its 95% band and the median marked.

    Args:
        km: A survival curve as returned by :func:`sim.stats.survival`.
        path: Where to write the PNG (None: return the Figure instead).
        title: Title above the chart.
        horizon: Right end of the time axis (days); the last knot when None.

        ax: Draw on these axes (of a figure of yours) instead of a new figure.

    Returns:
        The path written, or the Figure when no path is given.
    """
    fig, ax = _figure(ax)
    t = np.asarray(km.get("t", []), dtype=float)
    if t.size:
        _draw_survival(ax, km, t)
    else:
        _note(ax, "no truces")
    if horizon is not None and horizon > 0:
        ax.set_xlim(0.0, horizon)
    ax.set_ylim(0.0, 1.05)
    _label(ax, title or "How long did the first truce hold? (Kaplan-Meier)",
           "days since the truce began "
           "(number at risk below)" if km.get("risk") else "days since the truce began",
           "probability the truce holds")
    return _finish(fig, path)


def _known(km: dict, t: np.ndarray) -> int:
    """How many knots to draw: through the last with a truce at risk, since beyond the oldest
    truce the curve is unknown (all of them without at-risk counts, or when it reached 0)."""
    risk = km.get("at_risk")
    if not risk or len(risk) != t.size or km["s"][-1] == 0:
        return t.size
    alive = np.flatnonzero(np.asarray(risk) > 0)
    return int(min(t.size, alive[-1] + 2)) if alive.size else 1


def _draw_survival(ax: Axes, km: dict, t: np.ndarray) -> None:
    k = _known(km, t)
    t = t[:k]
    ax.fill_between(t, km["lo"][:k], km["hi"][:k], step="post", alpha=0.25, color=_BAND,
                    label="95% band")
    ax.step(t, km["s"][:k], where="post", color=_BAND,
            label=f"survival (n = {km.get('n', 0)})")
    median = km.get("median")
    if median is not None:
        estimable = (km.get("median_at_risk") or MIN_AT_RISK) >= MIN_AT_RISK
        ax.axvline(median, color="gray", linestyle=":")
        ax.plot([median], [0.5], "o" if estimable else "x", color="black",
                label=f"median {median:.1f} days" if estimable else
                f"median not estimable ({km['median_at_risk']} at risk)")
    judged = km.get("judged")
    if judged and not judged["at_risk"]:
        ax.plot([], [], " ", label=f"S({judged['day']:g} d) not estimable: no truce at risk")
    if judged and judged.get("s") is not None and judged["at_risk"] > 0:
        ax.errorbar([judged["day"]], [judged["s"]], fmt="s", color="black", capsize=3,
                    yerr=[[judged["s"] - judged["ci"][0]], [judged["ci"][1] - judged["s"]]],
                    label=f"S({judged['day']:g} d), {judged['at_risk']} at risk"
                    + ("" if judged.get("estimable") else ": not estimable"))
    _legend_beside(ax)
    _risk_row(ax, km.get("risk"))


def _risk_row(ax: Axes, risk: dict | None) -> None:
    """The number at risk under the curve, one count per round time (its x tick); the axis
    label says what the row is."""
    if not risk:
        return
    ax.set_xticks(risk["t"])
    ax.xaxis.labelpad = 18  # room for the row of counts between the ticks and the label
    below = ax.get_xaxis_transform()  # x in data, y in axes
    for t, n in zip(risk["t"], risk["n"], strict=True):
        ax.text(t, -0.1, str(n), transform=below, ha="center", va="top", fontsize=9,
                color="gray")


def plot_deal_days(deal_days: np.ndarray, path: str | Path | None = None,
                   deadline_day: float | None = None,
                   horizon: float | None = None, title: str = "",
                   renewed: Sequence[float] = (), *, ax: Axes | None = None) -> Path | Figure:
    """Histogram of the day deals were struck, with the deadline (and any renewed
    deadlines) marked.

    Args:
        deal_days: Day of the deal, one per replication; NaN where there was no deal.
        path: Where to write the PNG (None: return the Figure instead).
        deadline_day: Day of the deadline, drawn as a dashed line; None for no deadline.
        horizon: Right end of the time axis (days); automatic when None.
        title: Title above the chart.
        renewed: Days of the new deadlines that may follow a lapse, drawn dotted.

        ax: Draw on these axes (of a figure of yours) instead of a new figure.

    Returns:
        The path written, or the Figure when no path is given.
    """
    fig, ax = _figure(ax)
    days = np.asarray(deal_days, dtype=float)
    days = days[np.isfinite(days)]
    if days.size:
        ax.hist(days, bins=_bins(days, horizon), range=(0.0, horizon) if horizon else None,
                color=_BAR, edgecolor=_BAR, linewidth=0.5)
    else:
        _note(ax, "no deals")
    if deadline_day is not None:
        ax.axvline(deadline_day, color=_DEADLINE, linestyle="--",
                   label=f"deadline (day {deadline_day:g})")
        for k, day in enumerate(renewed):
            ax.axvline(day, color=_DEADLINE, linestyle=":",
                       label="renewed deadline (if one lapses): day "
                       + ", ".join(f"{d:g}" for d in renewed) if k == 0 else None)
        ax.legend(loc="upper left")
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole replications
    if horizon is not None and horizon > 0:
        ax.set_xlim(0.0, horizon)
    _label(ax, title or f"When were deals struck? ({days.size} deals)", "deal day (days)",
           "replications")
    return _finish(fig, path)


def _bins(days: np.ndarray, horizon: float | None) -> int:
    """About one bin per day for short spans, at most 30 (wider bars stay visible however
    long the horizon: 50 one-pixel bars read as an empty panel)."""
    span = horizon if horizon else float(days.max() - days.min())
    return int(np.clip(np.ceil(span), 1, MAX_BINS))


def plot_violations(violations: Mapping[str, np.ndarray], path: str | Path | None = None,
                    title: str = "", *, ax: Axes | None = None) -> Path | Figure:
    """Mean truce violations per party with 95% intervals for the mean.

    Args:
        violations: Violation counts per replication, by party name; NaNs are ignored.
        path: Where to write the PNG (None: return the Figure instead).
        title: Title above the chart.

        ax: Draw on these axes (of a figure of yours) instead of a new figure.

    Returns:
        The path written, or the Figure when no path is given.
    """
    fig, ax = _figure(ax)
    parties = list(violations)
    summaries = [_mean_and_half(violations[p]) for p in parties]
    means = [m for m, _ in summaries]
    halves = [h for _, h in summaries]
    bars = ax.bar([_plain(p) for p in parties], means, yerr=halves, capsize=6, color=_BAR)
    ax.bar_label(bars, labels=[f"{m:.2f}" for m in means], padding=3)
    _slant(ax)
    ax.margins(y=0.12)  # headroom so the value labels clear the frame
    _label(ax, title or "Who violated the truce, and how often?", "party",
           "violations per replication (mean, 95% interval)")
    if not parties:
        _note(ax, "no violations recorded")
    return _finish(fig, path)


def _mean_and_half(values: np.ndarray) -> tuple[float, float]:
    """Mean and normal-approximation 95% half-width; zeros when there are no values."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return 0.0, 0.0
    sd = float(x.std(ddof=1)) if x.size > 1 else 0.0
    return float(x.mean()), Z95 * sd / float(np.sqrt(x.size))


def _whiskers(outcomes: dict[str, dict], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and the (below, above) lengths of their interval whiskers."""
    p = np.array([outcomes[n]["p"] for n in names], dtype=float)
    ci = np.array([outcomes[n]["ci"] for n in names], dtype=float).reshape(-1, 2)
    return p, np.vstack([p - ci[:, 0], ci[:, 1] - p]).clip(min=0.0)


def _slant(ax: Axes) -> None:
    """Slanted x labels, so that any number of long outcome names stay readable."""
    for label in ax.get_xticklabels():
        label.set_rotation(20)
        label.set_horizontalalignment("right")


MAX_BINS = 30
MIN_FONT = 9  # points: no label in a figure is smaller (tests/test_report_layout.py)


def _new_figure(**kwargs: Any) -> Figure:
    """A matplotlib Figure, matplotlib imported on the first (about 0.3 s that a command
    drawing nothing does not pay)."""
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _figure(ax: Axes | None = None) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.get_figure(), ax  # type: ignore[return-value]
    fig = _new_figure(figsize=_SIZE, layout="constrained")
    return fig, fig.add_subplot()


def _finish(fig: Figure, path: str | Path | None) -> Path | Figure:
    """Save to ``path``, or hand the Figure back (mathtext off either way)."""
    if path is None:
        return plain_figure(fig)
    return _save(fig, path)


def _legend_beside(ax: Axes) -> None:
    """The legend to the right of the axes, where it never covers the data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=9)


def _label(ax: Axes, title: str, xlabel: str, ylabel: str) -> None:
    ax.set_title(_plain(title))
    ax.set_xlabel(_plain(xlabel))
    ax.set_ylabel(_plain(ylabel))


def _plain(text: str) -> str:
    """Text shown as written: control characters dropped; ``$`` stays a dollar, since every
    figure is saved through ``sim.output.text.plain_figure``, which turns mathtext off."""
    return clean(shorten(text, PLOT_TEXT))


def _labels(names: list[str]) -> list[str]:
    """Outcome names as the registry's human labels (unknown names as they are)."""
    return [_plain(BY_NAME[n].label) if n in BY_NAME else _plain(n) for n in names]


def _note(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=14,
            color="gray", bbox={"facecolor": "white", "edgecolor": "none"}, zorder=5)


def _save(fig: Figure, path: str | Path) -> Path:
    """Render to PNG and write it atomically through the one writer, which refuses a
    symlink at ``path`` (never writing through it)."""
    out = Path(path)
    png = io.BytesIO()
    plain_figure(fig).savefig(png, dpi=DPI, format="png")
    write_bytes(out, png.getvalue())
    return out



# --- comparisons -----------------------------------------------------------------------------


def plot_side_by_side(scenarios: list[dict], path: str | Path | None = None, title: str = "",
                      *, ax: Axes | None = None) -> Path | Figure:
    """Grouped bars: each scenario's outcome probabilities with 95% Wilson whiskers.

    Args:
        scenarios: ``[{"label": str, "outcomes": outcome table}, ...]``.
        path: Where to write the PNG (None: return the Figure instead).
        title: Title above the chart.

        ax: Draw on these axes (of a figure of yours) instead of a new figure.

    Returns:
        The path written, or the Figure when no path is given.
    """
    fig, ax = _figure(ax)
    names = list(scenarios[0]["outcomes"]) if scenarios else []
    x = np.arange(len(names))
    width = 0.8 / max(1, len(scenarios))
    for k, s in enumerate(scenarios):
        p, err = _whiskers(s["outcomes"], names)
        ax.bar(x + (k - (len(scenarios) - 1) / 2) * width, p, width, yerr=err, capsize=3,
               label=_plain(s["label"]))
    ax.set_xticks(x, _labels(names))
    _slant(ax)
    ax.set_ylim(0.0, 1.05)
    _legend_beside(ax)
    _label(ax, title or "How does each scenario end?", "outcome",
           "probability (95% Wilson interval)")
    return _finish(fig, path)


def plot_forest(comparisons: list[dict], path: str | Path | None = None, title: str = "",
                *, ax: Axes | None = None) -> Path | Figure:
    """Forest plot of outcome-probability differences (variant minus baseline), 95% intervals.

    Args:
        comparisons: compare.json's ``comparisons`` list.
        path: Where to write the PNG (None: return the Figure instead).
        title: Title above the chart.

        ax: Draw on these axes (of a figure of yours) instead of a new figure.

    Returns:
        The path written, or the Figure when no path is given.
    """
    rows = [(f"{c['variant']}: {_labels([name])[0]}", d) for c in comparisons
            for name, d in c["diff"]["outcomes"].items() if d.get("diff") is not None]
    if ax is None:
        fig = _new_figure(figsize=(7.0, 1.2 + 0.32 * max(1, len(rows))), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
    for y, (_, d) in enumerate(reversed(rows)):
        lo, hi = d["ci"]
        color = _DEADLINE if d.get("significant") else _BAR
        ax.plot([lo, hi], [y, y], color=color, linewidth=2)
        ax.plot([d["diff"]], [y], "o", color=color)
    ax.axvline(0.0, color="gray", linestyle=":")
    ax.set_yticks(range(len(rows)), [_plain(label) for label, _ in reversed(rows)], fontsize=9)
    _label(ax, title or "Difference from the baseline (red: significant after Holm)",
           "difference in probability (95% interval)", "")
    if not rows:
        _note(ax, "nothing to compare")
    return _finish(fig, path)


# --- sweeps ----------------------------------------------------------------------------------


def plot_sweep_line(points: list[dict], path_name: str, out: str | Path, title: str = "") -> Path:
    """Outcome probabilities against one swept parameter, with 95% Wilson bands.

    Args:
        points: summary.json's points (each with ``values`` and ``outcomes``).
        path_name: The swept parameter.
        out: Where to write the PNG.
        title: Title above the chart.

    Returns:
        The path written.
    """
    fig, ax = _figure()
    ordered = sorted(points, key=lambda p: float(p["values"][path_name]))
    x = np.array([float(p["values"][path_name]) for p in ordered])
    for name in (ordered[0]["outcomes"] if ordered else {}):
        p = np.array([q["outcomes"][name]["p"] for q in ordered])
        ci = np.array([q["outcomes"][name]["ci"] for q in ordered])
        (line,) = ax.plot(x, p, marker="o", label=_labels([name])[0])
        ax.fill_between(x, ci[:, 0], ci[:, 1], color=line.get_color(), alpha=0.2)
    ax.set_ylim(0.0, 1.0)
    _legend_beside(ax)
    _label(ax, title or "How do the outcomes change across the sweep?", path_name,
           "probability (95% band)")
    return _save(fig, out)


def plot_heatmaps(points: list[dict], paths: list[str], out: str | Path, title: str = "") -> Path:
    """One heat map per outcome over two swept parameters (grid points), for any number of
    outcomes (laid out in a near-square grid of panels).

    Args:
        points: summary.json's points.
        paths: The two swept parameters (x, then y).
        out: Where to write the PNG.
        title: Title above the figure.

    Returns:
        The path written.
    """
    xs = sorted({float(p["values"][paths[0]]) for p in points})
    ys = sorted({float(p["values"][paths[1]]) for p in points})
    names = list(points[0]["outcomes"]) if points else []
    cols = max(1, math.ceil(math.sqrt(len(names))))
    rows = max(1, math.ceil(len(names) / cols))
    fig = _new_figure(figsize=(4.5 * cols, 3.75 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, name in zip(axes, names, strict=False):
        grid = np.full((len(ys), len(xs)), np.nan)
        for p in points:
            i = ys.index(float(p["values"][paths[1]]))
            j = xs.index(float(p["values"][paths[0]]))
            grid[i, j] = p["outcomes"][name]["p"]
        _heatmap(fig, ax, grid, xs, ys)
        _label(ax, _labels([name])[0], paths[0], paths[1])
    for ax in axes[len(names):]:
        ax.set_axis_off()
    fig.suptitle(_plain(title or "How do the outcomes change across the sweep?"))
    return _save(fig, out)


def _heatmap(fig: Figure, ax: Axes, grid: np.ndarray, xs: list[float], ys: list[float]) -> None:
    image = ax.imshow(grid, origin="lower", aspect="auto", vmin=0.0, vmax=1.0, cmap="viridis")
    ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs], fontsize=9)
    ax.set_yticks(range(len(ys)), [f"{v:g}" for v in ys], fontsize=9)
    for (i, j), v in np.ndenumerate(grid):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=9,
                    color="white" if v < 0.6 else "black")
    fig.colorbar(image, ax=ax, shrink=0.8)


def plot_ranking(sensitivity: dict, out: str | Path, title: str = "") -> Path:
    """Grouped bars: each parameter's influence on each outcome (|SRC| or total Sobol index).

    Bars that noise alone could produce (SRC not significant at 5%, or a Sobol interval that
    reaches 0) are drawn hatched and pale; effects that are not estimable are left out and
    marked "n/e". Sobol bars carry their bootstrap 95% interval.

    Args:
        sensitivity: summary.json's ``sensitivity`` mapping (outcome -> result).
        out: Where to write the PNG.
        title: Title above the chart.

    Returns:
        The path written.
    """
    fig, ax = _figure()
    outcomes = list(sensitivity)
    params = list(sensitivity[outcomes[0]]["parameters"]) if outcomes else []
    width = 0.8 / max(1, len(params))
    x = np.arange(len(outcomes))
    method = sensitivity[outcomes[0]]["method"] if outcomes else "src"
    for k, param in enumerate(params):
        cells = [sensitivity[o]["parameters"][param] for o in outcomes]
        _ranking_bars(ax, x + (k - (len(params) - 1) / 2) * width, width, cells, param)
    ax.set_xticks(x, _labels(outcomes))
    _slant(ax)
    ax.legend(fontsize=9)
    ylabel = "total Sobol index" if method == "sobol" else "|standardized regression coefficient|"
    _label(ax, title or "Which parameters move each outcome (hatched: noise could produce it)",
           "outcome", ylabel)
    if not outcomes:
        _note(ax, "too few points to rank parameters")
    return _save(fig, out)


def _ranking_bars(ax: Axes, x: np.ndarray, width: float, cells: list[dict], label: str) -> None:
    h = np.array([_influence(c) for c in cells], dtype=float)
    bars = ax.bar(x, np.nan_to_num(h), width, label=label, yerr=_sobol_err(cells, h),
                  capsize=2)
    color = bars.patches[0].get_facecolor() if bars.patches else None
    for bar, cell, value in zip(bars.patches, cells, h, strict=True):
        if not np.isfinite(value):
            ax.text(bar.get_x() + bar.get_width() / 2, 0.0, "n/e", ha="center", va="bottom",
                    fontsize=9, rotation=90)
        elif cell.get("noise"):
            bar.set_hatch("///")
            bar.set_alpha(0.45)
            bar.set_edgecolor(color)


def _influence(cell: dict) -> float:
    value = cell.get("total_order", cell.get("src"))
    return math.nan if value is None else abs(float(value))


def _sobol_err(cells: list[dict], h: np.ndarray) -> np.ndarray | None:
    if not all("total_ci" in c and c["total_ci"] is not None for c in cells):
        return None
    ci = np.array([c["total_ci"] for c in cells], dtype=float)
    return np.vstack([np.nan_to_num(h) - ci[:, 0], ci[:, 1] - np.nan_to_num(h)]).clip(min=0.0)


# --- scenario discovery ----------------------------------------------------------------------


def plot_discovery(result: dict, path: str | Path | None = None, title: str = "",
                   axes: Sequence[Axes] | None = None) -> Path | Figure:
    """PRIM's peeling trajectory (coverage against density) and the chosen box.

    Args:
        result: A discovery result (``sim.operations.discovery.discover``).
        path: Where to write the PNG (None: return the Figure instead).
        title: Title above the figure.
        axes: Two axes of a figure of yours (trajectory, box) instead of a new figure.

    Returns:
        The path written, or the Figure when no path is given.
    """
    if axes is None:
        fig = _new_figure(figsize=(11.0, 4.5), layout="constrained")
        left, right = fig.subplots(1, 2)
    else:
        left, right = axes
        fig = left.get_figure()  # type: ignore[assignment]
    _draw_trajectory(left, result)
    _draw_box(right, result["chosen"]["restricted"])
    fig.suptitle(_plain(title) or f"What leads to {result['outcome']} "
                 f"({result['cases']} of {result['n']} replications)")
    return _finish(fig, path)


def _draw_trajectory(ax: Axes, result: dict) -> None:
    t = result["trajectory"]
    cov = [r["coverage"] for r in t]
    den = [r["density"] for r in t]
    dims = [r["restricted"] for r in t]
    ax.plot(cov, den, color="lightgray", zorder=1)
    points = ax.scatter(cov, den, c=dims, cmap="viridis", zorder=2)
    chosen = result["chosen"]
    ax.plot([chosen["coverage"]], [chosen["density"]], "o", markersize=14, fillstyle="none",
            color=_DEADLINE, label=f"chosen box {chosen['index']}")
    ax.figure.colorbar(points, ax=ax, label="restricted inputs")
    ax.set_xlim(0.0, 1.02)
    ax.set_ylim(0.0, 1.02)
    ax.legend(loc="lower left")
    _label(ax, "Peeling and pasting: coverage against density", "coverage", "density")


def _draw_box(ax: Axes, restricted: list[dict]) -> None:
    """Each restricted input's range (gray) and the box's bounds in it (colour), on 0..1."""
    for y, r in enumerate(reversed(restricted)):
        lo, hi = r["range"]
        span = hi - lo or 1.0
        a, b = (r["min"] - lo) / span, (r["max"] - lo) / span
        ax.barh(y, 1.0, height=0.5, color="#DDDDDD")
        ax.barh(y, b - a, height=0.5, left=a, color=_BAR)
        ax.text(a, y + 0.3, f"{r['min']:.3g}", fontsize=9, ha="left", va="bottom")
        ax.text(b, y + 0.3, f"{r['max']:.3g}", fontsize=9, ha="right", va="bottom")
    ax.set_yticks(range(len(restricted)), [r["input"] for r in reversed(restricted)],
                  fontsize=9)
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(-0.6, max(len(restricted), 1) - 0.2)
    _label(ax, "The chosen box (blue)\nwithin each input's range (gray)",
           "position within the input's range", "")
    if not restricted:
        _note(ax, "no input restricted")


# --- tornado ---------------------------------------------------------------------------------

_LOW_COLOR = "#4C72B0"
_HIGH_COLOR = "#DD8452"


def plot_tornado(rows: list[dict], measure: str, label: str, path: str | Path | None = None,
                 title: str = "", *, ax: Axes | None = None) -> Path | Figure:
    """Tornado chart: per input, the change in ``measure`` from the base run when the input
    is at its low (10th percentile) and its high (90th percentile) value, widest swing on
    top, with each bar's 95% paired interval.

    Args:
        rows: tornado.json's levers, already ranked (see ``sim.operations.tornado.ranked``).
        measure: the measure drawn (an outcome, ``deal`` or ``median_deal_day``).
        label: the measure in words, for the axis and the title.
        path: Where to write the PNG (None: return the Figure instead).
        title: Title above the chart (default: the question it answers).
        ax: Draw on these axes (of a figure of yours) instead of a new figure.

    Returns:
        The path written, or the Figure when no path is given.
    """
    if ax is None:
        fig = _new_figure(figsize=(8.0, 1.6 + 0.42 * max(1, len(rows))), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
    for y, row in enumerate(reversed(rows)):
        cell = row["measures"][measure]
        for side, color in (("low", _LOW_COLOR), ("high", _HIGH_COLOR)):
            _tornado_bar(ax, y, cell[side], color, side == "low")
    names = [_plain(f"{r['path']}  [{r['low']:.3g} | {r['high']:.3g}]") for r in reversed(rows)]
    ax.set_yticks(range(len(rows)), names, fontsize=9)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.legend(handles=_tornado_legend(), fontsize=9, loc="upper left",
              bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    unit = "days" if measure == "median_deal_day" else "probability"
    _label(ax, title or f"Which judgements move {label} most?",
           f"change from the base run ({unit}; line: 95% paired interval)", "")
    if not rows:
        _note(ax, "no inputs to move")
    return _finish(fig, path)


def _tornado_bar(ax: Axes, y: int, d: dict, color: str, low: bool) -> None:
    if d.get("diff") is None:
        return
    ax.barh(y, d["diff"], height=0.6, color=color, alpha=0.85)
    if d.get("ci") is not None:
        offset = -0.1 if low else 0.1  # the two sides' intervals side by side, not on top
        ax.plot(d["ci"], [y + offset, y + offset], color="black", linewidth=1.2)


def _tornado_legend() -> list:
    from matplotlib.patches import Patch

    return [Patch(color=_LOW_COLOR, label="input at its\n10th percentile"),
            Patch(color=_HIGH_COLOR, label="input at its\n90th percentile")]
