"""What one replication can end as, what it records, and the one registry that names both.

Every table, plot, report, comparison and JSON file reads outcome and metric names, labels
and meanings from here. An outcome that cannot occur in a scenario (decided from the
scenario's structure: no truce block, no deadline, ...) is left out of its tables.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sim.scenario import Scenario

DEADLINE_OUTCOMES = ("met", "lapsed", "enforced", "none")
NAN = math.nan


@dataclass(frozen=True)
class Outcome:
    """One category a replication ends in.

    Attributes:
        name: The column value and JSON key.
        label: A short human label.
        meaning: One line saying what happened.
        group: The coarse group it belongs to (see ``GROUPS``).
        occurs: Whether a scenario's structure allows it.
    """

    name: str
    label: str
    meaning: str
    group: str
    occurs: Callable[[Scenario], bool]


def _has_truce(s: Scenario) -> bool:
    return s.truce is not None


def _can_break(s: Scenario) -> bool:
    if s.truce is None:
        return False
    return s.truce.breakdown.violations is not None or s.truce.exits is not None or any(
        sh.breaks_truce for sh in s.shocks.values())


def _truce_on_deal(s: Scenario) -> bool:
    return s.truce is not None and s.truce.starts == "on_deal"


def _renewable(s: Scenario) -> bool:
    return _truce_on_deal(s) and _can_break(s)


def _pending_possible(s: Scenario) -> bool:
    return _truce_on_deal(s) and s.truce is not None and s.truce.delay_days > 0


def _deal_alone(s: Scenario) -> bool:
    return s.negotiation is not None and s.truce is None


def _no_deal_possible(s: Scenario) -> bool:
    return s.negotiation is not None and (s.truce is None or _truce_on_deal(s))


def _can_escalate(s: Scenario) -> bool:
    collapse = s.truce is not None and _upper(s.truce.collapse.escalation_probability) > 0
    return bool(s.threats()) or (collapse and _can_break(s))


def _upper(value: Any) -> float:
    return float(value.support()[1]) if hasattr(value, "support") else float(value)


def _can_degrade(s: Scenario) -> bool:
    return s.truce is not None and s.truce.degraded is not None


def _earliest_start(s: Scenario) -> float:
    assert s.truce is not None
    return s.truce.delay_days if s.truce.starts == "on_deal" else s.day(s.truce.starts)


def _can_age(s: Scenario) -> bool:
    """A first truce can reach ``judged_after_days`` within the window."""
    return s.truce is not None and (
        s.horizon_days - _earliest_start(s) >= s.truce.judged_after_days)


def _can_be_young(s: Scenario) -> bool:
    """A first truce can be younger than ``judged_after_days`` at the window's end."""
    if s.truce is None:
        return False
    if s.truce.starts == "on_deal":
        return s.truce.delay_days < s.horizon_days
    return s.horizon_days - s.day(s.truce.starts) < s.truce.judged_after_days


REGISTRY: tuple[Outcome, ...] = (
    Outcome("first_truce_held", "first truce held",
            "the first truce still ran at the horizon, never broken, and was at least "
            "judged_after_days old", "deal_holds", _can_age),
    Outcome("first_truce_too_young", "first truce too young to judge",
            "the first truce still ran at the horizon, never broken, but had run fewer than "
            "judged_after_days days: too young to say whether it held", "deal_holds",
            _can_be_young),
    Outcome("renewed_truce_active", "renewed truce active",
            "a later truce, agreed after a collapse, ran at the horizon",
            "deal_holds", _renewable),
    Outcome("truce_degraded", "truce degraded",
            "a truce formally ran at the horizon, but its observed violations in the last "
            "degraded window reached the degraded level", "deal_holds", _can_degrade),
    Outcome("deal_truce_pending", "deal, truce pending",
            "a deal held; its truce had not started by the horizon",
            "deal_holds", _pending_possible),
    Outcome("deal_without_truce", "deal without truce",
            "a deal held at the horizon (no truce in the scenario)", "deal_holds", _deal_alone),
    Outcome("truce_collapsed", "truce collapsed",
            "a truce broke down and none ran at the horizon",
            "no_deal_holds", _can_break),
    Outcome("no_deal", "no deal", "no deal was ever struck", "no_deal_holds",
            _no_deal_possible),
    Outcome("escalation", "escalation",
            "the deadline's threat (plan B) was carried out, or a breakdown escalated",
            "escalation", _can_escalate),
)

