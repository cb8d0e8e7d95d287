"""Issue 20's truce mechanics: perceived retaliation, deterrence, spoiler attacks blamed on truce
parties, actors off the table, the truce's worth in the bargain and truce outcomes without
censoring artefacts (docs/model.md, sections 5 and 8). Closed forms use fixed seeds and a band
of 4 Monte Carlo standard errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from sim.cli import main
from sim.engine import Plan, run_replication
from sim.engine.outcomes import Record, possible
from sim.engine.worth import expected_life, worth_table
from sim.errors import ScenarioError
from sim.scenario import loads
from sim.scenario.overrides import load_with
from sim.stats import survival_at
from tests.conftest import EXAMPLES, FLAGSHIP, plan_of

# --- perception drives retaliation ----------------------------------------------------------

PERCEIVED = """
format: 2
name: perceived
title: B reacts only to A's violations that the monitor sees
start: 2020-01-01
horizon_days: 30
seed: 21
actors:
  a: {label: A, violation_rate: 1.0}
  b: {label: B, violation_rate: 0.2}
truce:
  parties: [a, b]
  starts: 0
  retaliation: MODE
  alpha: {b: {a: 0.6}}
  beta: 0.8
  monitoring: {detection: {a: 0.5}}
"""


def _b_count(lam: float, d: float, mu_b: float, alpha: float, beta: float, t: float) -> float:
    """E N_B(T) = mu_B T + alpha d lambda (T / beta - (1 - exp(-beta T)) / beta^2)."""
    return mu_b * t + alpha * d * lam * (t / beta - (1 - math.exp(-beta * t)) / beta**2)


@pytest.mark.parametrize(("mode", "d"), [("perceived", 0.5), ("actual", 1.0)])
def test_retaliation_follows_perceived_violations_in_closed_form(mode: str, d: float) -> None:
    n = 2000
    plan = plan_of(PERCEIVED.replace("MODE", mode))
    counts = np.array([run_replication(plan, i).violations["b"] for i in range(n)])
    expected = _b_count(1.0, d, 0.2, 0.6, 0.8, 30.0)  # perceived 16.78; true (as if d = 1) 27.56
    assert abs(counts.mean() - expected) < 4 * counts.std(ddof=1) / math.sqrt(n)


def test_misattribution_changes_who_retaliates() -> None:
    # C's violations are all seen and all blamed on A: B, which reacts to A only, retaliates
    # under perceived retaliation and never under true retaliation.
    text = PERCEIVED.replace("  a: {label: A, violation_rate: 1.0}",
                             "  a: {label: A, violation_rate: 0.0}\n"
                             "  c: {label: C, violation_rate: 1.0}").replace(
        "parties: [a, b]", "parties: [a, b, c]").replace(
        "monitoring: {detection: {a: 0.5}}", "monitoring: {attribution: {c: {a: 1}}}")
    perceived, true = (plan_of(text.replace("MODE", m)) for m in ("perceived", "actual"))
    for i in range(30):
        p, t = run_replication(perceived, i), run_replication(true, i)
        assert p.violations["c"] == t.violations["c"] and p.observed["a"] == p.violations["c"]
    b_true = [run_replication(true, i).violations["b"] for i in range(100)]
    b_seen = [run_replication(perceived, i).violations["b"] for i in range(100)]
    assert np.mean(b_seen) > np.mean(b_true) + 5


FIT_TRUTH = """
format: 2
name: truth
title: two parties, retaliation and a spoiler, seen perfectly
start: 2024-01-01
horizon_days: 200
seed: 12
actors:
  government: {label: G, violation_rate: 0.25}
  rebels: {label: R, violation_rate: 0.2}
  splinter: {label: S, attack_rate: 0.08}
truce:
  parties: [government, rebels]
  starts: 0
  retaliation: MODE
  alpha:
    government: {government: 0.05, rebels: 0.15}
    rebels: {government: 0.2, rebels: 0.05}
  beta: 0.5
  breakdown: {violations: 40, window_days: 30}
