"""The Hawkes fitter (sim/stats/hawkes.py), the incidents reader
(sim/operations/incidents.py) and the fit report.

Histories are simulated exactly by the cluster (branching) construction in numpy, which is
fast enough for 200 fits; the shipped example comes from negsim's own engine.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.errors import DataError, UsageError
from sim.operations import incidents as inc
from sim.output import fitreport as fr
from sim.scenario import loads
from sim.stats import hawkes
from tests.conftest import EXAMPLES, SYNTHETIC

TRUTH = EXAMPLES / "truce_fit_truth.yaml"

MU = [0.3, 0.2]
ALPHA = [[0.3, 0.4], [0.5, 0.2]]
GAMMA = [[0.6], [0.3]]
BETA = 1.5
SPOILER_RATE = [0.1]
TRUE = hawkes.Params(np.array(MU), np.array(ALPHA), np.array(GAMMA), BETA)


# --- an exact simulator ---------------------------------------------------------------------


def simulate(params: hawkes.Params, rates: list[float], horizon: float,
             rng: np.random.Generator) -> hawkes.History:
    """Exact multivariate Hawkes with Poisson spoilers, by the cluster construction.

    Immigrants of party i arrive at mu_i; each event of source j has Poisson(kernel[i, j] /
    beta) children of party i at Exp(beta) delays (Hawkes & Oakes 1974).
    """
    d = params.mu.size
    spoilers = [np.sort(rng.uniform(0, horizon, rng.poisson(r * horizon))) for r in rates]
    gen_t = [rng.uniform(0, horizon, rng.poisson(m * horizon)) for m in params.mu]
    gen_k = [np.full(t.size, i) for i, t in enumerate(gen_t)]
    for s, ts in enumerate(spoilers):
        for i in range(d):
            t, k = _children(ts, np.full(ts.size, params.gamma[i, s] / params.beta), i,
                             params.beta, rng)
            gen_t.append(t)
            gen_k.append(k)
    times, kinds = np.concatenate(gen_t), np.concatenate(gen_k)
    out_t, out_k = [], []
    while times.size:
        keep = times < horizon
        times, kinds = times[keep], kinds[keep]
        out_t.append(times)
        out_k.append(kinds)
        pairs = [_children(times, params.alpha[i, kinds] / params.beta, i, params.beta, rng)
                 for i in range(d)]
        times = np.concatenate([p[0] for p in pairs])
        kinds = np.concatenate([p[1] for p in pairs])
    all_t, all_k = np.concatenate(out_t), np.concatenate(out_k)
    return hawkes.History.of([all_t[all_k == i] for i in range(d)], spoilers, horizon)


def _children(parents: np.ndarray, means: np.ndarray, kind: int, beta: float,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    start = np.repeat(parents, rng.poisson(means))
    return start + rng.exponential(1 / beta, start.size), np.full(start.size, kind)


def brute_loglik(p: hawkes.Params, h: hawkes.History) -> float:
    """The log-likelihood by its definition, O(n^2)."""
    kernel, total = p.kernel, 0.0
    for i, times in enumerate(h.parties):
        for t in times:
            lam = p.mu[i] + sum(kernel[i, j] * np.sum(np.exp(-p.beta * (t - s[s < t])))
                                for j, s in enumerate(h.sources))
            total += math.log(lam)
        total -= p.mu[i] * h.horizon
        total -= sum(kernel[i, j] * np.sum(1 - np.exp(-p.beta * (h.horizon - s))) / p.beta
                     for j, s in enumerate(h.sources))
    return total


@pytest.fixture(scope="module")
def history() -> hawkes.History:
    return simulate(TRUE, SPOILER_RATE, 300.0, np.random.default_rng(5))


# --- the likelihood -------------------------------------------------------------------------


def test_loglik_matches_brute_force_sum(history: hawkes.History) -> None:
    assert history.events > 200
    other = hawkes.Params(np.array([0.5, 0.1]), np.array([[0.1, 0.9], [0.2, 0.05]]),
                          np.array([[0.2], [1.1]]), 0.7)
    for p in (TRUE, other):
        assert hawkes.loglik(p, history) == pytest.approx(brute_loglik(p, history), rel=1e-10)


def test_loglik_on_ties_lets_no_event_excite_a_simultaneous_one() -> None:
    h = hawkes.History.of([[1.0, 1.0, 2.5], [1.0, 3.0]], [[0.5, 2.5]], 5.0)
    assert hawkes.loglik(TRUE, h) == pytest.approx(brute_loglik(TRUE, h), rel=1e-12)


def test_loglik_of_poisson_process_is_the_closed_form() -> None:
    h = hawkes.History.of([[1.0, 2.0, 4.0]], [], 10.0)
    p = hawkes.Params(np.array([0.4]), np.zeros((1, 1)), np.zeros((1, 0)), 1.0)
    assert hawkes.loglik(p, h) == pytest.approx(3 * math.log(0.4) - 4.0)


def test_gradient_matches_finite_differences(history: hawkes.History) -> None:
    v = TRUE.vector()
    _, grad = hawkes.loglik_and_grad(TRUE, history)
    for k in range(v.size):
        e = np.zeros(v.size)
        e[k] = 1e-6
        hi = hawkes.loglik(hawkes.Params.from_vector(v + e, 2, 1), history)
        lo = hawkes.loglik(hawkes.Params.from_vector(v - e, 2, 1), history)
        assert grad[k] == pytest.approx((hi - lo) / 2e-6, rel=1e-5, abs=1e-4)


@pytest.mark.parametrize("beta", [0.001, 1.0, 50.0, 5000.0])
def test_the_blocked_recursion_is_the_sum_it_stands_for(beta: float) -> None:
    """Ozaki's recursion by blocks (hawkes._prefix) against the O(n^2) sums, with ties, a
    dense burst and long gaps: blocks in plain and log space, and both in one source."""
    rng = np.random.default_rng(0)
    for n in (1, 5, 300, 2000):
        s = np.sort(np.concatenate([rng.uniform(0, 1000, n), [500.0] * 3,
                                    rng.uniform(200, 200.01, n)]))
        a, dd = hawkes._prefix(hawkes._Blocks.of(s), beta)
        lag = s[:, None] - s[None, :]
        kept = np.tril(np.ones(lag.shape, bool))  # i <= k, ties included once
        e = np.where(kept, np.exp(-beta * np.where(kept, lag, 0.0)), 0.0)
        assert a == pytest.approx(e.sum(1), rel=1e-8)  # log space: eps * beta * t
        assert dd == pytest.approx((lag * e).sum(1), rel=1e-8, abs=1e-6)


def test_a_long_history_starts_from_the_fit_of_its_first_events(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Above hawkes.WARM party events the optimum is the same as from the usual starts."""
    h = simulate(TRUE, SPOILER_RATE, 2000.0, np.random.default_rng(7))
    full = hawkes.maximise(h)
    monkeypatch.setattr(hawkes, "WARM", h.events // 4)
    warm = hawkes.maximise(h)
    assert -warm.fun == pytest.approx(-full.fun, rel=1e-8)
    assert np.exp(warm.x) == pytest.approx(np.exp(full.x), rel=1e-3)


def test_vector_round_trips_through_params() -> None:
    again = hawkes.Params.from_vector(TRUE.vector(), 2, 1)
    assert np.array_equal(again.vector(), TRUE.vector())
    assert again.branching_ratio() == pytest.approx(max(abs(np.linalg.eigvals(
        np.array(ALPHA) / BETA))))


# --- parameter recovery ---------------------------------------------------------------------

FITS = 200
NOMINAL = 0.95
# The issue asks for coverage >= 0.90 over 200 fits. With the nominal 0.95, the binomial
# standard error over 200 fits is sqrt(0.95 * 0.05 / 200) = 0.0154, so 0.90 sits 3.2 standard
# errors below nominal: a correct interval fails this (per parameter) with probability ~0.001.
FLOOR = NOMINAL - 3.2 * math.sqrt(NOMINAL * (1 - NOMINAL) / FITS)


@pytest.mark.slow
def test_intervals_cover_true_parameters_in_at_least_90_percent_of_200_fits() -> None:
    rng = np.random.default_rng(12)
    truth = TRUE.vector()
    hits = np.zeros(truth.size)
    for _ in range(FITS):
        f = hawkes.fit(simulate(TRUE, SPOILER_RATE, 400.0, rng), betas=(1.0,))
        hits += (f.lower <= truth) & (truth <= f.upper)
    coverage = hits / FITS
    assert FLOOR == pytest.approx(0.90, abs=0.002)
    assert np.all(coverage >= 0.90), dict(zip(hawkes.names(2, 1), coverage, strict=True))


def test_fit_of_a_long_history_is_close_to_the_truth() -> None:
    h = simulate(TRUE, SPOILER_RATE, 4000.0, np.random.default_rng(3))
    f = hawkes.fit(h)
    assert f.converged
    z = np.log(f.params.vector() / TRUE.vector()) / f.se_log
    assert np.all(np.abs(z) < 4), z
    assert np.all(f.se_log < 0.5)
    assert f.branching[1] < TRUE.branching_ratio() < f.branching[2]


def test_poisson_data_give_a_branching_ratio_near_zero() -> None:
    p = hawkes.Params(np.array([0.5]), np.zeros((1, 1)), np.zeros((1, 0)), 1.0)
    f = hawkes.fit(simulate(p, [], 1000.0, np.random.default_rng(4)))
    assert f.params.mu[0] == pytest.approx(0.5, rel=0.15)
    assert f.branching[0] < 0.05


def test_profile_interval_reaches_zero_for_a_jump_that_is_zero() -> None:
    p = hawkes.Params(np.array([0.5]), np.zeros((1, 1)), np.zeros((1, 0)), 1.0)
    h = simulate(p, [], 1000.0, np.random.default_rng(4))
    wald = hawkes.fit(h)
    prof = hawkes.profile(h, wald)
    assert wald.lower[1] > 0  # a log-scale Wald interval never reaches 0 ...
    assert prof.lower[1] == 0.0  # ... the profile likelihood does
    assert prof.lower[0] < 0.5 < prof.upper[0]
    assert prof.upper[0] == pytest.approx(wald.upper[0], rel=0.05)


def test_profile_interval_endpoints_drop_the_loglik_by_the_chi_square_quantile(
        history: hawkes.History) -> None:
    f = hawkes.fit(history)
    prof = hawkes.profile(history, f, which=[8])
    assert np.array_equal(prof.lower[:8], f.lower[:8])
    top = hawkes.loglik(f.params, history)
    x = np.log(f.params.vector())
    for end in (prof.lower[-1], prof.upper[-1]):  # beta
        drop = 2 * (top - hawkes._profile_loglik(history, x, x.size - 1, math.log(end)))
        assert drop == pytest.approx(hawkes.CHI2_95, abs=0.02)


# --- goodness of fit ------------------------------------------------------------------------


def test_time_rescaling_does_not_reject_data_from_the_model(history: hawkes.History) -> None:
    f = hawkes.fit(history)
    gof = hawkes.goodness_of_fit(f.params, history)
    assert gof.consistent, (gof.p_exponential, gof.p_uniform)
    assert gof.residuals.size == history.events
    assert np.mean(gof.residuals) == pytest.approx(1.0, abs=0.1)


def test_time_rescaling_rejects_data_whose_rate_doubles_in_the_second_half() -> None:
    rng = np.random.default_rng(8)
    first = simulate(TRUE, SPOILER_RATE, 400.0, rng)
    doubled = hawkes.Params(2 * TRUE.mu, TRUE.alpha, TRUE.gamma, TRUE.beta)
    second = simulate(doubled, SPOILER_RATE, 400.0, rng)
    h = hawkes.History.of([np.concatenate([a, b + 400.0]) for a, b in
                           zip(first.parties, second.parties, strict=True)],
                          [np.concatenate([first.spoilers[0], second.spoilers[0] + 400.0])],
                          800.0)
    gof = hawkes.goodness_of_fit(hawkes.fit(h).params, h)
    assert not gof.consistent
    assert gof.p_uniform < 1e-3


def test_residuals_of_the_true_model_are_unit_exponential(history: hawkes.History) -> None:
    res = hawkes.residuals(TRUE, history)
    assert res.min() >= 0
    assert np.mean(res) == pytest.approx(1.0, abs=0.1)


# --- reading incidents ----------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "incidents.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_day_spreading_keeps_file_order_within_each_day_and_is_reproducible() -> None:
    days = np.array([3.0, 3.0, 3.0, 5.0, 3.0])
    out = inc.spread_days(days)
    assert np.array_equal(np.floor(out), days)
    same_day = out[days == 3.0]
    assert np.all(np.diff(same_day) > 0)
    assert np.array_equal(out, inc.spread_days(days))
    assert out[3] == inc.spread_days(np.array([5.0]))[0]  # a day depends on its own events
    assert not np.array_equal(out, inc.spread_days(days, seed=1))


def test_read_dates_spreads_them_and_counts_days_from_the_window_start(tmp_path: Path) -> None:
    path = write(tmp_path, "# a comment\nevent_date,actor1\n2020-01-02,a\n2020-01-02,b\n"
                 "3 January 2020,a\n")
    data = inc.read(path)
    assert data.calendar and data.spread == 3
    assert data.lines == (3, 4, 5)
    sel = inc.select(data, start="2020-01-01", end="2020-01-03")
    assert sel.history.horizon == 3.0
    assert sel.parties == ["a", "b"]
    assert 1 <= sel.history.parties[0][0] < sel.history.parties[1][0] < 2
    assert 2 <= sel.history.parties[0][1] < 3


def test_read_datetimes_keeps_their_time_of_day(tmp_path: Path) -> None:
    path = write(tmp_path, "when,who\n2020-01-01T06:00,a\n2020-01-01 18:00:00+00:00,a\n")
    data = inc.read(path, "when", "who")
    assert data.spread == 0
    sel = inc.select(data)
    assert sel.history.parties[0].tolist() == pytest.approx([0.25, 0.75])
    assert sel.history.horizon == 1.0


def test_read_day_numbers_exact_or_whole(tmp_path: Path) -> None:
    exact = inc.read(write(tmp_path, "day,actor1\n0.5,a\n2.25,a\n", "a.csv"), "day")
    assert not exact.calendar and exact.spread == 0
    assert exact.times.tolist() == [0.5, 2.25]
    whole = inc.read(write(tmp_path, "day,actor1\n1,a\n2,a\n", "b.csv"), "day")
    assert whole.spread == 2


def test_select_spoiler_and_drops_other_actors_and_events_outside_window(
        tmp_path: Path) -> None:
    rows = "".join(f"{d},{a}\n" for d, a in [(0.5, "a"), (1.5, "s"), (2.5, "b"), (3.5, "x"),
                                              (9.5, "a")])
    data = inc.read(write(tmp_path, "day,actor1\n" + rows), "day")
    sel = inc.select(data, ["a", "b"], ["s"], "0", "5")
    assert sel.parties == ["a", "b"] and sel.spoilers == ["s"]
    assert sel.dropped == {"x": 1} and sel.outside == 1
    assert [t.tolist() for t in sel.history.sources] == [[0.5], [2.5], [1.5]]


@pytest.mark.parametrize(("text", "line", "message"), [
    ("event_date,actor2\n2020-01-01,a\n", 1, "no column 'actor1'; did you mean 'actor2'"),
    ("event_date,actor1\n2020-01-01,a\n2020-13-01,a\n", 3, "cannot read event_date '2020-13-01'"),
    ("event_date,actor1\n2020-01-01,a\n,a\n", 3, "empty event_date"),
    ("event_date,actor1\n2020-01-01,\n", 2, "empty actor"),
    ("event_date,actor1\n2020-01-01,a\n12,a\n", 3, "mixes day numbers and dates"),
    ("event_date,actor1\n2020-01-01\n", 2, "1 fields where the header has 2"),
    ("event_date,actor1\n", 1, "no incidents"),
    ("", None, "empty file"),
])
def test_bad_file_names_file_and_line(tmp_path: Path, text: str, line: int | None,
                                      message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=message) as info:
        inc.read(path)
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}: " if line else f"{path}: ")


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(DataError, match="binary file"):
        inc.read(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        inc.read(tmp_path / "none.csv")


def test_party_without_events_in_the_window_names_its_first_line(tmp_path: Path) -> None:
    data = inc.read(write(tmp_path, "day,actor1\n0.5,a\n1.5,b\n8.5,c\n"), "day")
    with pytest.raises(DataError, match=r"incidents.csv:4: no events for party 'c' in the window"):
        inc.select(data, ["a", "c"], end="5")


def test_unknown_party_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    data = inc.read(write(tmp_path, "day,actor1\n0.5,rebels\n"), "day")
    with pytest.raises(DataError, match="no events for spoiler 'rebel' in the file; did you"):
        inc.select(data, ["rebels"], ["rebel"])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"start": "2020-01-01"}, "the file's times are day numbers"),
    ({"start": "yesterday"}, "--start 'yesterday': expected a date"),
    ({"start": "3", "end": "2"}, "the window .* is empty"),
    ({"parties": ["a"], "spoilers": ["a"]}, "both as a party and as a spoiler"),
])
def test_bad_selection_is_a_usage_error(tmp_path: Path, kwargs: dict[str, object],
                                        message: str) -> None:
    data = inc.read(write(tmp_path, "day,actor1\n0.5,a\n"), "day")
    with pytest.raises(UsageError, match=message):
        inc.select(data, **kwargs)  # type: ignore[arg-type]