OUTCOMES: tuple[str, ...] = tuple(o.name for o in REGISTRY)
BY_NAME: dict[str, Outcome] = {o.name: o for o in REGISTRY}

GROUPS: dict[str, str] = {
    "deal_holds": "a deal (and its truce, if any) stands at the horizon: first truce held, "
                  "first truce too young to judge, renewed truce active, truce degraded, deal "
                  "with truce pending, deal without truce",
    "no_deal_holds": "nothing stands at the horizon: the truce collapsed or no deal was struck",
    "escalation": "the threat was carried out, or a collapse escalated",
}


def possible(scenario: Scenario) -> tuple[str, ...]:
    """The outcomes the scenario's structure allows, in registry order."""
    return tuple(o.name for o in REGISTRY if o.occurs(scenario))


def possible_in(scenarios: Iterable[Scenario], observed: Iterable[str] = ()) -> tuple[str, ...]:
    """The outcomes any of ``scenarios`` allows (plus any observed), in registry order."""
    names = set(observed)
    for s in scenarios:
        names.update(possible(s))
    return tuple(n for n in OUTCOMES if n in names)


def meaning(name: str) -> str:
    """The one-line meaning of an outcome ("" for an unknown name)."""
    o = BY_NAME.get(name)
    return o.meaning if o else ""


