"""The scenario format: shipped files validate and round-trip, bad files are refused precisely.

The corpus in tests/bad/ holds small YAML files with one defect each. Most are copies of
``scenarios/examples/truce_poisson.yaml`` (or ``truce_hawkes.yaml``) or of :data:`TALKS` below
with a single edit; each file's first line says what is wrong (empty.yaml has no line at
all). :data:`BAD` maps every file to the line, dotted field path and message that must be
reported for it. The same table drives the command-line checks in ``tests/test_validate_cli.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.errors import Problem, ScenarioError
from sim.scenario import dumps, load, loads
from tests.conftest import EXAMPLES, FLAGSHIP, ROOT, SCENARIOS

BAD_DIR = Path(__file__).resolve().parent / "bad"

SHIPPED = sorted(SCENARIOS.glob("*.yaml")) + sorted(EXAMPLES.glob("*.yaml"))
SCHEMA_LINE = "# yaml-language-server: $schema="

# A small negotiation scenario touching every block: the base of most tests/bad/ files.
TALKS = """\
name: mini_talks
title: Two parties, two terms, a deadline and a truce
start: 2020-01-01
horizon_days: 60
actors:
  us:
    label: United States
    leverage:
      rebels: 0.5
  russia:
    label: Russia
    violation_rate: 0.2
    leverage:
      assad: 0.6
  assad:
    label: Assad government
    violation_rate: 0.4
  rebels:
    label: Rebels
    violation_rate: 0.2
  nusra:
    label: Nusra Front
    attack_rate: 0.1
negotiation:
  parties:
    us:
      weights: {restraint: 0.6, intel: -0.4}
      reservation: 0.3
    russia:
      weights: {restraint: -0.5, intel: 0.5}
      reservation: 0.3
  terms:
    restraint: [0, 0.5, 1]
    intel: [0, 0.5, 1]
  constraints:
    - by: us
      term: intel
      max: 0.5
  meetings:
    scheduled:
      - day: 2020-01-05
        host: russia
deadline:
  set_by: us
  day: 30
  credibility: 0.2
  plan_b:
    label: a different track
truce:
  parties: [assad, russia, rebels]
  alpha:
    assad: {rebels: 0.2}
    rebels: {assad: 0.2}
  beta: 1.0
  breakdown:
    violations: 8
    window_days: 7
spoilers:
  nusra:
    excites: {assad: 0.2}
aid:
  rate_per_day: 0.1
effects:
  restraint_assad:
    term: restraint
    target: assad.violation_rate
    per_unit: -0.5
    via: russia.leverage.assad
shocks:
  offensive:
    day: 10
    label: An offensive
    target: assad.violation_rate
    factor: 1.5
