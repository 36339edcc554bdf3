"""The review's numbers against values worked out by hand and published examples."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxrkit.errors import ConfigError
from cxrkit.review.stats import (
    Agreement,
    agreement,
    clopper_pearson_upper,
    detection_rate,
    figures_by_stratum,
    zero_bound,
    zero_finding_sample_size,
)


def _pairs(table: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
    """The item-level pairs of a two-reader contingency table."""
    return [pair for pair, count in table.items() for _ in range(count)]


# --- sample size for a zero-finding bound ---------------------------------------------------


def test_the_issue_example_2995_images_bound_the_rate_below_0_1_percent_at_95() -> None:
    # n >= ln(0.05) / ln(0.999) = -2.995732 / -0.0010005 = 2994.23 -> 2995
    assert zero_finding_sample_size(0.001, 0.95) == 2995
    assert zero_bound(2995, 0.95) <= 0.001 < zero_bound(2994, 0.95)


@pytest.mark.parametrize(
    ("rate", "confidence", "n"),
    [
        # ln(0.05) / ln(0.99) = 298.07 -> 299 (the "rule of three" says 300)
        (0.01, 0.95, 299),
        # ln(0.01) / ln(0.999) = -4.605170 / -0.0010005 = 4602.87 -> 4603
        (0.001, 0.99, 4603),
        # ln(0.05) / ln(0.9995) = -2.995732 / -0.00050013 = 5989.97 -> 5990
        (0.0005, 0.95, 5990),
        # ln(0.5) / ln(0.5) = 1 exactly: one clean item bounds the rate at 50 % with 50 %
        (0.5, 0.5, 1),
    ],
)
def test_sample_sizes_worked_by_hand(rate: float, confidence: float, n: int) -> None:
    assert zero_finding_sample_size(rate, confidence) == n
    assert zero_bound(n, confidence) <= rate
    assert n == 1 or zero_bound(n - 1, confidence) > rate


@given(st.floats(1e-5, 0.5), st.floats(0.5, 0.999))
def test_the_sample_size_is_the_smallest_that_bounds_the_rate(rate: float, conf: float) -> None:
    n = zero_finding_sample_size(rate, conf)
    assert zero_bound(n, conf) <= rate
    assert n == 1 or zero_bound(n - 1, conf) > rate


@pytest.mark.parametrize(("rate", "confidence"), [(0, 0.95), (1, 0.95), (0.01, 1.0), (0.01, 0)])
def test_shares_outside_0_1_are_refused(rate: float, confidence: float) -> None:
    with pytest.raises(ConfigError):
        zero_finding_sample_size(rate, confidence)


# --- Clopper-Pearson -----------------------------------------------------------------------


def test_zero_of_6900_gives_the_issue_bound() -> None:
    # 1 - 0.05 ** (1 / 6900) = 1 - exp(ln(0.05) / 6900) = 1 - exp(-0.00043416) = 0.00043407
    assert clopper_pearson_upper(0, 6900, 0.95) == pytest.approx(0.00043407, abs=1e-8)
    # at 99 %: 1 - exp(ln(0.01) / 6900) = 1 - exp(-0.00066742) = 0.00066719
    assert clopper_pearson_upper(0, 6900, 0.99) == pytest.approx(0.00066719, abs=1e-8)


def test_one_of_two_solves_the_binomial_by_hand() -> None:
    # P(X <= 1 | n=2, p) = 1 - p^2 = 1 - c  =>  p = sqrt(c)
    assert clopper_pearson_upper(1, 2, 0.95) == pytest.approx(math.sqrt(0.95), abs=1e-12)
    assert clopper_pearson_upper(1, 2, 0.99) == pytest.approx(math.sqrt(0.99), abs=1e-12)


def test_one_of_ten_matches_the_beta_quantile() -> None:
    # The 95 % quantile of Beta(2, 9), as tables of the exact binomial bound give it: 0.3942;
    # at that p, (1-p)^10 + 10 p (1-p)^9 = 0.05.
    p = clopper_pearson_upper(1, 10, 0.95)
    assert p == pytest.approx(0.39416, abs=1e-5)
    assert (1 - p) ** 10 + 10 * p * (1 - p) ** 9 == pytest.approx(0.05, abs=1e-12)


def test_the_bound_agrees_with_an_independent_incomplete_beta() -> None:
    mpmath = pytest.importorskip("mpmath")
    for k, n, c in [(3, 6900, 0.99), (50, 100, 0.95), (7, 180, 0.95), (179, 180, 0.99)]:
        expected = mpmath.findroot(
            lambda p, k=k, n=n, c=c: mpmath.betainc(k + 1, n - k, 0, p, regularized=True) - c,
            (1e-12, 1 - 1e-12),
            solver="bisect",
        )
        assert clopper_pearson_upper(k, n, c) == pytest.approx(float(expected), rel=1e-9)


def test_edges_of_the_bound() -> None:
    assert clopper_pearson_upper(5, 5, 0.95) == 1.0
    assert clopper_pearson_upper(0, 0, 0.95) == 1.0  # nothing read: nothing known
    with pytest.raises(ConfigError):
        clopper_pearson_upper(3, 2, 0.95)
    with pytest.raises(ConfigError):
        clopper_pearson_upper(-1, 2, 0.95)


@given(st.integers(1, 400), st.data())
def test_the_bound_grows_with_k_and_lies_above_k_over_n(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, n - 1))
    upper = clopper_pearson_upper(k, n, 0.95)
    assert k / n < upper <= clopper_pearson_upper(k + 1, n, 0.95)
    assert upper <= clopper_pearson_upper(k, n, 0.99)


# --- agreement -----------------------------------------------------------------------------


def test_kappa_and_ac1_of_the_textbook_two_by_two() -> None:
    # The usual worked example of Cohen's kappa: 50 items, yes/yes 20, yes/no 5, no/yes 10,
    # no/no 15. p_o = 35/50 = 0.7; reader A said yes 25/50, reader B 30/50;
    # p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.5; kappa = (0.7 - 0.5) / 0.5 = 0.4.
    # AC1: pi_yes = (25 + 30) / 100 = 0.55, pi_no = 0.45; p_e = 2 * 0.55 * 0.45 / (2 - 1)
    # = 0.495; AC1 = (0.7 - 0.495) / 0.505 = 0.405941.
    table = {("yes", "yes"): 20, ("yes", "no"): 5, ("no", "yes"): 10, ("no", "no"): 15}
    result = agreement(_pairs(table))
    assert result.n == 50
    assert result.raw == pytest.approx(0.7)
    assert result.kappa == pytest.approx(0.4)
    assert result.ac1 == pytest.approx(0.205 / 0.505)


def test_ac1_of_a_published_three_category_table() -> None:
    # 23 syllabi scored 3/4/5 by two raters, AgreeStat's Gwet AC1 = 0.675 (published with
    # the table). Rows reader 1, columns reader 2: 4 -> (1, 2, 1), 5 -> (4, 0, 15).
    # p_o = 17/23 = 0.739130; pi_3 = 5/46, pi_4 = 6/46, pi_5 = 35/46;
    # sum pi(1 - pi) = 0.096881 + 0.113422 + 0.181947 = 0.392250; p_e = 0.392250 / 2 = 0.196125;
    # AC1 = (0.739130 - 0.196125) / 0.803875 = 0.675.
    # kappa: A = (0, 4, 19)/23, B = (5, 2, 16)/23; p_e = (0 + 8 + 304) / 529 = 0.589792;
    # kappa = (0.739130 - 0.589792) / 0.410208 = 0.364055.
    table = {("4", "3"): 1, ("4", "4"): 2, ("4", "5"): 1, ("5", "3"): 4, ("5", "5"): 15}
    result = agreement(_pairs(table))
    assert result.raw == pytest.approx(17 / 23)
    assert round(result.ac1, 3) == 0.675
    assert result.kappa == pytest.approx((17 / 23 - 312 / 529) / (1 - 312 / 529))
    assert round(result.kappa, 4) == 0.3641


def test_the_kappa_paradox_of_a_review_where_nearly_everything_is_clean() -> None:
    # 100 images: both readers "no-phi" on 97, one "unsure" each on different images, one
    # both "phi". p_o = 98/100. Each reader: no-phi 98, phi 1, unsure 1... reader A: no-phi
    # 98, unsure 1, phi 1; reader B the same counts. p_e(kappa) = 0.98^2 + 0.01^2 + 0.01^2
    # = 0.9606; kappa = (0.98 - 0.9606) / 0.0394 = 0.492386.
    # AC1: pi = (0.98, 0.01, 0.01); sum pi(1-pi) = 0.0196 + 0.0099 + 0.0099 = 0.0394;
    # p_e = 0.0394 / 2 = 0.0197; AC1 = (0.98 - 0.0197) / 0.9803 = 0.979904.
    pairs = [("no-phi", "no-phi")] * 97 + [("unsure", "no-phi"), ("no-phi", "unsure")]
    pairs.append(("phi", "phi"))
    result = agreement(pairs)
    assert result.raw == pytest.approx(0.98)
    assert result.kappa == pytest.approx(0.0194 / 0.0394)
    assert result.ac1 == pytest.approx(0.9603 / 0.9803)


def test_label_values_blank_included_are_categories() -> None:
    # "1","1" / "0","0" / "-1","" / "","" : p_o = 3/4; A: 1,0,-1,"" ; B: 1,0,"","" ;
    # p_e = (1*1 + 1*1 + 1*0 + 1*2) / 16 = 0.25; kappa = (0.75 - 0.25) / 0.75 = 2/3.
    # pi: 1 -> 2/8, 0 -> 2/8, -1 -> 1/8, "" -> 3/8; q = 4;
    # sum pi(1-pi) = 12/64 + 12/64 + 7/64 + 15/64 = 46/64; p_e = 46/192; AC1 = (3/4 - 46/192)
    # / (1 - 46/192) = (98/192) / (146/192) = 98/146.
    result = agreement([("1", "1"), ("0", "0"), ("-1", ""), ("", "")])
    assert result.kappa == pytest.approx(2 / 3)
    assert result.ac1 == pytest.approx(98 / 146)


def test_degenerate_agreements_are_defined() -> None:
    assert agreement([("no-phi", "no-phi")] * 5) == Agreement(5, 1.0, 1.0, 1.0)
    empty = agreement([])
    assert empty.n == 0 and all(math.isnan(v) for v in (empty.raw, empty.kappa, empty.ac1))
    # total disagreement on two categories: p_o = 0, p_e = 0.5 for both: -1 and -1
    assert agreement([("a", "b"), ("b", "a")]) == Agreement(2, 0.0, -1.0, -1.0)
    # one category, but the scale has three: AC1 p_e = 0 (q = 3, pi(1 - pi) = 0): AC1 = 1
    assert agreement([("x", "x")], categories=("x", "y", "z")).ac1 == 1.0


def test_the_scale_changes_only_ac1() -> None:
    # two of three categories used: q = 2 from the data, 3 from the scale.
    # pairs: (a,a), (a,b): p_o = 1/2; pi_a = 3/4, pi_b = 1/4; sum pi(1-pi) = 3/8;
    # q = 2: p_e = 3/8, AC1 = (1/2 - 3/8) / (5/8) = 1/5; q = 3: p_e = 3/16, AC1 = (5/16)/(13/16)
    pairs = [("a", "a"), ("a", "b")]
    assert agreement(pairs).ac1 == pytest.approx(0.2)
    with_scale = agreement(pairs, categories=("a", "b", "c"))
    assert with_scale.ac1 == pytest.approx(5 / 13)
    assert with_scale.kappa == agreement(pairs).kappa


@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abc")), min_size=1))
def test_agreement_is_symmetric_finite_and_at_most_one(pairs: list[tuple[str, str]]) -> None:
    result = agreement(pairs)
    swapped = agreement([(b, a) for a, b in pairs])
    values = zip(
        (result.raw, result.kappa, result.ac1),
        (swapped.raw, swapped.kappa, swapped.ac1),
        strict=True,
    )
    for value, other in values:
        assert math.isfinite(value) and value <= 1.0 + 1e-12
        assert value == pytest.approx(other)


# --- detection rate and strata -------------------------------------------------------------


def test_detection_rate_against_consensus() -> None:
    truth = {"a": True, "b": True, "c": True, "d": False}
    assert detection_rate({"a": True, "b": True, "c": False, "d": True}, truth) == pytest.approx(
        2 / 3
    )
    assert detection_rate({}, truth) == 0.0  # an item the reader never decided is a miss
    assert detection_rate({"d": True}, {"d": False}) is None


def test_figures_by_stratum_with_an_all_row() -> None:
    items = {f"i{n}": ("ACME / X1 / PA" if n < 4 else "unknown / unknown / AP") for n in range(6)}
    rows = figures_by_stratum(items, {"i0", "elsewhere"})
    assert [(r.stratum, r.n, r.confirmed) for r in rows] == [
        ("ACME / X1 / PA", 4, 1),
        ("unknown / unknown / AP", 2, 0),
        ("all", 6, 1),
    ]
    # 0 of 2: 1 - 0.05 ** (1/2) = 1 - 0.223607 = 0.776393
    assert rows[1].upper95 == pytest.approx(1 - math.sqrt(0.05))
    assert rows[1].upper99 == pytest.approx(1 - math.sqrt(0.01))
    assert figures_by_stratum({}, set())[0].n == 0
