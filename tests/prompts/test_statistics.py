"""A/B statistics and assignment without a database: the tests agree with scipy, assignment is deterministic."""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter

import pytest
import scipy.special
import scipy.stats

from graph_sitter.prompts.experiments import (
    assignment_point,
    choose_variant,
    regularized_incomplete_beta,
    student_t_two_sided_p,
    two_proportion_z_test,
    welch_t_test,
    welch_t_test_from_stats,
)


def _scipy_z_test(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    z = (p1 - p2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return z, 2 * scipy.stats.norm.sf(abs(z))


@pytest.mark.parametrize("x1,n1,x2,n2", [
    (120, 1000, 150, 1000),
    (45, 500, 30, 480),
    (1, 20, 7, 25),
    (5210, 50_000, 5400, 50_500),
    (300, 310, 250, 300),
    (0, 40, 6, 40),
])
def test_two_proportion_z_test_matches_scipy(x1: int, n1: int, x2: int, n2: int) -> None:
    ours = two_proportion_z_test(x1, n1, x2, n2)
    z, p = _scipy_z_test(x1, n1, x2, n2)
    assert ours.statistic == pytest.approx(z, abs=1e-6)
    assert ours.p_value == pytest.approx(p, abs=1e-6, rel=1e-6)
    assert ours.difference == pytest.approx(x1 / n1 - x2 / n2)


def test_z_test_without_variation_shows_no_difference() -> None:
    assert two_proportion_z_test(0, 50, 0, 60).p_value == 1.0
    assert two_proportion_z_test(50, 50, 60, 60).p_value == 1.0
    with pytest.raises(ValueError):
        two_proportion_z_test(1, 0, 1, 5)


_SAMPLES = [
    ([1.0, 2.0, 3.0], [4.0, 6.5]),
    ([19.2, 21.5, 20.1, 18.7, 22.3], [25.0, 24.1, 27.9, 23.3, 26.6, 30.2, 22.8]),
    ([0.5, 0.5, 0.7, 0.6], [0.5, 0.5, 0.5, 0.9, 0.2, 0.1]),
]


def _random_samples(seed: int, n1: int, n2: int, shift: float, scale2: float) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    return [rng.gauss(10, 2) for _ in range(n1)], [rng.gauss(10 + shift, 2 * scale2) for _ in range(n2)]


@pytest.mark.parametrize("a,b", _SAMPLES + [
    _random_samples(1, 12, 30, 0.8, 3.0),
    _random_samples(2, 200, 150, 0.1, 0.5),
    _random_samples(3, 5000, 4000, 0.05, 1.3),
    _random_samples(4, 2, 40, 5.0, 1.0),
    _random_samples(5, 60, 60, 2.5, 1.0),   # a tiny p-value
])
def test_welch_t_test_matches_scipy(a: list[float], b: list[float]) -> None:
    expected = scipy.stats.ttest_ind(a, b, equal_var=False)
    ours = welch_t_test(a, b)
    assert ours.statistic == pytest.approx(float(expected.statistic), abs=1e-6)
    assert ours.p_value == pytest.approx(float(expected.pvalue), abs=1e-6, rel=1e-6)
    assert ours.df == pytest.approx(float(expected.df), rel=1e-9)


def test_welch_from_summary_statistics_equals_welch_on_samples() -> None:
    a, b = _random_samples(7, 25, 33, 0.9, 1.7)
    direct = welch_t_test(a, b)
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    var_a = sum((x - mean_a) ** 2 for x in a) / (len(a) - 1)
    var_b = sum((x - mean_b) ** 2 for x in b) / (len(b) - 1)
    summary = welch_t_test_from_stats(mean_a, var_a, len(a), mean_b, var_b, len(b))
    assert summary.statistic == pytest.approx(direct.statistic, abs=1e-12)
    assert summary.p_value == pytest.approx(direct.p_value, abs=1e-12)


def test_welch_edge_cases() -> None:
    assert welch_t_test([2.0, 2.0], [2.0, 2.0]).p_value == 1.0
    assert welch_t_test([1.0, 1.0], [2.0, 2.0]).p_value == 0.0
    with pytest.raises(ValueError):
        welch_t_test([1.0], [1.0, 2.0])


@pytest.mark.parametrize("t,df", [(0.0, 3), (0.1, 1), (1.96, 1e4), (2.5, 0.5), (5.0, 1), (40.0, 3.5), (3.1, 7.25),
                                  (8.0, 1e5), (1e-9, 50), (0.7, 123.4)])
def test_student_t_matches_scipy(t: float, df: float) -> None:
    assert student_t_two_sided_p(t, df) == pytest.approx(2 * scipy.stats.t.sf(t, df), abs=1e-9, rel=1e-7)


@pytest.mark.parametrize("a,b,x", [(0.5, 0.5, 0.3), (2, 3, 0.9), (10, 0.5, 0.999), (100, 200, 0.33), (0.1, 8, 1e-4),
                                   (5000, 0.5, 0.9995), (1, 1, 0.25)])
def test_incomplete_beta_matches_scipy(a: float, b: float, x: float) -> None:
    assert regularized_incomplete_beta(a, b, x) == pytest.approx(float(scipy.special.betainc(a, b, x)), abs=1e-10)


def test_assignment_is_deterministic_and_follows_the_weights() -> None:
    experiment = uuid.uuid4()
    weights = [("a", 1.0), ("b", 3.0), ("off", 0.0)]
    first = [choose_variant(experiment, f"user-{i}", weights) for i in range(10_000)]
    again = [choose_variant(experiment, f"user-{i}", weights) for i in range(10_000)]
    assert first == again
    counts = Counter(first)
    assert counts["off"] == 0
    assert abs(counts["a"] / 10_000 - 0.25) < 0.02  # sd is 0.0043: 0.02 is more than four of them
    assert abs(counts["b"] / 10_000 - 0.75) < 0.02


def test_assignment_depends_on_the_experiment() -> None:
    units = [f"u{i}" for i in range(200)]
    one, two = uuid.uuid4(), uuid.uuid4()
    pick = [("x", 1.0), ("y", 1.0)]
    assert [choose_variant(one, u, pick) for u in units] != [choose_variant(two, u, pick) for u in units]
    assert 0.0 <= assignment_point(one, "u1") < 1.0
    with pytest.raises(ValueError):
        choose_variant(one, "u1", [("x", 0.0)])