spoilers:
  splinter: {excites: {government: 0.3, rebels: 0.15}}
"""


def test_perfect_monitoring_makes_perceived_and_true_retaliation_identical() -> None:
    perceived, true = (plan_of(FIT_TRUTH.replace("MODE", m)) for m in ("perceived", "actual"))
    for i in range(100):
        assert run_replication(perceived, i).row() == run_replication(true, i).row()


# --- spoilers blamed on truce parties --------------------------------------------------------

BLAMED = """
format: 2
name: blamed
title: a spoiler's attacks are blamed on the only truce party
start: 2020-01-01
horizon_days: 20
seed: 8
actors:
  a: {label: A, violation_rate: 0.3}
  s: {label: S, attack_rate: 0.2}
truce:
  parties: [a]
  starts: 0
  judged_after_days: 20
  breakdown: {violations: 4}
  monitoring: {detection: {a: 0.5}}
spoilers:
  s: {blamed_on: {a: 0.5}}
"""


def test_blamed_attacks_count_for_the_monitor_in_closed_form() -> None:
    n = 3000
    plan = plan_of(BLAMED)
    recs = [run_replication(plan, i) for i in range(n)]
    held = np.mean([r.outcome == "first_truce_held" for r in recs])
    p = stats.poisson.cdf(3, (0.3 * 0.5 + 0.2 * 0.5) * 20)  # P(Poisson(5) <= 3) = 0.2650
    assert abs(held - p) < 4 * math.sqrt(p * (1 - p) / n)
    assert sum(r.blamed_attacks for r in recs) > 0
    assert all(r.observed["a"] <= r.violations["a"] + r.blamed_attacks for r in recs)


def test_blamed_attacks_count_for_exits_and_retaliation() -> None:
    text = EXIT_OFF_TABLE.replace("WORTH", "5").replace(
        "  c: {label: C}", "  c: {label: C}\n  s: {label: S, attack_rate: 1.0}") + \
        "spoilers:\n  s: {blamed_on: {a: 1}}\n"
    quiet = text.replace("a: {label: A, violation_rate: 0.3}", "a: {label: A}")
    plan = plan_of(quiet)
    recs = [run_replication(plan, i) for i in range(20)]
    assert all(r.violations["a"] == 0 for r in recs)
    assert all(r.declared_by == "c" and r.observed["a"] == r.blamed_attacks for r in recs)


def test_blame_probabilities_cannot_exceed_one() -> None:
    with pytest.raises(ScenarioError, match="sum to 1.5; expected at most 1"):
        loads(BLAMED.replace("blamed_on: {a: 0.5}", "blamed_on: {a: 0.8, b: 0.7}"))


# --- deterrence -------------------------------------------------------------------------------

DETERRED = """
format: 2
name: deterred
title: two symmetric parties who may be deterred by being seen
start: 2020-01-01
horizon_days: 30
seed: 4
actors:
  a: {label: A, violation_rate: 0.5}
  b: {label: B, violation_rate: 0.5}
truce:
  parties: [a, b]
  starts: 0
  alpha: {a: {b: 0.3}, b: {a: 0.3}}
  beta: 1.0
  breakdown: {violations: 6}
  monitoring:
    detection: {a: D, b: D}
    deterrence: {a: E, b: E}
"""


def _held(detection: float, elasticity: float, n: int, text: str = DETERRED) -> np.ndarray:
    plan = plan_of(text.replace("D,", f"{detection},").replace("D}", f"{detection}}}")
                   .replace("E,", f"{elasticity},").replace("E}", f"{elasticity}}}"))
    return np.array([run_replication(plan, i).outcome == "first_truce_held" for i in range(n)])


@pytest.mark.slow
def test_with_deterrence_better_detection_does_not_shorten_truces() -> None:
    n = 1000
    half, full = _held(0.5, 2.0, n), _held(1.0, 2.0, n)  # common random numbers
    d = full.astype(float) - half  # S(30 d) about 0.40 -> 0.56
    assert d.mean() >= 0 and d.mean() > 2 * d.std(ddof=1) / math.sqrt(n)
    # Without deterrence, better detection only makes the monitor end truces sooner.
    calmer = DETERRED.replace("violation_rate: 0.5", "violation_rate: 0.3").replace(
        "violations: 6", "violations: 10")
    assert _held(1.0, 0.0, n, calmer).mean() < _held(0.5, 0.0, n, calmer).mean() - 0.2


SELF_DETERRED = """
format: 2
name: self_deterred
title: one party feeding on its own violations, seen with probability D, deterred by E
start: 2020-01-01
horizon_days: 30
seed: 8
actors:
  a: {label: A, violation_rate: 1.0}
