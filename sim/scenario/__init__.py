"""The scenario: its format (the pydantic models, ``model``), the rules that span blocks
(``checks``) and the budgets a scenario or a command may not exceed (``budgets``), pydantic's
errors as located messages (``explain``), safe YAML reading (``yamlload``) and loading
(``loading``), ``--set`` overrides (``overrides``) and resolving what a user gives
(``inputs``), the shipped scenarios (``shipped``) and the scenario reference (``docgen``).
May import ``sim.stats``, ``sim.store`` and ``sim.errors``; nothing that runs the model."""

from sim.scenario import timing
from sim.scenario.checks import (
    TARGET_PARAMS,
    cross_check,
    did_you_mean,
    lower,
    upper,
)
from sim.scenario.explain import field_paths
from sim.scenario.loading import dumps, from_document, json_schema, load, loads
from sim.scenario.model import (
    INF,
    Actor,
    After,
    Aid,
    Breakdown,
    Choice,
    Collapse,
    Constraint,
    Day,
    Deadline,
    DeadlineMeeting,
    Degraded,
    Dist,
    Effect,
    EffectStart,
    Exit,
    Exits,
    Int,
    Interaction,
    Mediator,
    Meeting,
    Meetings,
    Monitoring,
    Negotiation,
    Normal,
    Num,
    Partner,
    Party,
    PartyWorth,
    PlanB,
    Positive,
    Probability,
    Rate,
    Ratifier,
    Real,
    Requires,
    Scenario,
    Shock,
    Signed,
    Slug,
    Spoiler,
    Stake,
    Triangular,
    Truce,
    TruceWorth,
    Uniform,
    When,
)
from sim.scenario.yamlload import dotted

__all__ = ["Scenario", "load", "loads", "dumps", "from_document", "json_schema", "dotted",
           "cross_check", "did_you_mean", "field_paths", "upper", "lower",
           "TARGET_PARAMS", "INF", "Actor", "Aid", "Breakdown", "Choice", "Collapse", "Constraint",
           "Day", "Deadline", "DeadlineMeeting", "Degraded", "Dist", "Effect", "Exit", "Exits",
           "Int", "Meeting", "Mediator", "Ratifier",
           "Meetings", "Monitoring", "Negotiation", "Normal", "Num", "Party", "PlanB", "Positive",
           "Probability", "Rate", "Real", "Shock", "Signed", "Slug", "Spoiler", "Triangular",
           "Truce", "Uniform", "Stake", "PartyWorth", "TruceWorth", "After", "Partner",
           "When", "timing", "EffectStart", "Requires", "Interaction"]
