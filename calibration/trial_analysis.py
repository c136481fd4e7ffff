"""Trial estimators, as the papers analysed their data: cluster-robust regressions and pre-post comparisons.

Each returns (estimate, low, high) on the outcome's scale with a 95% interval. Regressions use statsmodels' OLS with
standard errors clustered by school (the unit of allocation); a pre-post odds ratio uses a logistic regression of
the outcome on the period with standard errors clustered by pupil (each pupil is seen twice).
"""

from __future__ import annotations

import numpy as np
import statsmodels.api as sm
from actlocally.model.eef import months_of_progress

Z95 = 1.959963984540054


def _ols_effect(y: np.ndarray, columns: list[np.ndarray], cluster: np.ndarray) -> tuple[float, float, float]:
    """Coefficient of the first column (after the intercept) with a cluster-robust 95% interval."""
    x = sm.add_constant(np.column_stack(columns).astype(float), has_constant="add")
    fit = sm.OLS(np.asarray(y, float), x).fit(cov_type="cluster", cov_kwds={"groups": np.asarray(cluster)})
    b, se = float(fit.params[1]), float(fit.bse[1])
    return b, b - Z95 * se, b + Z95 * se


def difference_in_means(y: np.ndarray, treated: np.ndarray, cluster: np.ndarray) -> tuple[float, float, float]:
    """Treated minus control mean, with a 95% interval clustered by the unit of allocation."""
    return _ols_effect(y, [treated], cluster)


def ancova(y: np.ndarray, y0: np.ndarray, treated: np.ndarray, cluster: np.ndarray) -> tuple[float, float, float]:
    """Treatment coefficient adjusting for the pupil's value at the start (prior attainment), clustered."""
    return _ols_effect(y, [treated, y0], cluster)


def pre_post_difference(pre: np.ndarray, post: np.ndarray) -> tuple[float, float, float]:
    """Mean change from before to after in the same pupils, with a 95% t interval (normal for large n)."""
    d = np.asarray(post, float) - np.asarray(pre, float)
    m, se = float(d.mean()), float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else np.inf
    return m, m - Z95 * se, m + Z95 * se


def pre_post_odds_ratio(pre: np.ndarray, post: np.ndarray) -> tuple[float, float, float]:
    """Odds ratio of the binary outcome after vs before (logistic regression, clustered by pupil)."""
    pre, post = np.asarray(pre, float), np.asarray(post, float)
    y = np.r_[pre, post]
    if y.min() == y.max():  # no variation: the odds ratio is undefined
        return np.nan, np.nan, np.nan
    period = np.r_[np.zeros(pre.size), np.ones(post.size)]
    pupil = np.r_[np.arange(pre.size), np.arange(post.size)]
    fit = sm.Logit(y, sm.add_constant(period)).fit(disp=0, cov_type="cluster", cov_kwds={"groups": pupil})
    b, se = float(fit.params[1]), float(fit.bse[1])
    return float(np.exp(b)), float(np.exp(b - Z95 * se)), float(np.exp(b + Z95 * se))


def to_scale(estimate: float, scale: str, control_mean: float = np.nan) -> float:
    """An estimate on the analysis scale (SD, share, odds ratio) put on the outcome's reporting scale."""
    if scale == "months":
        return float(months_of_progress(estimate))
    if scale == "pp":
        return 100.0 * estimate
    if scale == "relative":
        return estimate / control_mean if control_mean else np.nan
    return float(estimate)  # sd, odds_ratio