truce:
  parties: [a]
  starts: 0
  alpha: {a: {a: 0.5}}
  beta: 1.0
  monitoring: {detection: {a: 0.5}, deterrence: {a: E}}
"""


def _self_exciting_count(mu: float, alpha: float, beta: float, t: float) -> float:
    """E N(T) of a Hawkes process started empty, lambda = mu + alpha sum exp(-beta (t - t_m)):
    the mean intensity m solves m' = beta mu - (beta - alpha) m, m(0) = mu."""
    kappa = beta - alpha
    m_inf = beta * mu / kappa
    return m_inf * t + (mu - m_inf) * (1.0 - math.exp(-kappa * t)) / kappa


@pytest.mark.parametrize("e", [0.0, 2.0])
def test_deterrence_scales_provoked_violations_too_in_closed_form(e: float) -> None:
    """Being seen deters every violation (Becker 1968), its own provoked ones included:
    with f = exp(-e d), the party is a Hawkes process of base f mu and jump f alpha."""
    n = 2000
    plan = plan_of(SELF_DETERRED.replace("E}", f"{e}}}"))
    counts = np.array([run_replication(plan, i).violations["a"] for i in range(n)])
    f = math.exp(-e * 0.5)
    expected = _self_exciting_count(f * 1.0, f * 0.5, 1.0, 30.0)  # e = 2: 13.42; 21.4 if
    assert abs(counts.mean() - expected) < 4 * counts.std(ddof=1) / math.sqrt(n)  # base only


def _ceasefire(detection: float, elasticity: float) -> Plan:
    parties = ("government", "rebels", "militia")
    scenario, _ = load_with(str(EXAMPLES / "ceasefire_three_party.yaml"), [
        *(f"truce.monitoring.detection.{p}={detection}" for p in parties),
        *(f"truce.monitoring.deterrence.{p}={elasticity}" for p in parties)])
    return Plan(scenario, scenario.seed)


@pytest.mark.slow
@pytest.mark.parametrize(("e", "low", "high", "sign"), [(2.0, 0.7, 1.0, -1), (1.0, 0.5, 0.9, 1)])
def test_with_spoilers_and_perceived_retaliation_deterrence_sets_the_sign_of_monitoring(
        e: float, low: float, high: float, sign: int) -> None:
    """Three parties retaliating against what they perceive, a spoiler provoking them: a
    party's observed rate d f mu and what it spreads, d f alpha, fall with d where e d > 1 and
    rise where e d < 1 (d exp(-e d) peaks at d = 1 / e). So better detection lowers observed
    violations, and does not shorten first truces, when e d > 1 over the whole range; it
    raises them when e d < 1 throughout. On common random numbers, 4 standard errors."""
    n = 300
    plans = [_ceasefire(d, e) for d in (low, high)]
    runs = [[run_replication(plan, i) for i in range(n)] for plan in plans]
    seen = np.array([[sum(r.observed.values()) for r in rs] for rs in runs], dtype=float)
    diff = seen[1] - seen[0]
    assert sign * diff.mean() > 4 * diff.std(ddof=1) / math.sqrt(n)
    if sign < 0:
        held = np.array([[r.outcome == "first_truce_held" for r in rs] for rs in runs], float)
        shorter = held[0] - held[1]
        assert shorter.mean() <= 4 * max(shorter.std(ddof=1), 1 / n) / math.sqrt(n)