def test_too_many_parties_asks_for_parties_option(tmp_path: Path) -> None:
    rows = "".join(f"{k + 0.5},actor{k}\n" for k in range(9))
    data = inc.read(write(tmp_path, "day,actor1\n" + rows), "day")
    with pytest.raises(UsageError, match="at most 8: choose them with parties"):
        inc.select(data)


# --- the shipped example and the report -----------------------------------------------------


def test_shipped_example_is_what_the_engine_makes_from_the_truth() -> None:
    assert inc.simulated(TRUTH) == SYNTHETIC.read_text(), (
        "the engine no longer makes the shipped example: run "
        "`python scripts/make_incidents_example.py` and update the README's fit output")


@pytest.fixture(scope="module")
def report() -> fr.FitReport:
    opts = fr.FitOptions(spoilers=["splinter"], start="2024-01-01", end="2025-12-30")
    return fr.fit_file(SYNTHETIC, opts)


def truth_by_path() -> dict[str, float]:
    s = loads(TRUTH.read_text())
    assert s.truce is not None
    out: dict[str, float] = {"truce.beta": float(s.truce.beta)}  # type: ignore[arg-type]
    for name, actor in s.actors.items():
        key = "violation_rate" if name in s.truce.parties else "attack_rate"
        out[f"actors.{name}.{key}"] = getattr(actor, key)
    for i, row in s.truce.alpha.items():
        out.update({f"truce.alpha.{i}.{j}": a for j, a in row.items()})  # type: ignore[misc]
    for sp, spoiler in s.spoilers.items():
        out.update({f"spoilers.{sp}.excites.{p}": x for p, x in spoiler.excites.items()})
    return out


