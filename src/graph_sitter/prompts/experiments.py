"""A/B experiments in plain Python: deterministic assignment by unit id and significance tests (math only).

Assignment: sha256(experiment id, unit id) gives a point in [0, 1); the variants, in a fixed order, split
[0, 1) in proportion to their weights, and the unit gets the variant whose slice holds its point. The same unit
always lands on the same variant, and proportions follow the weights.

Tests (two-sided): a two-proportion z-test with pooled variance for rates, Welch's unequal-variance t-test for
means. The normal CDF comes from math.erfc; Student's t CDF from the regularized incomplete beta function,
evaluated by its continued fraction (modified Lentz, as in Numerical Recipes' betacf).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Hashable, Literal, Sequence, TypeVar

MetricKind = Literal["rate", "mean"]
METRIC_KINDS: tuple[MetricKind, ...] = ("rate", "mean")
K = TypeVar("K", bound=Hashable)


# -- assignment ---------------------------------------------------------------------------------------------
def assignment_point(experiment_id: object, unit_id: str) -> float:
    """The unit's fixed point in [0, 1) for this experiment (first 64 bits of a sha256)."""
    digest = hashlib.sha256(f"{experiment_id}\x1f{unit_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def choose_variant(experiment_id: object, unit_id: str, weights: Sequence[tuple[K, float]]) -> K:
    """The variant key a unit falls into, given (key, weight) pairs in a fixed order; weight 0 is never chosen."""
    positive = [(key, float(w)) for key, w in weights if float(w) > 0]
    if not positive:
        raise ValueError("at least one variant needs a positive weight")
    point = assignment_point(experiment_id, unit_id) * sum(w for _, w in positive)
    edge = 0.0
    for key, weight in positive:
        edge += weight
        if point < edge:
            return key
    return positive[-1][0]  # float rounding at the very top of the range


# -- distributions ------------------------------------------------------------------------------------------
def normal_two_sided_p(z: float) -> float:
    """P(|Z| >= |z|) for a standard normal Z."""
    return math.erfc(abs(z) / math.sqrt(2.0))


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    # Convergence takes O(sqrt(max(a, b))) terms: enough for any realistic degrees of freedom.
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            return h
    raise ArithmeticError(f"incomplete beta did not converge for a={a}, b={b}, x={x}")


def regularized_incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b), the regularized incomplete beta function, for a, b > 0 and 0 <= x <= 1."""
    if not (a > 0 and b > 0) or not 0.0 <= x <= 1.0:
        raise ValueError(f"incomplete beta needs a, b > 0 and 0 <= x <= 1 (got a={a}, b={b}, x={x})")
    return _incomplete_beta(a, b, x, 1.0 - x)


def _incomplete_beta(a: float, b: float, x: float, y: float) -> float:
    """I_x(a, b) with y = 1 - x passed in exactly, so x within rounding of 1 keeps its precision."""
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    log_x = math.log1p(-y) if y < 0.5 else math.log(x)
    log_y = math.log1p(-x) if x < 0.5 else math.log(y)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * log_x + b * log_y)
    # The fraction converges fast only below the mean; above it use I_x(a, b) = 1 - I_{1-x}(b, a).
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(a, b, x) / a
    return 1.0 - front * _beta_continued_fraction(b, a, y) / b


def student_t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with `df` degrees of freedom (df may be fractional, as in Welch's test)."""
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    if math.isinf(t):
        return 0.0
    t2 = t * t
    return _incomplete_beta(df / 2.0, 0.5, df / (df + t2), t2 / (df + t2))


# -- tests --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TestResult:
    """A two-sided test of group a against group b: the statistic is positive when a is higher."""

    test: Literal["two-proportion z", "welch t"]
    statistic: float
    p_value: float
    difference: float          # estimate of a minus b (rate or mean)
    df: float | None = None    # Welch's degrees of freedom

    __test__ = False  # not a pytest class, despite the name


