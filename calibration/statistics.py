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
        c = m.children
        sel = (c.year_group == 6) & (c.fsm == disadvantaged)
        return float((c.attainment_z[sel] >= m.recorder.thresholds[6]).mean()) if sel.any() else np.nan
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
    "probable_disorder_share": ("share of pupils with a probable mental disorder (mean of term ends)", _disorder),
    "mhst_reach_share": ("share of pupils in schools an MHST covers", _mhst_reach),
}


def statistics(model, names: list[str]) -> dict[str, float]:
    """The named statistics of a finished model run."""
    return {name: STATISTICS[name][1](model) for name in names}