def test_no_deterrence_changes_nothing() -> None:
    base = plan_of(DETERRED.replace("    deterrence: {a: E, b: E}\n", "")
                   .replace("D,", "0.5,").replace("D}", "0.5}"))
    zero = plan_of(DETERRED.replace("D,", "0.5,").replace("D}", "0.5}")
                   .replace("E,", "0,").replace("E}", "0}"))
    for i in range(50):
        assert run_replication(base, i).row() == run_replication(zero, i).row()


# --- actors off the table ---------------------------------------------------------------------

EXIT_OFF_TABLE = """
format: 2
name: off_table
title: C, not at the table, may declare the truce over when A violates it
start: 2020-01-01
horizon_days: 30
seed: 11
actors:
  a: {label: A, violation_rate: 0.3}
  b: {label: B}
  c: {label: C}
negotiation:
  parties:
    a: {weights: {x: 1}}
    b: {weights: {x: -1}, reservation: -1}
  terms: {x: [0, 1]}
  constraints: [{by: a, term: x, min: 1}]
  meetings: {scheduled: [{day: 0}]}
truce:
  parties: [a, c]
  exits:
    half_life_days: 3
    parties:
      c: {tolerance: 1, worth: WORTH}
"""


def test_an_actor_off_the_table_declares_an_exit_by_its_stated_worth() -> None:
    at_zero, far_above = plan_of(EXIT_OFF_TABLE.replace("WORTH", "0")), plan_of(
        EXIT_OFF_TABLE.replace("WORTH", "1000"))
    for i in range(30):
        rec = run_replication(at_zero, i)
        if rec.violations["a"]:
            assert rec.declared_by == "c" and rec.observed["a"] == 1
        assert run_replication(far_above, i).declared_by == ""


def test_an_actor_off_the_table_needs_a_stated_worth() -> None:
    with pytest.raises(ScenarioError, match="an actor off the table needs a stated worth"):
        loads(EXIT_OFF_TABLE.replace(", worth: WORTH", ""))
    with pytest.raises(ScenarioError, match="is at the table"):
        loads(EXIT_OFF_TABLE.replace("c: {tolerance: 1, worth: WORTH}",
                                     "b: {tolerance: 1, worth: 1}"))


PATRON = """
format: 2
name: patron
title: C's patron B holds the stake that restrains C
start: 2020-01-01
horizon_days: 30
seed: 9
actors:
  a: {label: A}
  b: {label: B}
  c: {label: C, violation_rate: 0.5}
  p: {label: P}
negotiation:
  parties:
    a: {weights: {x: 1}, reservation: -1}
    b: {weights: {x: 1}, reservation: -1}
  terms: {x: [0, 1]}
  constraints: [{by: a, term: x, min: 1}]
  meetings: {scheduled: [{day: 0}]}
truce:
  parties: [c]
  stakes: {c: STAKE}
"""


@pytest.mark.parametrize("stake", ["{sensitivity: 1, held_by: b}",
                                   "{sensitivity: 1, held_by: p, worth: 2}"])
def test_a_stake_held_by_a_patron_restrains_its_client(stake: str) -> None:
    # b's deal is worth u = 1 above its reservation -1, so 2; p states 2: rate x exp(-2).
    free = plan_of(PATRON.replace("  stakes: {c: STAKE}\n", ""))
    held = plan_of(PATRON.replace("STAKE", stake))
    n = 400
    a = np.mean([run_replication(free, i).violations["c"] for i in range(n)])
    b = np.mean([run_replication(held, i).violations["c"] for i in range(n)])
    assert b == pytest.approx(a * math.exp(-2), rel=0.15)


# --- the truce's worth in the bargain ---------------------------------------------------------

