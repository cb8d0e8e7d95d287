"""Schemas of the JSON files negsim stores, checked whenever a results folder is read back.

A folder may come from elsewhere, be damaged or be edited by hand; each file is validated
before use (keys present, probabilities in [0, 1]) so that a bad file is named in one line
rather than failing later with a traceback. Extra keys are allowed: newer versions add some.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class _Stored(BaseModel):
    model_config = ConfigDict(extra="allow")


class OutcomeRow(_Stored):
    """One outcome's probability, its 95% interval and its count."""

    p: Probability = Field(description="Probability.")
    ci: tuple[Probability, Probability] = Field(description="95% interval [lo, hi].")
    count: int = Field(ge=0, description="Replications ending this way.")


class Point(_Stored):
    """One finished sweep point (points/NNNNN.json)."""

    point: int = Field(ge=0, description="Index of the point in the design.")
    values: dict[str, Any] = Field(description="The swept values.")
    outcomes: dict[str, OutcomeRow] = Field(description="Outcome table.")
    metrics: dict[str, dict[str, Any]] = Field(description="Metric summaries.")


class Summary(_Stored):
    """summary.json of a run (outcomes) or of a sweep (points)."""

    outcomes: dict[str, OutcomeRow] | None = Field(None, description="A run's outcome table.")
    metrics: dict[str, dict[str, Any]] | None = Field(None, description="A run's metrics.")
    points: list[Point] | None = Field(None, description="A sweep's points.")
    runs: int = Field(ge=0, description="Replications (per point for a sweep).")
    seed: int = Field(ge=0, description="Seed.")

    @model_validator(mode="after")
    def _one_kind(self) -> Summary:
        if self.outcomes is None and self.points is None:
            raise ValueError("neither outcomes (a run) nor points (a sweep)")
        return self


class Manifest(_Stored):
    """manifest.json: what reproduces a run, a comparison or a sweep."""

    kind: Literal["run", "compare", "sweep", "tornado"] | None = Field(
        default=None,
        description="Which command wrote the folder (absent in folders from earlier versions).")

    scenario_text: str = Field(description="The scenario as run.")
    seed: int = Field(ge=0, description="Seed.")
    runs: int = Field(ge=0, description="Replications.")


class SweepDefinition(_Stored):
    """sweep.json: the base scenario and the design."""

    scenario_text: str = Field(description="The base scenario.")
    source: str = Field(description="Where the scenario came from.")
    seed: int = Field(ge=0, description="Seed.")
    runs: int = Field(ge=1, description="Replications per point.")
    method: str = Field(description="How the points were made.")
    paths: list[str] = Field(description="Swept paths.")
    points: list[dict[str, Any]] = Field(description="The points.")


class Comparison(_Stored):
    """compare.json: the arms' outcome tables and their paired differences."""

    scenarios: list[dict[str, Any]] = Field(min_length=2, description="Each arm's outcomes.")
    comparisons: list[dict[str, Any]] = Field(description="Differences from the baseline.")
    runs: int = Field(ge=0, description="Replications per arm.")
    seed: int = Field(ge=0, description="Seed.")

    @model_validator(mode="after")
    def _probabilities(self) -> Comparison:
        for arm in self.scenarios:
            for name, row in dict(arm.get("outcomes") or {}).items():
                OutcomeRow.model_validate(row, context={"outcome": name})
        return self


class Arm(_Stored):
    """One arm of a compare's request: its label and the scenario text it runs."""

    label: StrictStr = Field(description="The arm's label.")
    scenario: StrictStr = Field(description="The scenario's name.")
    source: StrictStr = Field(description="Where the scenario came from.")
    text: StrictStr = Field(description="The scenario text as run (overrides applied).")


class Request(_Stored):
    """chunks/request.json: what an unfinished run or compare was asked, so that a resume
    rebuilds the identical request."""

    kind: Literal["run", "compare"] = Field(description="The command.")
    seed: StrictInt = Field(ge=0, description="Seed.")
    runs: StrictInt = Field(ge=1, description="Replications (the cap with a precision).")
    chunk: StrictInt = Field(ge=1, description="Replications per chunk.")
    precision: StrictFloat | StrictInt | None = Field(
        gt=0, description="The precision target, or null.")
    plots: StrictBool = Field(description="Whether plots are written.")
    scenario_text: StrictStr | None = Field(default=None,
                                            description="A run's scenario text as run.")
    source: StrictStr | None = Field(default=None, description="Where a run's scenario came "
                                     "from.")
    overrides: list[StrictStr] = Field(default=[], description="A run's --set assignments.")
    arms: list[Arm] | None = Field(default=None, description="A compare's arms, in order.")

    @model_validator(mode="after")
    def _complete(self) -> Request:
        if self.kind == "run" and (self.scenario_text is None or self.source is None):
            raise ValueError("a run's request needs scenario_text and source")
        if self.kind == "compare" and (self.arms is None or len(self.arms) < 2):
            raise ValueError("a compare's request needs two arms or more")
        return self


SCHEMAS: dict[str, type[BaseModel]] = {
    "request.json": Request,
    "summary.json": Summary,
    "manifest.json": Manifest,
    "sweep.json": SweepDefinition,
    "compare.json": Comparison,
}


def schema_for(name: str) -> type[BaseModel] | None:
    """The schema of a stored file by its name (points/NNNNN.json are points)."""
    if name in SCHEMAS:
        return SCHEMAS[name]
    if name.removesuffix(".json").isdigit():
        return Point
    return None
