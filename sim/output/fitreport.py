"""``negsim fit``: a Hawkes fit of an incidents file, told as a table, JSON, YAML and a plot.

The YAML block uses today's scenario schema: each party's ``violation_rate`` (mu) and each
spoiler's ``attack_rate`` under ``actors``; ``truce.parties``, ``truce.alpha`` (row party
excited by column party) and the scalar ``truce.beta``; ``spoilers.NAME.excites``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from sim import store
from sim.errors import DataError, UsageError
from sim.operations import incidents as inc
from sim.stats import hawkes

SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class FitOptions:
    """What to read from the file and which window and actors to fit."""

    time_column: str = "event_date"
    actor_column: str = "actor1"
    parties: list[str] | None = None
    spoilers: list[str] = field(default_factory=list)
    start: str | None = None
    end: str | None = None
    spread_seed: int = 0
    profile: bool = False
    types: list[str] | None = None  # keep only rows of these event types
    type_column: str = "event_type"
    actors: str | Path | None = None  # a YAML or CSV actor mapping (parties and spoilers)


@dataclass(frozen=True)
class Estimate:
    """One fitted number, named by its dotted path in a scenario."""

    path: str
    meaning: str
    value: float
    lower: float
    upper: float
    why: str = ""  # why the interval is not finite on both sides ("" when it is)


@dataclass(frozen=True)
class FitReport:
    """Everything ``negsim fit`` shows: the selection, the estimates and the checks."""

    source: str
    selection: inc.Selection
    fit: hawkes.Fit
    gof: hawkes.GoodnessOfFit
    slugs: dict[str, str]
    spread: int
    intervals: str = "observed information (Wald, log scale)"

    @property
    def estimates(self) -> list[Estimate]:
        """Every parameter in scenario terms, spoilers' Poisson attack rates included."""
        return _party_estimates(self) + _spoiler_rates(self)


def split_names(text: str | None) -> list[str] | None:
    """``"a, b"`` -> ``["a", "b"]``; None or empty -> None."""
    names = [x.strip() for x in (text or "").split(",") if x.strip()]
    return names or None


def fit_file(path: str | Path, options: FitOptions | None = None) -> FitReport:
    """Read an incidents file, fit the Hawkes model and check it.

    Raises:
        DataError: the file or a row is bad, or a chosen actor has no events.
        UsageError: an option is bad (window, actors).
    """
    o = options or FitOptions()
    data = inc.read(path, o.time_column, o.actor_column, o.spread_seed, o.types, o.type_column)
    parties, spoilers = o.parties, o.spoilers
    if o.actors is not None:
        if parties or spoilers:
            raise UsageError("name the actors either in <<actors>> or with <<parties>> and "
                             "<<spoiler>>, not both")
        mapping = inc.read_mapping(o.actors)
        data = inc.renamed(data, mapping)
        parties, spoilers = list(mapping.parties), list(mapping.spoilers)
    sel = inc.select(data, parties, spoilers, o.start, o.end)
    refuse_thin(str(path), sel)
    result = hawkes.fit(sel.history)
    gof = hawkes.goodness_of_fit(result.params, sel.history)
    names = slugs(sel.parties + sel.spoilers)
    if o.profile:
        return FitReport(str(path), sel, hawkes.profile(sel.history, result), gof, names,
                         data.spread, "profile likelihood")
    return FitReport(str(path), sel, result, gof, names, data.spread)


REFUSE_PER_PARAMETER = 2  # fewer party events per parameter: no fit is shown
WARN_PER_PARAMETER = 10  # fewer: the estimates are shown with a warning


def parameters(sel: inc.Selection) -> int:
    """Hawkes parameters fitted: each party's rate, the alpha matrix, each spoiler's
    excitation of each party, and beta."""
    d, m = len(sel.parties), len(sel.spoilers)
    return d + d * d + m * d + 1


def refuse_thin(source: str, sel: inc.Selection) -> None:
    """Refuse data far too thin for the model.

    Raises:
        DataError: fewer than REFUSE_PER_PARAMETER party events per parameter.
    """
    k, n = parameters(sel), sel.history.events
    if n < REFUSE_PER_PARAMETER * k:
        raise DataError(source, None, f"{n} party events for {k} parameters: too few to fit "
                        f"(at least {REFUSE_PER_PARAMETER * k}; {WARN_PER_PARAMETER * k} for "
                        "estimates worth using); widen the window or fit fewer parties")