format: 2
"""

ANY = object()  # in BAD: this line / path is not checked
DID_YOU_MEAN = "; did you mean "

# file -> (line, dotted path, regex of the message). line None: the problem has no position
# (the file as a whole is wrong); path "": the problem is about YAML, not a field.
BAD: dict[str, tuple[object, object, str]] = {
    # misspelt fields
    "top_level_typo.yaml": (7, "sede", r"unknown field 'sede'; did you mean 'seed'\?"),
    "nested_typo.yaml": (12, "actors.side_a.violaton_rate",
                         r"unknown field 'violaton_rate'; did you mean 'violation_rate'\?"),
    "nested_typo_breakdown.yaml": (17, "truce.breakdown.violatons",
                                   r"unknown field 'violatons'; did you mean 'violations'\?"),
    # unknown actors, with a suggestion for the near miss
    "unknown_truce_party.yaml": (14, "truce.parties[0]",
                                 r"unknown actor 'sid_a'; did you mean 'side_a'\?"),
    "unknown_negotiation_party.yaml": (31, "negotiation.parties.russa",
                                       r"unknown actor 'russa'; did you mean 'russia'\?"),
    "unknown_leverage_client.yaml": (11, "actors.us.leverage.rebles",
                                     r"unknown actor 'rebles'; did you mean 'rebels'\?"),
    "unknown_via_actor.yaml": (70, "effects.restraint_assad.via",
                               r"unknown actor 'rusia'; did you mean 'russia'\?"),
    "via_without_leverage.yaml": (70, "effects.restraint_assad.via",
                                  r"russia has no leverage over 'rebels'"),
    "unknown_deadline_setter.yaml": (46, "deadline.set_by",
                                     r"unknown actor 'usa'; did you mean 'us'\?"),
    "unknown_spoiler.yaml": (61, "spoilers.nusr", r"unknown actor 'nusr'; did you mean 'nusra'\?"),
    # unknown terms
    "unknown_term_in_weights.yaml": (29, "negotiation.parties.us.weights.restrant",
                                     r"unknown term 'restrant'; did you mean 'restraint'\?"),
    "unknown_term_in_constraint.yaml": (39, "negotiation.constraints[0].term",
                                        r"unknown term 'intell'; did you mean 'intel'\?"),
    "unknown_term_in_effect.yaml": (67, "effects.restraint_assad.term",
                                    r"unknown term 'restrain'; did you mean 'restraint'\?"),
    # values out of range
    "levels_not_increasing.yaml": (34, "negotiation.terms",
                                   r"levels of 'restraint' must be strictly increasing"),
    "levels_outside_unit_interval.yaml": (34, "negotiation.terms",
                                          r"levels of 'intel' must lie in \[0, 1\]"),
    "credibility_above_one.yaml": (48, "deadline.credibility", r"must be in \[0, 1\], got 1\.2"),
    "negative_rate.yaml": (12, "actors.side_a.violation_rate", r"must be >= 0, got -0\.5"),
    "uniform_bounds_reversed.yaml": (12, "actors.side_a.violation_rate",
                                     r"uniform bounds \[2\.0, 1\.0\] must satisfy a <= b"),
    "triangular_out_of_order.yaml": (19, "actors.assad.violation_rate",
                                     r"triangular \[0\.3, 0\.1, 0\.5\] must satisfy lo <= mode"),
    "distribution_outside_probability.yaml": (48, "deadline.credibility",
                                              r"must be in \[0, 1\], got \{'uniform'"),
    "boolean_horizon.yaml": (6, "horizon_days", r"valid number"),
    # days and cross-checks
    "deadline_after_horizon.yaml": (47, "deadline.day", r"day 90, outside the horizon \[0, 60\]"),
    "deadline_and_deadlines.yaml": (51, "deadlines", r"either deadline \(one\) or deadlines"),
    "deadline_target_is_setter.yaml": (47, "deadline.target",
                                       r"'us' sets this deadline and cannot be its target"),
    "requires_more_partners.yaml": (52, "deadline.plan_b.requires_partners",
                                    r"requires 2 partners but plan B names 1 \(nusra\)"),
    "timing_unknown_event.yaml": (73, "shocks.offensive.day",
                                  r"unknown event 'deadline\.days' in after; did you mean "
                                  r"'deadline\.day'\?"),
    "timing_cycle.yaml": (73, "shocks.lull.day",
                          r"cycle: shocks\.lull\.start -> shocks\.offensive\.start -> "
                          r"shocks\.lull\.end -> shocks\.lull\.start"),
    "date_before_start.yaml": (43, "negotiation.meetings.scheduled[0].day",
                               r"2019-12-25 is day -7, outside the horizon"),
    "constraints_rule_out_every_offer.yaml": (37, "negotiation.constraints",
                                              r"the constraints rule out every offer"),
    "on_deal_without_negotiation.yaml": (15, "truce.starts",
                                         r"'on_deal' needs a negotiation block"),
    "explosive_hawkes.yaml": (15, "truce.alpha",
                              r"branching ratio 1\.2 >= 1 .*breakdown threshold"),
    "monitoring_unknown_party.yaml": (22, "truce.monitoring.detection.sid_a",
                                      r"unknown actor 'sid_a'; did you mean 'side_a'\?"),
    "attribution_row_not_one.yaml": (23, "truce.monitoring.attribution.side_a",
                                     r"attribution of side_a's violations sums to 0\.7; "
                                     r"expected 1"),
    "negative_half_life.yaml": (19, "truce.exits.half_life_days", r"must be > 0, got -3"),
    "effect_unknown_parameter.yaml": (68, "effects.restraint_assad.target",
                                      r"unknown parameter 'violence_rate'; "
                                      r"did you mean 'violation_rate'\?"),
    # staged and conditional effects, wider targets (issue 21)
    "effect_cycle.yaml": (71, "effects.restraint_assad.after_effect",
                          r"a cycle of conditions: restraint_assad -> intel_first -> "
                          r"restraint_assad"),
    "requires_level_outside.yaml": (71, "effects.restraint_assad.requires.min",
                                    r"min 1\.5 is outside intel's levels \[0\.0, 0\.5, 1\.0\]"),
    "requires_unknown_term.yaml": (71, "effects.restraint_assad.requires.term",
                                   r"unknown term 'intell'; did you mean 'intel'\?"),
    "after_effect_unknown.yaml": (75, "effects.intel_first.after_effect",
                                  r"unknown effect 'restraint_asad'; did you mean "
                                  r"'restraint_assad'\?"),
    "target_unknown_truce_parameter.yaml": (73, "effects.monitors.target",
                                            r"unknown truce parameter 'monitoring\.detecton\."
                                            r"assad'; valid targets: ACTOR\.violation_rate, .*"
                                            r"truce\.covers\.PARTY"),
    "target_unknown_party.yaml": (73, "effects.monitors.target",
                                  r"'asad' is not a truce party; did you mean 'assad'\?.*"
                                  r"valid targets: "),
    "ramp_not_a_rate.yaml": (75, "effects.calmer.ramp_days",
                             r"truce\.beta changes at once; ramp_days applies to rates only"),
    "shock_without_target.yaml": (72, "shocks.offensive",
                                  r"a shock needs a target \(with factor\) or breaks_truce"),
    # roles at the table (docs/model.md, section 3.4) and who stands outside a truce
    "unknown_ratifier.yaml": (46, "negotiation.ratifiers.asad",
                              r"unknown actor 'asad'; did you mean 'assad'\?"),
    "unknown_mediator.yaml": (46, "negotiation.mediators.rebles",
                              r"unknown actor 'rebles'; did you mean 'rebels'\?"),
    "ratifier_is_party.yaml": (46, "negotiation.ratifiers.russia",
                               r"'russia' is a party at the table; a ratifier votes on agreed "
                               r"texts and never proposes"),
    "mediator_is_party.yaml": (46, "negotiation.mediators.russia",
                               r"'russia' is a party at the table, so it votes; a mediator "
                               r"proposes and never votes"),
    "mediator_is_ratifier.yaml": (49, "negotiation.mediators.assad",
                                  r"'assad' is a ratifier, so it votes"),
    "mediator_convenes_nothing.yaml": (46, "negotiation.mediators.rebels",
                                       r"'rebels' convenes no meeting, so it would never "
                                       r"propose"),
    "mediator_bias_for_non_party.yaml": (47, "negotiation.mediators.rebels.bias.assad",
                                         r"'assad' is not a party at the table"),
    "weighted_without_capability.yaml": (45, "negotiation.decision_rule",
                                         r"decision_rule 'weighted' needs a capability for "
                                         r"every party; missing for russia"),
    "capability_for_non_voter.yaml": (46, "negotiation.capability.assad",
                                      r"'assad' does not vote on texts \(voters: us, russia\)"),
    "capability_without_weighted_rule.yaml": (45, "negotiation.capability",
                                              r"capability is read only under decision_rule "
                                              r"'weighted'; it is 'unanimity'"),
    "roles_under_faratin.yaml": (48, "negotiation.ratifiers",
                                 r"ratifiers need the 'alternating' protocol.*protocol is "
                                 r"'faratin'"),
    "spoiler_is_truce_party.yaml": (63, "spoilers.rebels",
                                    r"'rebels' is a truce party; a spoiler attacks from outside "
                                    r"the truce"),
    # missing fields
    "missing_required_field.yaml": (3, "title", r"required field is missing"),
    "missing_plan_b_label.yaml": (49, "deadline.plan_b.label", r"required field is missing"),
    # YAML the safe loader refuses
    "duplicate_key.yaml": (9, "horizon_days", r"duplicate key 'horizon_days'"),
    "python_tag.yaml": (14, "truce.parties", r"[Tt]ag .*python/object/apply:os\.system"),
    "python_tag_scalar.yaml": (4, "title", r"could not determine a constructor for the tag"),
    "merge_key.yaml": (14, "actors.side_b", r"merge keys \(<<\) are not supported"),
    "non_text_key.yaml": (7, "", r"keys must be text"),
    "tab_indentation.yaml": (11, "", r"invalid YAML: found character '\\t'"),
    "bad_indentation.yaml": (12, "", r"invalid YAML: mapping values are not allowed here"),
    "two_documents.yaml": (19, "", r"more than one YAML document"),
    "list_document.yaml": (3, "", r"expected a mapping of scenario fields, got list"),
    "scalar_document.yaml": (3, "", r"expected a mapping of scenario fields, got str"),
    "alias_bomb.yaml": (3, ANY, r"document expands to more than \d+ nodes"),
    "deep_nesting.yaml": (4, "", r"nested more than \d+ levels deep"),
    # files that are not YAML text at all
    "empty.yaml": (None, "", r"file is empty"),
    "only_comments.yaml": (None, "", r"file is empty"),
    "nul_bytes.yaml": (None, "", r"binary data \(NUL byte\)"),
    "invalid_utf8.yaml": (None, "", r"not UTF-8 text \(bad byte at offset \d+\)"),
}


def expected_report(path: str | Path, name: str) -> str:
    """A regex of the line ``negsim validate`` prints for bad file ``name`` at ``path``."""
    line, field, message = BAD[name]
    where = re.escape(str(path))
    if line is None:
        return rf"(?m)^{where}: [^\n]*{message}"
    where += r":\d+:\d+" if line is ANY else rf":{line}:\d+"
    if field is ANY:
        return rf"(?m)^{where}: [^\n]*{message}"
    prefix = f"{re.escape(str(field))}: " if field else ""
    return rf"(?m)^{where}: {prefix}[^\n]*{message}"


def matches(problem: Problem, name: str) -> bool:
    line, field, message = BAD[name]
    return ((line is ANY or problem.line == line)
            and (field is ANY or problem.path == field)
            and re.search(message, problem.message) is not None)


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load(path)
    return info.value.problems


# --- shipped scenarios ----------------------------------------------------------------------


def test_scenarios_are_shipped() -> None:
    assert len(SHIPPED) >= 2
    assert EXAMPLES / "truce_poisson.yaml" in SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_shipped_scenario_validates(path: Path) -> None:
    scenario = load(path)
    assert scenario.name
    assert scenario.title


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_shipped_scenario_names_its_json_schema_on_the_first_line(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(SCHEMA_LINE), f"{path}: first line is {first!r}"
    schema = (path.parent / first.removeprefix(SCHEMA_LINE).strip()).resolve()
    assert schema == ROOT / "schema" / "scenario.schema.json"
    assert schema.is_file()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_shipped_scenario_round_trips_through_dumps_and_loads(path: Path) -> None:
    scenario = load(path)
    assert loads(dumps(scenario)) == scenario


def test_dumps_leaves_out_defaults() -> None:
    text = dumps(load(EXAMPLES / "truce_poisson.yaml"))
    assert "attack_rate" not in text
    assert "delay_days" not in text


# --- the bad corpus -------------------------------------------------------------------------


def test_bad_corpus_has_at_least_25_files() -> None:
    assert len(list(BAD_DIR.glob("*.yaml"))) >= 25


def test_every_bad_file_has_an_expectation_and_every_expectation_a_file() -> None:
    on_disk = {p.name for p in BAD_DIR.iterdir()}
    assert on_disk == set(BAD)


@pytest.mark.parametrize("text", [TALKS], ids=["talks"])
def test_base_of_the_bad_corpus_is_valid(text: str) -> None:
    scenario = loads(text)
    assert scenario.negotiation is not None
    assert scenario.truce is not None


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_file_is_refused_with_its_line_path_and_message(name: str) -> None:
    problems = problems_of(BAD_DIR / name)
    assert any(matches(p, name) for p in problems), "\n".join(map(str, problems))
    assert all(p.file == str(BAD_DIR / name) for p in problems)


@pytest.mark.parametrize("name", sorted(n for n, (_, _, m) in BAD.items() if DID_YOU_MEAN in
                                       m.replace("\\", "")))
def test_near_miss_names_come_with_a_suggestion(name: str) -> None:
    problems = problems_of(BAD_DIR / name)
    assert any("did you mean" in p.message for p in problems)


def test_missing_file_is_reported_without_a_position(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(ScenarioError, match=r"nowhere\.yaml: file not found"):
        load(missing)


def test_directory_is_not_a_scenario(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory"):
        load(tmp_path)


def test_file_over_one_megabyte_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    text = (EXAMPLES / "truce_poisson.yaml").read_text()
    big.write_text(text + ("# padding " + "x" * 90 + "\n") * 11_000)
    assert big.stat().st_size > 1_000_000
    with pytest.raises(ScenarioError, match=r"file is \d+ bytes; scenario files are limited"):
        load(big)


def test_file_just_under_one_megabyte_is_read(tmp_path: Path) -> None:
    text = (EXAMPLES / "truce_poisson.yaml").read_text()
    padding = 999_000 - len(text.encode())
    ok = tmp_path / "padded.yaml"
    ok.write_text(text + "#" + "x" * (padding - 2) + "\n")
    assert load(ok).name == "truce_poisson"


def test_python_tags_never_run_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    base = (EXAMPLES / "truce_poisson.yaml").read_text()
    for i, tagged in enumerate([f'title: !!python/object/apply:os.system ["touch {marker}"]',
                                f"title: !!python/object/apply:os.system touch {marker}"]):
        path = tmp_path / f"tag{i}.yaml"
        path.write_text(base.replace("title: A truce alone with Poisson violations", tagged))
        with pytest.raises(ScenarioError, match="title"):
            load(path)
    assert not marker.exists()


def test_custom_tag_on_a_mapping_is_refused_not_ignored() -> None:
    # a tag on a mapping or a list must not be dropped silently, leaving a valid document
    text = (EXAMPLES / "truce_poisson.yaml").read_text().replace(
        "\ntruce:\n", "\ntruce: !!python/object/new:os.system\n")
    with pytest.raises(ScenarioError, match=r"truce: [Tt]ag .*python/object/new:os\.system"):
        loads(text)


def test_bad_distribution_is_reported_once_without_claims_about_other_forms() -> None:
    # {uniform: [2, 1]} is a uniform with reversed bounds; saying that 'uniform' is an unknown
    # field, or that 'normal' is missing, sends the reader the wrong way.
    problems = problems_of(BAD_DIR / "uniform_bounds_reversed.yaml")
    assert [p.message for p in problems] == ["uniform bounds [2.0, 1.0] must satisfy a <= b"]


def test_nan_in_a_choice_is_refused_wherever_it_is() -> None:
    base = (EXAMPLES / "truce_poisson.yaml").read_text()
    for choice in ("[.nan, 0.5]", "[0.5, .nan]"):
        text = base.replace("violation_rate: 0.5", f"violation_rate: {{choice: {choice}}}")
        with pytest.raises(ScenarioError, match="finite"):
            loads(text)


def test_normal_with_infinite_sd_is_refused() -> None:
    text = (EXAMPLES / "truce_poisson.yaml").read_text().replace(
        "violation_rate: 0.5", "violation_rate: {normal: [0.5, .inf]}")
    with pytest.raises(ScenarioError, match="finite"):
        loads(text)


@pytest.mark.parametrize("field", ["runs: 4000", "seed: 1", "violations: 5"])
def test_boolean_is_not_taken_for_an_integer(field: str) -> None:
    key = field.split(":")[0]
    text = (EXAMPLES / "truce_poisson.yaml").read_text().replace(field, f"{key}: yes")
    with pytest.raises(ScenarioError, match=key):
        loads(text)


def test_boolean_is_not_taken_for_a_number() -> None:
    text = (EXAMPLES / "truce_poisson.yaml").read_text().replace(
        "violation_rate: 0.5", "violation_rate: true")
    with pytest.raises(ScenarioError, match=r"actors\.side_a\.violation_rate"):
        loads(text)


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    text = TALKS.replace("credibility: 0.2", "credibility: 1.2").replace(
        "violation_rate: 0.4", "violation_rate: -1")
    with pytest.raises(ScenarioError) as info:
        loads(text, "many.yaml")
    paths = {p.path for p in info.value.problems}
    assert {"deadline.credibility", "actors.assad.violation_rate"} <= paths


def test_cross_check_problems_are_all_reported() -> None:
    text = TALKS.replace("set_by: us\n", "set_by: usa\n").replace("  day: 30\n", "  day: 90\n")
    with pytest.raises(ScenarioError) as info:
        loads(text, "two.yaml")
    assert {p.path for p in info.value.problems} == {"deadline.set_by", "deadline.day"}


def test_problem_renders_as_file_line_column_path_message() -> None:
    text = TALKS.replace("credibility: 0.2", "credibility: 1.2")
    with pytest.raises(ScenarioError, match=r"^talks\.yaml:46:3: deadline\.credibility: must be"):
        loads(text, "talks.yaml")


# --- the flagship ---------------------------------------------------------------------------


def _flagship_text() -> str:
    if not FLAGSHIP.exists():
        pytest.skip(f"{FLAGSHIP.relative_to(ROOT)} is not written yet")
    return FLAGSHIP.read_text(encoding="utf-8")


@pytest.mark.parametrize(("field", "typo"), [("horizon_days", "horizon_dayz"),
                                             ("premium", "premiun"),
                                             ("credibility", "credibilty")])
def test_misspelt_field_in_the_flagship_is_reported_with_line_and_suggestion(
        tmp_path: Path, field: str, typo: str) -> None:
    lines = _flagship_text().splitlines(keepends=True)
    index = next((i for i, s in enumerate(lines) if re.match(rf"\s*{field}:", s)), None)
    assert index is not None, f"no {field}: line in the flagship"
    lines[index] = lines[index].replace(f"{field}:", f"{typo}:", 1)
    copy = tmp_path / "kerry_typo.yaml"
    copy.write_text("".join(lines), encoding="utf-8")
    problems = problems_of(copy)
    hits = [p for p in problems if p.path.endswith(typo)]
    assert len(hits) == 1, "\n".join(map(str, problems))
    assert hits[0].file == str(copy)
    assert hits[0].line == index + 1
    assert f"did you mean '{field}'?" in hits[0].message


@pytest.mark.parametrize("key", ["date", "float", "Choice"])
def test_unknown_field_named_like_a_pydantic_type_is_reported_not_crashed(key: str) -> None:
    # 'date:' for 'start:' is a natural slip; such keys are stripped from the error location
    # as if they were pydantic union branches, and the empty location crashes _clean.
    text = (EXAMPLES / "truce_poisson.yaml").read_text() + f"{key}: 2020-01-01\n"
    with pytest.raises(ScenarioError, match=rf"{key}: unknown field '{key}'"):
        loads(text, "typo.yaml")


def test_unknown_nested_field_named_like_a_pydantic_type_is_blamed_on_itself() -> None:
    text = (EXAMPLES / "truce_poisson.yaml").read_text().replace(
        "    label: Side A\n", "    label: Side A\n    Normal: 1\n")
    with pytest.raises(ScenarioError, match=r"actors\.side_a\.Normal: unknown field 'Normal'"):
        loads(text, "typo.yaml")
