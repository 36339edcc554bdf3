"""The numbers of a de-identification review (S21): pure functions, no I/O.

- :func:`zero_finding_sample_size`: how many items must show no PHI to bound the PHI rate below
  a target at a confidence (the "rule of three" made exact);
- :func:`clopper_pearson_upper`: the exact one-sided upper bound of a rate from k of n;
- :func:`agreement`: raw agreement, Cohen's κ and Gwet's AC1 of two readers;
- :func:`detection_rate`: the share of consensus-confirmed PHI items a reader flagged;
- :func:`figures_by_stratum`: k of n and the 95 % / 99 % upper bounds per stratum and overall.

Formulas and the meaning of each number: ``docs/review.md`` (section "Numbers").
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cxrkit.errors import ConfigError

#: The confidences the summary reports an upper bound at.
CONFIDENCES = (0.95, 0.99)
#: The name of the row of :func:`figures_by_stratum` that pools every stratum.
ALL = "all"
_BISECTIONS = 200


def _check_share(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ConfigError(f"{name} must be between 0 and 1 (exclusive), got {value!r}")


def zero_bound(n: int, confidence: float) -> float:
    """The upper bound of the rate when none of ``n`` items is positive: 1 − (1 − c)^(1/n).

    Examples
    --------
    >>> round(zero_bound(2995, 0.95), 7), round(zero_bound(2994, 0.95), 7)
    (0.0009997, 0.0010001)
    """
    return 1.0 if n <= 0 else 1.0 - (1.0 - confidence) ** (1.0 / n)


def zero_finding_sample_size(rate: float, confidence: float) -> int:
    """The smallest n such that 0 positives in n bound the rate at or below ``rate``.

    Solves 1 − (1 − c)^(1/n) ≤ rate, i.e. n ≥ ln(1 − c) / ln(1 − rate), and checks the
    neighbours so floating-point rounding cannot move the answer by one.

    Examples
    --------
    >>> zero_finding_sample_size(0.001, 0.95)
    2995
    >>> zero_finding_sample_size(0.01, 0.95), zero_finding_sample_size(0.001, 0.99)
    (299, 4603)
    """
    _check_share("rate", rate)
    _check_share("confidence", confidence)
    n = max(1, math.ceil(math.log1p(-confidence) / math.log1p(-rate)))
    while n > 1 and zero_bound(n - 1, confidence) <= rate:
        n -= 1
    while zero_bound(n, confidence) > rate:
        n += 1
    return n


def _binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X ≤ k) for X ~ Binomial(n, p), 0 < p < 1, summed in log space."""
    log_p, log_q = math.log(p), math.log1p(-p)
    base = math.lgamma(n + 1)
    terms = (
        math.exp(base - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q)
        for i in range(k + 1)
    )
    return math.fsum(terms)


def clopper_pearson_upper(k: int, n: int, confidence: float) -> float:
    """The exact (Clopper–Pearson) one-sided upper confidence bound of a rate seen k in n.

    The bound is the p at which P(X ≤ k | n, p) = 1 − c (the c quantile of Beta(k + 1, n − k));
    for k = 0 it is 1 − (1 − c)^(1/n), for k = n (and for n = 0, no information) it is 1. It is
    found by bisection on the binomial distribution function, to within 1e-15.

    Examples
    --------
    >>> round(clopper_pearson_upper(0, 6900, 0.95), 6)
    0.000434
    >>> round(clopper_pearson_upper(1, 10, 0.95), 4)
    0.3942
    """
    _check_share("confidence", confidence)
    if n < 0 or not 0 <= k <= n:
        raise ConfigError(f"need 0 <= k <= n, got k={k}, n={n}")
    if k == n:
        return 1.0
    if k == 0:
        return zero_bound(n, confidence)
    alpha = 1.0 - confidence
    low, high = k / n, 1.0
    for _ in range(_BISECTIONS):
        mid = (low + high) / 2
        if _binomial_cdf(k, n, mid) > alpha:
            low = mid
        else:
            high = mid
        if high - low < 1e-15:
            break
    return high


@dataclass(frozen=True)
class Agreement:
    """Two readers' agreement over ``n`` items decided by both.

    ``raw`` is the share of items with the same decision, ``kappa`` Cohen's κ and ``ac1``
    Gwet's AC1. With no item (n = 0) all three are NaN (undefined). κ is 1.0 when agreement is
    perfect, also when both readers used one and the same category throughout (where its
    formula is 0/0); AC1 is then 1.0 as well (see :func:`agreement`).
    """

    n: int
    raw: float
    kappa: float
    ac1: float