def two_proportion_z_test(successes_a: int, n_a: int, successes_b: int, n_b: int) -> TestResult:
    """Two-proportion z-test with the pooled proportion: is the rate in a different from the rate in b?"""
    if n_a <= 0 or n_b <= 0:
        raise ValueError("both groups need at least one unit")
    if not (0 <= successes_a <= n_a and 0 <= successes_b <= n_b):
        raise ValueError("successes must lie between 0 and the group size")
    p_a, p_b = successes_a / n_a, successes_b / n_b
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_a + 1.0 / n_b))
    if se == 0.0:  # every unit converted, or none did: no evidence of any difference
        return TestResult("two-proportion z", 0.0, 1.0, p_a - p_b)
    z = (p_a - p_b) / se
    return TestResult("two-proportion z", z, normal_two_sided_p(z), p_a - p_b)


def welch_t_test_from_stats(mean_a: float, var_a: float, n_a: int, mean_b: float, var_b: float, n_b: int) -> TestResult:
    """Welch's t-test from each group's mean, sample variance (ddof 1) and size."""
    if n_a < 2 or n_b < 2:
        raise ValueError("Welch's t-test needs at least two observations per group")
    va, vb = var_a / n_a, var_b / n_b
    se2 = va + vb
    diff = mean_a - mean_b
    if se2 == 0.0:  # both groups constant: equal means show nothing, different ones differ for sure
        return TestResult("welch t", 0.0 if diff == 0 else math.copysign(math.inf, diff),
                          1.0 if diff == 0 else 0.0, diff, float(n_a + n_b - 2))
    t = diff / math.sqrt(se2)
    df = se2 * se2 / (va * va / (n_a - 1) + vb * vb / (n_b - 1))
    return TestResult("welch t", t, student_t_two_sided_p(t, df), diff, df)


def welch_t_test(a: Sequence[float], b: Sequence[float]) -> TestResult:
    """Welch's t-test on two samples (same statistic as scipy.stats.ttest_ind(a, b, equal_var=False))."""
    return welch_t_test_from_stats(_mean(a), _variance(a), len(a), _mean(b), _variance(b), len(b))


def _mean(xs: Sequence[float]) -> float:
    return math.fsum(xs) / len(xs) if xs else math.nan


def _variance(xs: Sequence[float]) -> float:
    if len(xs) < 2:
        return math.nan
    m = _mean(xs)
    return math.fsum((x - m) ** 2 for x in xs) / (len(xs) - 1)


# -- reports ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupStats:
    """One variant's numbers for one metric: a rate (successes over assigned units) or a per-unit mean."""

    variant: str
    version_number: int
    is_control: bool
    assigned: int
    n: int                      # units in the denominator: assigned units for rates, observed units for means
    successes: int | None       # rates only
    mean: float | None          # the rate itself for rates
    variance: float | None      # means only (sample variance over units)


@dataclass(frozen=True)
class Comparison:
    """A variant against the control on one metric."""

    metric: str
    kind: MetricKind
    variant: str
    control: str
    result: TestResult | None   # None when a group is too small to test
    relative_lift: float | None
    significant: bool
    note: str = ""


@dataclass
class ExperimentReport:
    """Per-metric group statistics and the tests of every variant against the control."""

    experiment: str
    status: str
    alpha: float
    primary_metric: str
    groups: dict[str, list[GroupStats]] = field(default_factory=dict)
    comparisons: list[Comparison] = field(default_factory=list)


def compare(metric: str, kind: MetricKind, treatment: GroupStats, control: GroupStats, alpha: float) -> Comparison:
    """Test one variant against the control: z-test for a rate, Welch's t-test for a mean."""
    result: TestResult | None = None
    note = ""
    if kind == "rate":
        if treatment.n > 0 and control.n > 0:
            result = two_proportion_z_test(treatment.successes or 0, treatment.n, control.successes or 0, control.n)
        else:
            note = "no assigned units"
    elif treatment.n >= 2 and control.n >= 2:
        result = welch_t_test_from_stats(treatment.mean or 0.0, treatment.variance or 0.0, treatment.n,
                                         control.mean or 0.0, control.variance or 0.0, control.n)
    else:
        note = "needs at least two observed units per variant"
    lift = None
    if result is not None and control.mean:
        lift = result.difference / control.mean
    return Comparison(metric, kind, treatment.variant, control.variant, result, lift,
                      result is not None and result.p_value < alpha, note)
