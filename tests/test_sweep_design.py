"""Sweep designs (sim.running.design): what points a sweep takes. Pure; no simulation."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from sim.errors import UsageError
from sim.running.design import Spec, assignments, build, parse_spec, read_design


def specs(*texts: str) -> list[Spec]:
    return [parse_spec(t) for t in texts]


def matrix(points: list[dict], paths: list[str]) -> np.ndarray:
    return np.array([[p[q] for q in paths] for p in points], dtype=float)


# --- parse_spec -----------------------------------------------------------------------------


def test_list_spec_parses_each_value_as_yaml() -> None:
    s = parse_spec("truce.beta=1.5,2,3")
    assert s.path == "truce.beta"
    assert s.values == [1.5, 2, 3]
    assert not s.is_range
    assert parse_spec("actors.side_a.label=A, B").values == ["A", "B"]
    assert parse_spec("p=0.5").values == [0.5]  # one value is a one-point list


def test_list_spec_keeps_bracketed_values_whole() -> None:
    s = parse_spec("actors.side_a.violation_rate={uniform: [0.1, 0.2]},0.5")
    assert s.values == [{"uniform": [0.1, 0.2]}, 0.5]


def test_path_and_values_are_stripped() -> None:
    s = parse_spec("  truce.beta = 1 , 2 ")
    assert s.path == "truce.beta"
    assert s.values == [1, 2]


def test_steps_spec_is_evenly_spaced_and_includes_both_ends() -> None:
    assert parse_spec("p=0:1:6").values == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert parse_spec("p=-1:1:5").values == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert parse_spec("p=2:3:2").values == [2.0, 3.0]
    assert not parse_spec("p=0:1:6").is_range


def test_range_spec_has_bounds_and_no_values() -> None:
    s = parse_spec("actors.russia.leverage.assad=0.2..0.9")
    assert s.is_range
    assert (s.low, s.high, s.values) == (0.2, 0.9, None)
    assert parse_spec("p=-1..1e-1").low == -1.0
    assert parse_spec("p=-1..1e-1").high == pytest.approx(0.1)
    assert parse_spec("p = 1 .. 2").is_range


@pytest.mark.parametrize(("text", "match"), [
    ("truce.beta", "expected PATH=SPEC"),
    ("truce.beta=", "expected PATH=SPEC"),
    ("=1,2", "expected PATH=SPEC"),
    ("  =1", "expected PATH=SPEC"),
    ("p=2..1", r"range 2\.\.1 must have lo < hi"),
    ("p=1..1", "must have lo < hi"),
    ("p=0:1:1", "at least 2 steps"),
    ("p=0:1:0", "at least 2 steps"),
    ("p=e..E", "is not a number"),
    ("p=[1", "is not a valid value"),
])
def test_malformed_spec_is_a_usage_error_quoting_it(text: str, match: str) -> None:
    with pytest.raises(UsageError, match=match) as info:
        parse_spec(text)
    assert repr(text) in str(info.value)


# --- grid and zip ---------------------------------------------------------------------------


def test_grid_is_the_cartesian_product_in_order_last_path_fastest() -> None:
    d = build(specs("a=1,2,3", "b=x,y", "c=0:1:2"))
    assert d.method == "grid"
    assert d.paths == ["a", "b", "c"]
    assert len(d.points) == 3 * 2 * 2
    expected = [dict(zip(["a", "b", "c"], row, strict=True))
                for row in itertools.product([1, 2, 3], ["x", "y"], [0.0, 1.0])]
    assert d.points == expected
    assert d.points[0] == {"a": 1, "b": "x", "c": 0.0}
    assert d.points[1] == {"a": 1, "b": "x", "c": 1.0}
    assert d.points[-1] == {"a": 3, "b": "y", "c": 1.0}


def test_single_parameter_grid() -> None:
    d = build(specs("truce.beta=1.5,2,3"))
    assert d.points == [{"truce.beta": 1.5}, {"truce.beta": 2}, {"truce.beta": 3}]


def test_zip_varies_lists_in_lockstep() -> None:
    d = build(specs("a=1,2,3", "b=0:1:3"), zipped=True)
    assert d.method == "zip"
    assert d.points == [{"a": 1, "b": 0.0}, {"a": 2, "b": 0.5}, {"a": 3, "b": 1.0}]


def test_zip_with_unequal_lengths_is_refused_naming_each_length() -> None:
    with pytest.raises(UsageError, match=r"zipped needs lists of equal length.*a: 3, b: 2"):
        build(specs("a=1,2,3", "b=1,2"), zipped=True)


def test_ranges_in_a_grid_are_refused_naming_the_path() -> None:
    with pytest.raises(UsageError, match=r"^b: lo\.\.hi ranges need sample"):
        build(specs("a=1,2", "b=0..1"))
    with pytest.raises(UsageError, match="ranges need sample"):
        build(specs("a=0..1"), zipped=True)


def test_no_spec_and_repeated_path_are_refused() -> None:
    with pytest.raises(UsageError, match="at least one parameter to sweep: PATH=SPEC in specs"):
        build([])
    with pytest.raises(UsageError, match="each path may be swept once"):
        build(specs("a=1,2", "a=3,4"))


@pytest.mark.parametrize("sample", ["random:8", "lhs", "lhs:", "lhs:x", "lhs:1", "sobol:0",
                                    "LHS:8", "grid:4"])
def test_unknown_or_malformed_sample_is_refused(sample: str) -> None:
    with pytest.raises(UsageError, match=r"expected grid, lhs:N or sobol:N with N >= 2"):
        build(specs("a=0..1"), sample=sample)


# --- --design CSV ---------------------------------------------------------------------------


def test_design_csv_gives_its_rows_as_points(tmp_path: Path) -> None:
    csv = tmp_path / "points.csv"
    csv.write_text("truce.beta, actors.side_a.violation_rate\n1.5,0.2\n2,0.4\n3,0.6\n")
    d = build([], design_csv=csv)
    assert d.method == "design"
    assert d.paths == ["truce.beta", "actors.side_a.violation_rate"]
    assert d.points == [
        {"truce.beta": 1.5, "actors.side_a.violation_rate": 0.2},
        {"truce.beta": 2, "actors.side_a.violation_rate": 0.4},
        {"truce.beta": 3, "actors.side_a.violation_rate": 0.6},
    ]
    assert read_design(csv) == d


def test_design_csv_values_are_yaml(tmp_path: Path) -> None:
    csv = tmp_path / "points.csv"
    csv.write_text('actors.side_a.violation_rate,actors.side_a.label\n'
                   '"{uniform: [0.1, 0.2]}",Side A\n0.3,B\n')
    d = read_design(csv)
    assert d.points[0] == {"actors.side_a.violation_rate": {"uniform": [0.1, 0.2]},
                           "actors.side_a.label": "Side A"}
    assert d.points[1]["actors.side_a.violation_rate"] == 0.3


def test_design_csv_with_a_short_row_names_file_and_line(tmp_path: Path) -> None:
    csv = tmp_path / "points.csv"
    csv.write_text("a,b\n1,2\n3,4\n5\n")
    with pytest.raises(UsageError, match=rf"^{csv}:4: expected 2 values, got 1$"):
        build([], design_csv=csv)


def test_design_csv_with_a_long_row_names_file_and_line(tmp_path: Path) -> None:
    csv = tmp_path / "points.csv"
    csv.write_text("a,b\n1,2,3\n")
    with pytest.raises(UsageError, match=rf"^{csv}:2: expected 2 values, got 3$"):
        build([], design_csv=csv)


def test_design_csv_with_a_bad_value_names_file_and_line(tmp_path: Path) -> None:
    csv = tmp_path / "points.csv"
    csv.write_text('a\n1\n"[1, 2"\n')
    with pytest.raises(UsageError, match=rf"{csv}:3"):
        build([], design_csv=csv)


@pytest.mark.parametrize("text", ["", "a,b\n"])
def test_design_csv_without_header_or_rows_is_refused(tmp_path: Path, text: str) -> None:
    csv = tmp_path / "points.csv"
    csv.write_text(text)
    with pytest.raises(UsageError, match=rf"^{csv}: a design needs a header of paths and at "
                       "least one row"):
        build([], design_csv=csv)


def test_missing_design_csv_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nope.csv: file not found"):
        build([], design_csv=tmp_path / "nope.csv")


# --- Latin hypercube ------------------------------------------------------------------------


LHS_SPECS = ("truce.beta=1.2..3", "actors.side_a.violation_rate=0.2..0.6", "c=-5..5")


@pytest.mark.parametrize("n", [2, 8, 37])
def test_lhs_gives_n_points_inside_the_ranges_one_per_stratum_per_dimension(n: int) -> None:
    ss = specs(*LHS_SPECS)
    d = build(ss, sample=f"lhs:{n}", seed=11)
    assert d.method == "lhs"
    assert d.paths == [s.path for s in ss]
    assert len(d.points) == n
    x = matrix(d.points, d.paths)
    for j, s in enumerate(ss):
        assert s.low is not None and s.high is not None
        assert np.all((x[:, j] >= s.low) & (x[:, j] <= s.high)), (s.path, x[:, j])
        stratum = np.floor((x[:, j] - s.low) / (s.high - s.low) * n).astype(int)
        # The Latin hypercube property: each of the n equal slices of each range holds
        # exactly one point.
        assert sorted(stratum.tolist()) == list(range(n)), (s.path, stratum)


def test_lhs_is_reproducible_for_a_seed_and_changes_with_it() -> None:
    ss = specs(*LHS_SPECS)
    a = build(ss, sample="lhs:16", seed=3)
    assert build(ss, sample="lhs:16", seed=3) == a
    assert build(ss, sample="lhs:16", seed=4).points != a.points


def test_lhs_values_are_plain_floats() -> None:
    d = build(specs("a=0..1"), sample="lhs:4")
    assert all(type(p["a"]) is float for p in d.points)


def test_lists_with_a_sampler_are_refused_naming_the_path() -> None:
    with pytest.raises(UsageError, match=r"^b, c: sample lhs needs ranges lo\.\.hi"):
        build(specs("a=0..1", "b=1,2", "c=0:1:3"), sample="lhs:8")
    with pytest.raises(UsageError, match=r"^b: sample sobol needs ranges lo\.\.hi"):
        build(specs("a=0..1", "b=1,2"), sample="sobol:8")


# --- Sobol (Saltelli) -----------------------------------------------------------------------


@pytest.mark.parametrize(("n", "d"), [(8, 1), (8, 2), (16, 3)])
def test_sobol_gives_n_times_d_plus_2_points_inside_the_ranges(n: int, d: int) -> None:
    ss = specs(*LHS_SPECS[:d])
    design = build(ss, sample=f"sobol:{n}", seed=5)
    assert design.method == "sobol"
    assert len(design.points) == n * (d + 2)
    assert design.sobol == {"n": n, "d": d}
    x = matrix(design.points, design.paths)
    for j, s in enumerate(ss):
        assert np.all((x[:, j] >= s.low) & (x[:, j] <= s.high))


def test_sobol_points_are_a_b_then_a_with_column_i_from_b() -> None:
    n, ss = 16, specs(*LHS_SPECS)
    design = build(ss, sample=f"sobol:{n}", seed=2)
    x = matrix(design.points, design.paths)
    a, b = x[:n], x[n:2 * n]
    assert not np.any(np.isclose(a, b)), "A and B should be independent samples"
    for i in range(len(ss)):
        ab = x[(2 + i) * n:(3 + i) * n]
        expected = a.copy()
        expected[:, i] = b[:, i]
        np.testing.assert_array_equal(ab, expected)


def test_sobol_is_reproducible_for_a_seed() -> None:
    ss = specs(*LHS_SPECS[:2])
    assert build(ss, sample="sobol:8", seed=9) == build(ss, sample="sobol:8", seed=9)
    assert build(ss, sample="sobol:8", seed=9).points != build(ss, sample="sobol:8",
                                                                seed=10).points


@pytest.mark.parametrize("n", [3, 6, 12, 100])
def test_sobol_n_not_a_power_of_two_is_refused(n: int) -> None:
    with pytest.raises(UsageError, match=rf"sobol:{n}: N must be a power of two"):
        build(specs("a=0..1", "b=0..1"), sample=f"sobol:{n}")


# --- assignments ----------------------------------------------------------------------------


def test_assignments_are_path_equals_yaml_flow_text() -> None:
    point = {"truce.beta": 1.5, "truce.breakdown.violations": 5, "actors.side_a.label": "Side A",
             "actors.side_a.violation_rate": {"uniform": [0.1, 0.2]}, "x": True}
    assert assignments(point) == [
        "truce.beta=1.5",
        "truce.breakdown.violations=5",
        "actors.side_a.label=Side A",
        "actors.side_a.violation_rate={uniform: [0.1, 0.2]}",
        "x=true",
    ]


def test_assignments_round_trip_through_parse_spec() -> None:
    point = {"a": 0.2, "b": 3, "c": {"triangular": [0.1, 0.2, 0.4]}, "d": "text"}
    for text, (path, value) in zip(assignments(point), point.items(), strict=True):
        assert parse_spec(text) == Spec(path, values=[value])