def cautions(r: FitReport) -> list[str]:
    """One line for each reason the data may not support the model."""
    out = []
    k, n = parameters(r.selection), r.selection.history.events
    if n < WARN_PER_PARAMETER * k:
        out.append(f"only {n / k:.1g} party events per parameter ({n} for {k}): estimates "
                   f"are weak (want {WARN_PER_PARAMETER}+)")
    b = r.fit.branching
    if not np.isfinite(b[2]) and b[0] < 1:
        out.append(f"the branching ratio has no interval ({r.fit.branching_why or 'unknown'}):"
                   " stationarity is not established")
    elif not b[0] < 1 or b[2] >= 1:
        out.append(f"branching-ratio interval [{_num(b[1])}, {_num(b[2])}] reaches 1: "
                   "stationarity is not established")
    if not r.gof.consistent:
        out.append("time-rescaling test rejects the model (a regime shift, or the wrong "
                   "actors?): do not use these estimates as they are")
    if any(not (np.isfinite(e.lower) and np.isfinite(e.upper)) for e in r.estimates):
        out.append("some intervals are open (?): the data cannot bound those parameters "
                   "(why: below)")
    return out


def blank_reasons(r: FitReport) -> list[str]:
    """One line per reason an interval is open, naming every parameter it applies to (each
    open interval has exactly one)."""
    by_reason: dict[str, list[str]] = {}
    for e in r.estimates:
        if not (np.isfinite(e.lower) and np.isfinite(e.upper)):
            by_reason.setdefault(e.why or "unknown", []).append(e.path)
    return [f"no {'upper limit' if _lower_only(r, paths) else 'interval'} for "
            f"{', '.join(paths)}: {why}" for why, paths in by_reason.items()]


def _lower_only(r: FitReport, paths: list[str]) -> bool:
    return all(np.isfinite(e.lower) for e in r.estimates if e.path in paths)


def slugs(actors: list[str]) -> dict[str, str]:
    """Scenario ids for actor names: lower case, ``_`` for other characters, unique."""
    out: dict[str, str] = {}
    for actor in actors:
        base = re.sub(r"[^a-z0-9]+", "_", actor.lower()).strip("_")[:56] or "actor"
        base = base if SLUG.match(base) else f"actor_{base}"
        slug, n = base, 2
        while slug in out.values():
            slug, n = f"{base}_{n}", n + 1
        out[actor] = slug
    return out


def _party_estimates(r: FitReport) -> list[Estimate]:
    s, f = r.selection, r.fit
    d = len(s.parties)
    out = []
    for k, (kind, i, j) in enumerate(hawkes.names(d, len(s.spoilers))):
        path, meaning = _describe(r, kind, i, j)
        out.append(Estimate(path, meaning, float(f.params.vector()[k]), float(f.lower[k]),
                            float(f.upper[k]), f.why[k] if f.why else ""))
    return out


def _describe(r: FitReport, kind: str, i: int, j: int) -> tuple[str, str]:
    p, sp, slug = r.selection.parties, r.selection.spoilers, r.slugs
    if kind == "mu":
        return f"actors.{slug[p[i]]}.violation_rate", f"base rate of {p[i]}"
    if kind == "alpha":
        return (f"truce.alpha.{slug[p[i]]}.{slug[p[j]]}",
                f"jump of {p[i]} per {p[j]} violation")
    if kind == "gamma":
        return (f"spoilers.{slug[sp[j]]}.excites.{slug[p[i]]}",
                f"jump of {p[i]} per {sp[j]} attack")
    return "truce.beta", f"decay (half-life {np.log(2) / r.fit.params.beta:.2g} days)"


def _spoiler_rates(r: FitReport) -> list[Estimate]:
    """Spoilers are not modelled as Hawkes: their rate is Poisson, with Garwood's interval."""
    out = []
    days = r.selection.history.horizon
    for name, times in zip(r.selection.spoilers, r.selection.history.spoilers, strict=True):
        n = times.size
        lo = stats.chi2.ppf(0.025, 2 * n) / 2 / days if n else 0.0
        hi = stats.chi2.ppf(0.975, 2 * n + 2) / 2 / days
        out.append(Estimate(f"actors.{r.slugs[name]}.attack_rate",
                            f"attacks by {name} (Poisson)", n / days, lo, hi))
    return out


# --- JSON ---------------------------------------------------------------------------------


