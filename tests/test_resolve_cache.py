"""The API validates a Scenario object again on every call, by its content (issue 22): the
same content twice is dumped and validated once, an edit made in place is seen."""

from __future__ import annotations

import pytest

from sim.errors import ScenarioError
from sim.scenario import inputs, load
from tests.conftest import HAWKES


def test_the_same_content_is_validated_once_and_an_edit_in_place_is_seen(
        monkeypatch: pytest.MonkeyPatch) -> None:
    model = load(HAWKES)
    first = inputs.resolve(model)
    parsed: list[object] = []
    document = inputs.document

    def counted(scenario: inputs.ScenarioLike) -> object:
        parsed.append(scenario)
        return document(scenario)

    monkeypatch.setattr(inputs, "document", counted)
    assert inputs.resolve(model) is first and parsed == []
    assert inputs.resolve(model.model_copy())[0] == first[0] and parsed == []  # same content
    model.truce.alpha["side_a"]["side_a"] = 0.7  # type: ignore[union-attr]  # nested dict
    edited = inputs.resolve(model)
    assert len(parsed) == 1 and edited[0].truce.alpha["side_a"]["side_a"] == 0.7  # type: ignore[union-attr]
    model.truce.alpha["side_a"]["side_a"] = -1.0  # type: ignore[union-attr]
    with pytest.raises(ScenarioError, match="alpha"):
        inputs.resolve(model)
    assert inputs.resolve(load(HAWKES), ["seed=2"])[0].seed == 2  # overrides: never cached