WORTH = """
format: 2
name: worth
title: A values each day the truce holds; the carrot cuts B's violations
start: 2020-01-01
horizon_days: 60
seed: 2
actors:
  a: {label: A, violation_rate: 0.5}
  b: {label: B, violation_rate: 1.0}
negotiation:
  parties:
    a: {weights: {x: 1}}
    b: {weights: {x: -1}}
  terms: {x: [0, 0.5, 1]}
  meetings: {scheduled: [{day: 0}]}
effects:
  carrot: {term: x, target: b.violation_rate, per_unit: -0.5, tied_to_truce: true}
truce:
  parties: [a, b]
  breakdown: {violations: 6}
  worth:
    evaluation_days: 90
    parties:
      a: {per_day: {x: 0.01}, per_violation: {b: -0.1}}
      b: {per_day: {x: 0.02}}
"""


def test_the_worth_is_the_stated_flow_times_the_expected_life() -> None:
    plan = plan_of(WORTH)
    table = worth_table(plan, lambda v, *_a, **_k: float(v), plan.params(0).base,
                        {k: getattr(plan.params(0), k) for k in
                         ("alpha", "beta", "excites", "spoiler_beta", "rules")},
                        plan.params(0).effects)
    x = plan.offers[:, 0]
    rate_b = 1.0 * (1 - 0.5 * x)
    life = expected_life((0.5 + rate_b) / 6, 90.0)  # h = observed rate / threshold
    assert table[0] == pytest.approx(life * (0.01 * x - 0.1 * (rate_b - 1.0)))
    assert table[1] == pytest.approx(life * 0.02 * x)
    assert expected_life(np.array([0.0]), 90.0)[0] == 90.0
    assert plan.params(0).utilities == pytest.approx(np.vstack([x, -x]) + table)


def test_the_worth_prices_deterrence_on_every_violation() -> None:
    """B feeds on its own violations (jump 0.5, decay 1) and is seen half the time with
    elasticity 2: f = exp(-1) scales its base rate and its jump alike, so its mean rate is
    f mu_B / (1 - 0.5 f), and the monitor sees half of it."""
    text = WORTH.replace("  breakdown: {violations: 6}\n", "  breakdown: {violations: 6}\n"
                         "  alpha: {b: {b: 0.5}}\n  beta: 1.0\n"
                         "  monitoring: {detection: {b: 0.5}, deterrence: {b: 2}}\n")
    plan = plan_of(text)
    p = plan.params(0)
    table = worth_table(plan, lambda v, *_a, **_k: float(v), p.base,
                        {k: getattr(p, k) for k in
                         ("alpha", "beta", "excites", "spoiler_beta", "rules")}, p.effects)
    x, f = plan.offers[:, 0], math.exp(-1.0)
    rate_b = f * 1.0 * (1 - 0.5 * x) / (1 - 0.5 * f)  # 0.497 at x = 0; 0.813 if base only
    life = expected_life((0.5 + 0.5 * rate_b) / 6, 90.0)
    assert table[1] == pytest.approx(life * 0.02 * x)


def test_doubling_a_partys_own_unit_values_with_the_worth_changes_nothing() -> None:
    doubled = WORTH.replace("weights: {x: -1}", "weights: {x: -2}").replace(
        "b: {per_day: {x: 0.02}}", "b: {per_day: {x: 0.04}}")
    base, twice = plan_of(WORTH), plan_of(doubled)
    for i in range(50):
        a, b = run_replication(base, i).row(), run_replication(twice, i).row()
        assert a.pop("utility_b") * 2 == pytest.approx(b.pop("utility_b")) and a == b


# --- truce outcomes without censoring artefacts ----------------------------------------------


def test_survival_at_a_day_by_hand() -> None:
    # At risk 5, one breaks at 1: 4/5; at 2 one of 4 (another censored at 2): 0.8 * 3/4 = 0.6.
    days = np.array([1.0, 2.0, 2.0, 3.0, 4.0])
    km = survival_at(days, np.array([True, True, False, True, False]), 2.5)
    assert km["s"] == pytest.approx(0.6) and km["at_risk"] == 2 and km["events"] == 2
    assert km["ci"][0] < 0.6 < km["ci"][1] and not km["estimable"]
    assert survival_at(days, np.ones(5, dtype=bool), 9.0)["s"] is None  # nobody at risk
    many = survival_at(np.arange(1.0, 41.0), np.ones(40, dtype=bool), 20.0)
    assert many["s"] == pytest.approx(0.5) and many["at_risk"] == 21 and many["estimable"]