def to_json(r: FitReport) -> dict[str, Any]:
    """A JSON-ready summary (NaN becomes null)."""
    s, b, g = r.selection, r.fit.branching, r.gof
    return _clean({
        "file": r.source,
        "window": {"start": s.label(s.start), "end": s.label(s.end), "days": s.history.horizon},
        "parties": {r.slugs[a]: a for a in s.parties},
        "spoilers": {r.slugs[a]: a for a in s.spoilers},
        "events": _counts(s),
        "outside_window": s.outside, "dropped": s.dropped, "spread_within_day": r.spread,
        "loglik": r.fit.loglik, "converged": r.fit.converged, "intervals": r.intervals,
        "parameters": [{"path": e.path, "meaning": e.meaning, "estimate": e.value,
                        "ci": [e.lower, e.upper], "why": e.why or None} for e in r.estimates],
        "branching_ratio": {"estimate": b[0], "ci": [b[1], b[2]],
                            "stationary": bool(b[0] < 1 and np.isfinite(b[2]) and b[2] < 1),
                            "why": r.fit.branching_why or None},
        "warnings": cautions(r),
        "goodness_of_fit": {"residuals": int(g.residuals.size), "ks_exponential": g.ks_exponential,
                            "p_exponential": g.p_exponential, "ks_uniform": g.ks_uniform,
                            "p_uniform": g.p_uniform, "consistent": g.consistent},
        "yaml": yaml_block(r),
    })


def _counts(s: inc.Selection) -> dict[str, int]:
    names = s.parties + s.spoilers
    return {a: int(t.size) for a, t in zip(names, s.history.sources, strict=True)}


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    return value


# --- the paste-ready YAML block -----------------------------------------------------------


def _num(x: float) -> str:
    return f"{x:.4g}" if np.isfinite(x) else "null"


def _ci(e: Estimate) -> str:
    return f"# 95% [{_num(e.lower)}, {_num(e.upper) if np.isfinite(e.upper) else '?'}]"


def yaml_block(r: FitReport) -> str:
    """YAML to merge into a scenario: ``actors``, ``truce`` and ``spoilers`` blocks."""
    s, by_path = r.selection, {e.path: e for e in r.estimates}
    lines = _yaml_header(r) + ["actors:"]
    for actor in s.parties + s.spoilers:
        slug = r.slugs[actor]
        key = "violation_rate" if actor in s.parties else "attack_rate"
        e = by_path[f"actors.{slug}.{key}"]
        lines += [f"  {slug}:", f"    label: {json.dumps(actor)}",
                  f"    {key}: {_num(e.value)}  {_ci(e)}"]
    lines += ["truce:", f"  parties: [{', '.join(r.slugs[p] for p in s.parties)}]",
              "  alpha:  # alpha[i][j]: jump in i's violation rate per violation by j, per day"]
    for i in s.parties:
        lines.append(f"    {r.slugs[i]}:")
        for j in s.parties:
            e = by_path[f"truce.alpha.{r.slugs[i]}.{r.slugs[j]}"]
            lines.append(f"      {r.slugs[j]}: {_num(e.value)}  {_ci(e)}")
    beta = by_path["truce.beta"]
    lines.append(f"  beta: {_num(beta.value)}  {_ci(beta)}")
    return "\n".join(lines + _yaml_spoilers(r, by_path)) + "\n"


def _yaml_header(r: FitReport) -> list[str]:
    s, b = r.selection, r.fit.branching
    return [f"# negsim fit {Path(r.source).name}: window {s.label(s.start)} to "
            f"{s.label(s.end)} (exclusive, {s.history.horizon:g} days), "
            f"{s.history.events} party events",
            f"# branching ratio {_num(b[0])} (95% [{_num(b[1])}, {_num(b[2])}]); "
            f"time-rescaling KS p = {r.gof.p_exponential:.3g} (exponential), "
            f"{r.gof.p_uniform:.3g} (uniform)",
            "# Merge these blocks into a scenario (a truce also needs `starts`)."]


def _yaml_spoilers(r: FitReport, by_path: dict[str, Estimate]) -> list[str]:
    if not r.selection.spoilers:
        return []
    lines = ["spoilers:"]
    for sp in r.selection.spoilers:
        lines += [f"  {r.slugs[sp]}:", "    excites:  # jump in each party's rate per attack"]
        for p in r.selection.parties:
            e = by_path[f"spoilers.{r.slugs[sp]}.excites.{r.slugs[p]}"]
            lines.append(f"      {r.slugs[p]}: {_num(e.value)}  {_ci(e)}")
    return lines


# --- table, plot and files ----------------------------------------------------------------


def table(r: FitReport, width: int = 80) -> Any:
    """The estimates with their 95% intervals, laid out for ``width`` columns (the meaning
    folds; a table that still cannot fit is printed stacked, one block per parameter)."""
    from sim.output.render import Col, fitted

    s = r.selection
    title = (f"Hawkes fit of {r.source}: {s.label(s.start)} to {s.label(s.end)} "
             f"({s.history.horizon:g} days), {s.history.events} party events")
    cols = [Col("parameter", numeric=False, whole=True), Col("estimate"),
            Col("95% interval", whole=True), Col("meaning", numeric=False)]
    rows = [[e.path, _num(e.value),
             f"[{_num(e.lower)}, {_num(e.upper) if np.isfinite(e.upper) else '?'}]", e.meaning]
            for e in r.estimates]
    return fitted(title, cols, rows, width)


