"""What a tornado shows: its result object, its terminal table, its chart and its folder.

Reads only what :mod:`sim.operations.tornado` computed (tornado.json's content).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.engine.outcomes import BY_NAME
from sim.operations import tornado as op
from sim.output import plots
from sim.output.render import Col, fitted
from sim.store import Folder

if TYPE_CHECKING:
    import pandas as pd

TABLE_COLUMNS = ["input", "source", "spread", "low", "high", "measure", "base",
                 "low_value", "low_diff", "low_ci_low", "low_ci_high",
                 "high_value", "high_diff", "high_ci_low", "high_ci_high", "swing"]


def label(measure: str) -> str:
    """A measure in words: an outcome's label, P(deal) or the median deal day."""
    if measure == op.DEAL:
        return "P(deal)"
    if measure == op.MEDIAN_DAY:
        return "the median deal day"
    return f"P({BY_NAME[measure].label})" if measure in BY_NAME else measure


@dataclass
class TornadoResult:
    """A tornado (``data`` is what tornado.json holds); ``measure`` is what it ranks by."""

    data: dict[str, Any]
    measure: str
    folder: Path | None = None

    @property
    def ranked(self) -> list[dict[str, Any]]:
        """The inputs by the size of their swing on :attr:`measure`, largest first."""
        return op.ranked(self.data, self.measure)

    @property
    def table(self) -> pd.DataFrame:
        """One row per input and measure (outcomes, ``deal``, ``median_deal_day``): the
        input's low and high values, the base run's value, each arm's value and paired
        difference from the base with its 95% interval, and the swing (high minus low
        difference). Inputs in the order of their swing on :attr:`measure`."""
        import pandas as pd

        rows = [_row(r, m, self.data["base"][m]) for r in self.ranked
                for m in self.data["measures"]]
        return pd.DataFrame(rows, columns=TABLE_COLUMNS)

    def plot(self, path: str | Path | None = None, measure: str | None = None,
             ax: Any = None) -> Any:
        """The tornado chart of ``measure`` (default: :attr:`measure`): to ``path``, or a
        Figure."""
        m = measure or self.measure
        return plots.plot_tornado(op.ranked(self.data, m), m, label(m), path, ax=ax)

    def __repr__(self) -> str:
        d = self.data
        head = (f"TornadoResult({d['scenario']}, {len(d['levers'])} inputs, {d['runs']} runs "
                f"per arm, seed {d['seed']}, ranked by {self.measure}"
                + (f", folder {self.folder}" if self.folder else "") + ")")
        lines = [f"  {r['path']}: swing {_signed(r['measures'][self.measure]['swing'])}"
                 for r in self.ranked[:10]]
        return "\n".join([head, *lines])


def _row(lever: dict[str, Any], measure: str, base: float | None) -> dict[str, Any]:
    cell = lever["measures"][measure]
    out: dict[str, Any] = {"input": lever["path"], "source": lever["source"],
                           "spread": lever["spread"], "low": lever["low"],
                           "high": lever["high"], "measure": measure, "base": base}
    for side in ("low", "high"):
        d = cell[side]
        lo, hi = d.get("ci") or (None, None)
        out.update({f"{side}_value": d.get("value"), f"{side}_diff": d.get("diff"),
                    f"{side}_ci_low": lo, f"{side}_ci_high": hi})
    out["swing"] = cell["swing"]
    return out


def _signed(x: float | None, fmt: str = "+.3f") -> str:
    return "n/a" if x is None else format(x, fmt)


def _side(d: dict[str, Any], fmt: str, symmetric: bool) -> str:
    """A difference with its 95% interval: ``± half-width`` for the (symmetric) t-interval
    of a probability, ``[low, high]`` for a median's bootstrap interval."""
    if d.get("diff") is None:
        return "n/a"
    ci = d.get("ci")
    if ci is None:
        return format(d["diff"], fmt)
    if symmetric:
        return f"{format(d['diff'], fmt)} ± {(ci[1] - ci[0]) / 2:.3f}"
    return f"{format(d['diff'], fmt)} [{format(ci[0], fmt)}, {format(ci[1], fmt)}]"


def terminal_table(result: TornadoResult, width: int = 80) -> Any:
    """The inputs by swing on the result's measure: values moved to, each side's paired
    difference from the base run with its 95% interval, and the swing."""
    m = result.measure
    fmt = "+.1f" if m == op.MEDIAN_DAY else "+.3f"
    base = result.data["base"][m]
    title = (f"Tornado of {label(m)} (base {_plain_value(base, m)}): each input at its 10th "
             "and 90th percentile, the others drawn")
    cols = [Col("input", numeric=False), Col("10th | 90th pct"), Col("at 10th (± 95%)"),
            Col("at 90th (± 95%)"), Col("swing")]
    sym = m != op.MEDIAN_DAY
    rows = [[r["path"], f"{r['low']:.3g} | {r['high']:.3g}",
             _side(r["measures"][m]["low"], fmt, sym), _side(r["measures"][m]["high"], fmt, sym),
             _signed(r["measures"][m]["swing"], fmt)] for r in result.ranked]
    return fitted(title, cols, rows, width)


def _plain_value(x: float | None, measure: str) -> str:
    if x is None:
        return "n/a"
    return f"day {x:.1f}" if measure == op.MEDIAN_DAY else f"{x:.3f}"


def note_lines(result: TornadoResult) -> list[str]:
    """What the table means, in two lines under it."""
    d = result.data
    return [f"{d['runs']:,} replications per arm on common random numbers (seed {d['seed']}); "
            "differences are paired, arm minus base.",
            "swing = difference at the 90th percentile minus at the 10th: its sign is the "
            "direction in which the input moves the answer."]


def save(result: TornadoResult, text: str, folder: Folder, plots_too: bool = True) -> Path:
    """Write tornado.json, the manifest and (with ``plots_too``) tornado.png; complete the
    folder and return its final path."""
    d = result.data
    folder.write_json("tornado.json", {**d, "rank_by": result.measure})
    folder.write_manifest(text, seed=d["seed"], runs=d["runs"],
                          extra={"rank_by": result.measure,
                                 "levers": [r["path"] for r in d["levers"]]})
    if plots_too:
        result.plot(folder.path / "tornado.png")
    return folder.complete()


__all__ = ["TornadoResult", "terminal_table", "note_lines", "save", "label"]