LATE = """
format: 2
name: late
title: a truce that starts in the window's last 10 days
start: 2020-01-01
horizon_days: 60
seed: 6
actors:
  a: {label: A, violation_rate: 0.1}
truce:
  parties: [a]
  starts: 52
  breakdown: {violations: 3}
"""


def _run_cli(text: str, runs: int, where: Path) -> str:
    path = where / "scenario.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["run", str(path), "-n", str(runs), "--no-plots",
                                       "--out", str(where / "run")])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # the console folds long lines


def test_a_truce_starting_in_the_last_ten_days_is_too_young_never_held(tmp_path: Path) -> None:
    plan = plan_of(LATE)
    assert possible(plan.scenario) == ("first_truce_too_young", "truce_collapsed")
    outcomes = {run_replication(plan, i).outcome for i in range(200)}
    assert outcomes <= {"first_truce_too_young", "truce_collapsed"}
    assert "first_truce_too_young" in outcomes
    output = _run_cli(LATE, 50, tmp_path)
    assert "S(30 d) not estimable (0 at risk)" in output
    assert "first_truce_held" not in output


def test_a_median_with_fewer_than_ten_at_risk_is_not_estimable(tmp_path: Path) -> None:
    text = LATE.replace("starts: 52", "starts: 0").replace("violation_rate: 0.1",
                                                           "violation_rate: 0.3")
    output = _run_cli(text, 12, tmp_path)
    assert "median not estimable (" in output
    assert "at risk by day since the start: 0: 12" in output


# --- the carrot priced, on the flagship over a 240-day window ---------------------------------


def _flagship_240(carrot: float, n: int) -> list[Record]:
    # Without Washington's sceptics, whose veto (section 3.4) makes deals rare: the carrot's
    # price is read where nearly every run deals.
    scenario, _ = load_with(str(FLAGSHIP), ["horizon_days=240", "negotiation.ratifiers={}",
                                            f"effects.intel_carrot.per_unit={carrot}"])
    plan = Plan(scenario)
    return [run_replication(plan, i) for i in range(n)]


def _s30(recs: list[Record]) -> dict:
    days = np.array([r.truce_days for r in recs], dtype=float)
    censored = np.array([r.truce_censored for r in recs])
    started = np.isfinite(days)
    return survival_at(days[started], ~censored[started], 30.0)


@pytest.mark.slow
def test_a_bigger_carrot_is_priced_into_the_deal_and_lengthens_first_truces() -> None:
    n = 1000
    small, big = _flagship_240(-0.4, n), _flagship_240(-0.8, n)  # common random numbers
    # Under the alternating protocol every run deals on this window, nearly all at the Moscow
    # meeting (the deadline's threat point acts from the first round): the carrot's price
    # shows as a deal never less likely and never later on average (0.23 days sooner of 2.7),
    # and in the truce it buys.
    d = np.array([b.deal for b in big], dtype=float) - [s.deal for s in small]
    assert d.mean() >= 0
    a, b = (np.array([r.deal_day for r in arm]) for arm in (small, big))
    both = np.isfinite(a) & np.isfinite(b)
    assert (a[both] - b[both]).mean() >= 0
    # The first truce's mean life within 30 days (restricted mean), paired run by run: longer
    # by more than 4 Monte Carlo standard errors (0.94 days, standard error 0.13).
    life = [np.array([min(r.truce_days, 30.0) for r in arm]) for arm in (small, big)]
    started = np.isfinite(life[0]) & np.isfinite(life[1])
    gain = life[1][started] - life[0][started]
    assert gain.mean() > 4 * gain.std(ddof=1) / math.sqrt(started.sum())
    s0, s1 = _s30(small), _s30(big)  # S(30 d) about 0.039 -> 0.058
    assert s0["estimable"] and s1["estimable"] and s1["s"] > s0["s"]