def coarse(table: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Counts of an outcome table summed into the coarse groups that occur in it."""
    out: dict[str, int] = {}
    for name, row in table.items():
        group = BY_NAME[name].group
        out[group] = out.get(group, 0) + int(row["count"])
    return out


@dataclass(frozen=True)
class Metric:
    """A per-replication number.

    Attributes:
        name: The column.
        meaning: One line saying what it counts or measures.
        headline: Compared between arms (compare, pairs.parquet) and summarised per sweep
            point; every metric is summarised in a run.
    """

    name: str
    meaning: str
    headline: bool = False


METRICS: tuple[Metric, ...] = (
    Metric("deal_day", "day of the first deal (null without a deal)", headline=True),
    Metric("truce_days", "days to the first breakdown: from the first truce's start to its "
           "breakdown, censored at the end of the run (truce_censored)", headline=True),
    Metric("days_under_truce", "days any truce was running, first or renewed"),
    Metric("truce_share", "share of the horizon's days under a truce", headline=True),
    Metric("breakdowns", "number of truce breakdowns", headline=True),
    Metric("declared_breakdowns", "truce breakdowns declared by a party (not the monitor)"),
    Metric("violations_per_truce_day", "true violations (all parties) per day under a truce",
           headline=True),
    Metric("observed_per_truce_day", "violations observed by the monitor (all parties) per "
           "day under a truce"),
    Metric("spoiler_attacks", "attacks by spoilers", headline=True),
    Metric("blamed_attacks", "spoiler attacks during a truce that the monitor blamed on a "
           "truce party (counted in observed_PARTY)"),
    Metric("aid_deliveries", "humanitarian aid deliveries", headline=True),
    Metric("meetings", "meetings held"),
    Metric("proposals", "proposals made"),
    Metric("events", "simulation events processed"),
)
METRIC_MEANING: dict[str, str] = {m.name: m.meaning for m in METRICS}
HEADLINE_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.headline)
"""The metrics compare and sweep report (in registry order)."""


FAMILIES: tuple[tuple[str, str], ...] = (
    ("violations_", "true truce violations by {}"),
    ("observed_", "violations the monitor observed and attributed to {}"),
    ("utility_", "realised utility of {}"),
    ("level_", "agreed level of {} (null without a deal)"),
    ("refusals_", "texts the voters agreed that the ratifier {} refused to ratify"),
    ("texts_", "single texts the mediator {} put to the parties' vote"),
    ("outvoted_", "1 when {} voted against the last deal struck (which binds it under the "
     "decision rule), 0 when it voted for it (null without a deal)"),
    ("effect_start_", "day staged effect {} last started (null if it never did)"),
)
"""Per-party and per-term metric columns: (column prefix, meaning with the name)."""
FAMILY_PREFIXES: tuple[str, ...] = tuple(prefix for prefix, _ in FAMILIES)


def metric_meaning(name: str) -> str:
    """The meaning of a metric column, including the per-party and per-term families."""
    if name in METRIC_MEANING:
        return METRIC_MEANING[name]
    for prefix, text in FAMILIES:
        if name.startswith(prefix) and name != "observed_per_truce_day":
            return text.format(name.removeprefix(prefix))
    return ""


_SHARES = ("truce_share", "outvoted_")
_SIGNED = ("utility_", "level_")  # may fall below zero; every other metric is a count, a
# day, a rate or a share, never negative


def metric_range(name: str) -> tuple[float | None, float | None]:
    """The range a metric can take, (low, high) with None for unbounded: its intervals are
    clipped to it (a count's interval never reaches below 0)."""
    if name.startswith(_SHARES):
        return 0.0, 1.0
    if name.startswith(_SIGNED):
        return None, None
    return 0.0, None


@dataclass(slots=True)
class Record:
    """What happened in one replication.

    Days are offsets from the scenario's start; NaN (a Parquet null in the row) means "did
    not happen" or "does not apply". ``inputs`` holds every drawn parameter by dotted path.
    """

    replication: int
    outcome: str = "no_deal"
    deal: bool = False
    deal_day: float = NAN
    deals: int = 0
    levels: dict[str, float] = field(default_factory=dict)
    truce_start: float = NAN
    truce_end: float = NAN
    truce_censored: bool = False
    truce_days: float = NAN
    days_under_truce: float = NAN
    truce_share: float = NAN
    breakdowns: int | None = None
    declared_breakdowns: int | None = None
    violations_per_truce_day: float = NAN
    observed_per_truce_day: float = NAN
    breakdown_cause: str = ""
    declared_by: str = ""
    violations: dict[str, int] = field(default_factory=dict)
    observed: dict[str, int] = field(default_factory=dict)
    spoiler_attacks: int = 0
    blamed_attacks: int = 0
    aid_deliveries: int = 0
    deadline_outcome: str = "none"
    deadline_day: float = NAN
    # With the deadlines map or partners with a willingness: escalation_by (the deadline
    # whose plan B was carried out, or 'collapse'), plan_b_joined (the partners who carried
    # it out, comma-separated) and deadline_outcome_NAME per deadline; empty otherwise.
    threats: dict[str, Any] = field(default_factory=dict)
    utility: dict[str, float] = field(default_factory=dict)
    refusals: dict[str, int] = field(default_factory=dict)  # per ratifier (section 3.4)
    texts: dict[str, int] = field(default_factory=dict)  # per mediator
    outvoted: dict[str, float] = field(default_factory=dict)  # per party, under a vote rule
    meetings: int = 0
    proposals: int = 0
    end_day: float = NAN
    events: int = 0
    inputs: dict[str, float] = field(default_factory=dict)
    effect_starts: dict[str, float] = field(default_factory=dict)  # staged effects only

    def row(self) -> dict[str, Any]:
        """Flat column -> value mapping (one Parquet row); NaN becomes None (a null)."""
        out: dict[str, Any] = {}
        for name in self.__slots__:  # type: ignore[attr-defined]
            value = getattr(self, name)
            if isinstance(value, dict):
                out.update({_column(name, k): _null(v) for k, v in value.items()})
            elif name in TEXT_COLUMNS:
                out[name] = value or None  # no breakdown: a null, not an empty string
            else:
                out[name] = _null(value)
        return out


TEXT_COLUMNS: tuple[str, ...] = ("breakdown_cause", "declared_by")
"""Text columns null where they do not apply (typed as strings even when null in a chunk)."""
THREAT_TEXT: tuple[str, ...] = ("escalation_by", "plan_b_joined")


def is_text(column: str) -> bool:
    """Whether a record column holds text (typed as strings even when null in a chunk)."""
    return (column in TEXT_COLUMNS or column in THREAT_TEXT
            or column.startswith("deadline_outcome"))

_PREFIX = {"levels": "level_", "violations": "violations_", "observed": "observed_",
           "utility": "utility_", "refusals": "refusals_", "texts": "texts_",
           "outvoted": "outvoted_", "inputs": "", "threats": "", "effect_starts": "effect_start_"}


def _column(group: str, key: str) -> str:
    return _PREFIX[group] + key


def _null(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def is_input(column: str) -> bool:
    """Whether a replications column holds a drawn input (named by its dotted path)."""
    return "." in column
