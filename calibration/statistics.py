"""What the model can be compared with: summary statistics of a finished run, by the names targets use.

Each statistic is computed from the model at the end of a one-year run (the academic year the targets describe).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from actlocally.model.results import GROUPS

GROUP = {g: i for i, g in enumerate(GROUPS)}  # row of each group in the recorder's tables


def _year(var: str, group: str) -> Callable:
    return lambda m: float(m.recorder.yg[var][-1, GROUP[group]])


def _ks2(disadvantaged: bool) -> Callable:
    """Share of Year 6 pupils (disadvantaged or not) at the expected standard at the end of the year."""
    def stat(m) -> float:
        from actlocally.model.starting_attainment import assessed_z
        c = m.children
        sel = (c.year_group == 6) & (c.fsm == disadvantaged)
        met = assessed_z(m)[sel] >= m.recorder.thresholds[6]
        return float(met.mean()) if sel.any() else np.nan
    return stat


# KS2 absence bands of DfE 2018/19 (FACTS §11 [V1]): share of sessions missed over Years 3-6, [lo, hi).
KS2_ABSENCE_BANDS = {"0": (0.0, 0.0), "0_1": (0.0, 0.01), "1_2": (0.01, 0.02)}


def ks2_by_absence(m) -> dict[str, float]:
    """KS2 expected-standard share (measured score) of Year 6 pupils by absence over KS2, and for all of them.

    The KS2 record is the synthesised prior KS2 years (model/starting_attainment.py, `prior_ks2_record`) plus the
    simulated years: a one-year run needs no burn-in, and a longer run replaces synthesised years by simulated ones.
    """
    from actlocally.model.starting_attainment import assessed_z, ks2_sessions
    c = m.children
    y6 = c.year_group == 6
    possible, attended = ks2_sessions(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        absence = np.where(possible > 0, (possible - attended) / np.maximum(possible, 1), np.nan)
    met = assessed_z(m) >= m.recorder.thresholds[6]
    out = {"all": float(met[y6].mean()) if y6.any() else np.nan}
    for name, (lo, hi) in KS2_ABSENCE_BANDS.items():
        band = y6 & ((absence == 0.0) if hi == 0.0 else ((absence > lo) & (absence < hi)) if lo == 0.0
                     else ((absence >= lo) & (absence < hi)))
        out[name] = float(met[band].mean()) if band.any() else np.nan
    return out


def _ks2_band_gap(band: str) -> Callable:
    """KS2 share of a KS2 absence band minus that of all Year 6 pupils (the gradient transfers between areas)."""
    def stat(m) -> float:
        b = ks2_by_absence(m)
        return b[band] - b["all"]
    return stat


def _mhst_reach(m) -> float:
    """Share of pupils in a school an MHST covers (set by the profile's coverage; a structural check)."""
    covered = np.array([s.mhst_service >= 0 for s in m.school_agents])
    return float(covered[m.children.school].mean())


def _disorder(m) -> float:
    """Probable disorder: the mean of the term-end prevalences over the year (a survey measures a point in time)."""
    return float(np.nanmean(m.recorder.tg["child_difficulty_prevalence"][-3:, GROUP["all"]]))


STATISTICS: dict[str, tuple[str, Callable]] = {
    "attendance_rate": ("share of possible sessions attended over the year", _year("attendance_rate_year", "all")),
    "persistent_absence_rate": ("share of pupils persistently absent over the year",
                                _year("persistent_absence_rate_year", "all")),
    "persistent_absence_rate_disadvantaged": ("share of FSM pupils persistently absent over the year",
                                              _year("persistent_absence_rate_year", "disadvantaged")),
    "persistent_absence_rate_other": ("share of non-FSM pupils persistently absent over the year",
                                      _year("persistent_absence_rate_year", "other")),
    "severe_absence_rate": ("share of pupils severely absent over the year", _year("severe_absence_rate_year", "all")),
    "ks2_expected_disadvantaged": ("share of FSM Year 6 pupils at the expected standard", _ks2(True)),
    "ks2_expected_other": ("share of other Year 6 pupils at the expected standard", _ks2(False)),
    "ks2_gap_absence_0": ("KS2 share with no absence over KS2 minus all Year 6 pupils", _ks2_band_gap("0")),
    "ks2_gap_absence_0_1": ("KS2 share with >0 to <1% absence over KS2 minus all Year 6", _ks2_band_gap("0_1")),
    "ks2_gap_absence_1_2": ("KS2 share with 1 to <2% absence over KS2 minus all Year 6", _ks2_band_gap("1_2")),
    "probable_disorder_share": ("share of pupils with a probable mental disorder (mean of term ends)", _disorder),
    "mhst_reach_share": ("share of pupils in schools an MHST covers", _mhst_reach),
}


def statistics(model, names: list[str]) -> dict[str, float]:
    """The named statistics of a finished model run."""
    return {name: STATISTICS[name][1](model) for name in names}