def test_fit_of_the_shipped_example_covers_every_true_parameter(report: fr.FitReport) -> None:
    truth = truth_by_path()
    assert {e.path for e in report.estimates} == set(truth)
    for e in report.estimates:
        assert e.lower <= truth[e.path] <= e.upper, e
    assert report.selection.history.horizon == 730
    assert report.gof.consistent


def test_yaml_block_pastes_into_a_valid_scenario(report: fr.FitReport) -> None:
    block = yaml.safe_load(fr.yaml_block(report))
    block["truce"]["starts"] = 0
    scenario = {"format": 2, "name": "pasted", "title": "Pasted fit", "start": "2024-01-01",
                "horizon_days": 100, **block}
    s = loads(yaml.safe_dump(scenario))
    assert s.truce is not None and s.truce.parties == ["government", "rebels"]
    assert s.truce.beta == pytest.approx(report.fit.params.beta, rel=1e-3)
    assert s.spoilers["splinter"].excites["government"] > 0


def test_json_names_every_parameter_by_its_scenario_path(report: fr.FitReport) -> None:
    data = fr.to_json(report)
    assert [p["path"] for p in data["parameters"]][:2] == [
        "actors.government.violation_rate", "actors.rebels.violation_rate"]
    assert data["window"] == {"start": "2024-01-01", "end": "2025-12-31", "days": 730.0}
    assert data["branching_ratio"]["stationary"] is True
    assert data["events"] == {"government": 339, "rebels": 339, "splinter": 59}


def test_slugs_are_scenario_ids_and_unique() -> None:
    got = fr.slugs(["Military Forces of Syria (2000-)", "military forces of syria", "1st Army"])
    assert got == {"Military Forces of Syria (2000-)": "military_forces_of_syria_2000",
                   "military forces of syria": "military_forces_of_syria",
                   "1st Army": "actor_1st_army"}


def test_write_new_never_overwrites_without_force(tmp_path: Path) -> None:
    path = tmp_path / "fit.yaml"
    fr.write_new(path, "a: 1\n")
    with pytest.raises(UsageError, match="exists; give force"):
        fr.write_new(path, "a: 2\n")
    fr.write_new(path, "a: 2\n", force=True)
    assert path.read_text() == "a: 2\n"
    assert [p.name for p in tmp_path.iterdir()] == ["fit.yaml"]
