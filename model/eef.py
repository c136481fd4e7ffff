"""The EEF Toolkit's conversion of effect sizes to months of progress (FACTS §4 [E1])."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

# Upper effect size of each whole month band 0..12 (FACTS §4 [E1]); negative effects are symmetric.
_BAND_UPPER = np.array([0.01, 0.09, 0.18, 0.26, 0.35, 0.44, 0.52, 0.61, 0.69, 0.78, 0.87, 0.95, 1.00])
_BAND_MID = np.r_[0.0, 0.5 * (_BAND_UPPER[:-1] + _BAND_UPPER[1:])]


def months_band(effect_size: float) -> int:
    """Whole months as the Toolkit reports them (band lookup)."""
    m = int(np.searchsorted(_BAND_UPPER, abs(effect_size), side="left"))
    m = min(m, 12) if abs(effect_size) <= 1.0 else int(round(12 * abs(effect_size)))
    return int(np.sign(effect_size)) * m


def months_of_progress(effect_size: ArrayLike) -> np.ndarray:
    """Continuous months: linear between band mid-points (for averaging across runs); 12 per unit beyond 1."""
    es = np.asarray(effect_size, dtype=float)
    a = np.abs(es)
    months = np.where(a <= _BAND_MID[-1], np.interp(a, _BAND_MID, np.arange(13.0)), 12.0 * a / _BAND_MID[-1])
    return np.sign(es) * months


# The Toolkit's words for each whole-month band (FACTS §4 [E1]: EEF "About the Toolkits: attainment").
_BAND_WORDS = ((0, "very low or no impact"), (2, "low impact"), (5, "moderate impact"), (8, "high impact"))


def impact_words(months: float) -> str:
    """The EEF Toolkit's description of a months-of-progress figure (band of its rounded size; sign ignored)."""
    whole = int(round(abs(float(months))))
    return next((words for upper, words in _BAND_WORDS if whole <= upper), "very high impact")