def summary_lines(r: FitReport) -> list[str]:
    """Branching ratio, goodness of fit and what was left out, in words."""
    b, g, s = r.fit.branching, r.gof, r.selection
    state = ("NOT stationary (explosive)" if not b[0] < 1 else "stationary"
             if np.isfinite(b[2]) and b[2] < 1 else "estimate below 1, interval reaching 1"
             if np.isfinite(b[2]) else f"estimate below 1, no interval: {r.fit.branching_why}")
    warnings = cautions(r)
    verdict = ("REJECTS the model" if not g.consistent else "does not reject the model (see "
               "the warnings)" if warnings else "consistent with the model")
    lines = [f"95% intervals: {r.intervals}; rates and jumps per day; a jump raises the row "
             "party's violation rate and decays at beta",
             f"branching ratio (spectral radius of alpha/beta) {_num(b[0])}, 95% "
             f"[{_num(b[1])}, {_num(b[2])}]: {state}",
             f"time-rescaling ({g.residuals.size} residuals): KS vs Exp(1) "
             f"D={g.ks_exponential:.3f} p={g.p_exponential:.3g}; rescaled times vs uniform "
             f"D={g.ks_uniform:.3f} p={g.p_uniform:.3g}: {verdict}",
             f"log-likelihood {r.fit.loglik:.2f}" + ("" if r.fit.converged else
                                                     f" (optimiser: {r.fit.message})")]
    lines = [f"warning: {c}" for c in warnings] + blank_reasons(r) + lines
    if r.spread:
        lines.append(f"{r.spread} day-resolution times spread within their day (sorted "
                     "seeded uniforms, file order kept; --spread-seed changes them)")
    wide = [e.path for e in r.estimates if e.lower > 0 and e.upper / e.lower > 1e4]
    if wide and r.intervals != "profile likelihood":
        lines.append(f"{len(wide)} Wald intervals span more than a factor of 10^4 (a jump near "
                     "0?): --profile gives intervals that can reach 0")
    left = s.outside + sum(s.dropped.values())
    if left:
        lines.append(f"left out: {s.outside} outside the window, "
                     f"{sum(s.dropped.values())} by other actors ({', '.join(s.dropped)})")
    return lines


def plot_residuals(r: FitReport) -> Any:
    """QQ plots of the time-rescaled residuals (Exp(1)) and rescaled times (uniform)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = np.sort(r.gof.residuals)
    n = res.size
    probs = (np.arange(1, n + 1) - 0.5) / max(n, 1)
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 4.2))
    a.plot(stats.expon.ppf(probs), res, ".", ms=3)
    top = float(max(res.max(initial=1.0), stats.expon.ppf(probs).max(initial=1.0)))
    a.plot([0, top], [0, top], "k--", lw=1)
    a.set(xlabel="Exp(1) quantile", ylabel="rescaled inter-event time",
          title=f"residuals vs Exp(1), KS p = {r.gof.p_exponential:.3g}")
    u = r.gof.scaled
    band = 1.358 / np.sqrt(max(u.size, 1))
    b.plot((np.arange(1, u.size + 1) - 0.5) / max(u.size, 1), u, ".", ms=3)
    b.plot([0, 1], [0, 1], "k--", lw=1)
    b.fill_between([0, 1], [-band, 1 - band], [band, 1 + band], color="grey", alpha=0.2,
                   label="95% KS band")
    b.set(xlabel="uniform quantile", ylabel="rescaled event time / total",
          title=f"rescaled times vs uniform, KS p = {r.gof.p_uniform:.3g}", xlim=(0, 1),
          ylim=(0, 1))
    b.legend(loc="upper left")
    fig.suptitle(f"Time-rescaling check: {Path(r.source).name}")
    fig.tight_layout()
    return fig


def write_new(path: Path, data: str | bytes, force: bool = False) -> None:
    """Write a file atomically through the store's one writer (never through a link);
    never overwrite unless ``force``.

    Raises:
        UsageError: the file exists and ``force`` is false.
        StorageError: the file cannot be written.
    """
    store.write_new(path, data.encode() if isinstance(data, str) else data, force)


def save_plot(r: FitReport, path: Path, force: bool = False) -> None:
    """The QQ plot as PNG, written like :func:`write_new`."""
    import io

    buf = io.BytesIO()
    fig = plot_residuals(r)
    fig.savefig(buf, format="png", dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    write_new(path, buf.getvalue(), force)