def agreement(
    pairs: Sequence[tuple[str, str]], *, categories: Sequence[str] | None = None
) -> Agreement:
    """Raw agreement, Cohen's κ and Gwet's AC1 of two readers' categorical decisions.

    ``pairs`` holds one (first reader, second reader) decision per item, categories as
    strings ("no-phi", "phi", "unsure"; or label values "1", "0", "-1", ""). With p_o the
    share of agreements, a_k and b_k the shares of items each reader put in category k, and
    π_k = (a_k + b_k) / 2:

    - κ = (p_o − p_e) / (1 − p_e) with p_e = Σ a_k b_k;
    - AC1 = (p_o − p_e) / (1 − p_e) with p_e = Σ π_k (1 − π_k) / (q − 1), q the number of
      categories: those present in the data, or ``categories`` (the scale) when given.

    Degenerate cases, defined so that nothing is divided by zero: p_e = 1 for κ happens only
    when both readers used one and the same category for every item, so p_o = 1: κ = 1. With
    q = 1, AC1's chance agreement is taken as 0 (every π_k (1 − π_k) is 0): AC1 = p_o = 1.
    With no pairs every value is NaN.

    Examples
    --------
    >>> a = agreement([("phi", "phi"), ("no-phi", "no-phi"), ("no-phi", "phi"), ("no-phi",) * 2])
    >>> a.n, a.raw, round(a.kappa, 4), round(a.ac1, 4)
    (4, 0.75, 0.5, 0.5294)
    >>> agreement([("no-phi", "no-phi")] * 3)
    Agreement(n=3, raw=1.0, kappa=1.0, ac1=1.0)
    """
    n = len(pairs)
    if n == 0:
        return Agreement(0, math.nan, math.nan, math.nan)
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    scale = set(first) | set(second) | set(categories or ())
    raw = sum(a == b for a, b in pairs) / n
    pe_kappa = sum(first[c] * second[c] for c in scale) / n**2
    kappa = 1.0 if raw == 1.0 else (raw - pe_kappa) / (1.0 - pe_kappa)
    q = len(scale)
    shares = [(first[c] + second[c]) / (2 * n) for c in scale]
    pe_ac1 = 0.0 if q < 2 else math.fsum(p * (1 - p) for p in shares) / (q - 1)
    ac1 = (raw - pe_ac1) / (1.0 - pe_ac1)
    return Agreement(n, raw, kappa, ac1)


def detection_rate(reader: Mapping[str, bool], truth: Mapping[str, bool]) -> float | None:
    """The share of the items consensus confirmed as PHI that this reader flagged.

    ``reader`` maps item ids to whether the reader said PHI (an item the reader did not decide
    counts as not flagged); ``truth`` maps item ids to consensus (True: PHI confirmed). None
    when consensus confirmed no item (the rate is undefined, not 0 or 1).

    Examples
    --------
    >>> detection_rate({"a": True, "b": False}, {"a": True, "b": True, "c": False})
    0.5
    >>> detection_rate({"a": True}, {"a": False}) is None
    True
    """
    confirmed = [item for item, phi in truth.items() if phi]
    if not confirmed:
        return None
    return sum(reader.get(item, False) for item in confirmed) / len(confirmed)


@dataclass(frozen=True)
class StratumFigures:
    """Confirmed PHI in one stratum: k of n and the exact one-sided upper bounds of the rate."""

    stratum: str
    n: int
    confirmed: int
    upper95: float
    upper99: float


def _figures(stratum: str, n: int, confirmed: int) -> StratumFigures:
    upper95, upper99 = (clopper_pearson_upper(confirmed, n, c) for c in CONFIDENCES)
    return StratumFigures(stratum, n, confirmed, upper95, upper99)


def figures_by_stratum(items: Mapping[str, str], confirmed: set[str]) -> list[StratumFigures]:
    """k of n and the 95 % / 99 % upper bounds for every stratum, sorted, then the "all" row.

    ``items`` maps every reviewed item id to its stratum; ``confirmed`` holds the ids
    consensus confirmed as PHI (ids not in ``items`` are ignored).

    Examples
    --------
    >>> rows = figures_by_stratum({"a": "PA", "b": "PA", "c": "LATERAL"}, {"a"})
    >>> [(r.stratum, r.n, r.confirmed) for r in rows]
    [('LATERAL', 1, 0), ('PA', 2, 1), ('all', 3, 1)]
    """
    sizes = Counter(items.values())
    hits = Counter(stratum for item, stratum in items.items() if item in confirmed)
    rows = [_figures(s, sizes[s], hits[s]) for s in sorted(sizes)]
    rows.append(_figures(ALL, len(items), sum(hits.values())))
    return rows
