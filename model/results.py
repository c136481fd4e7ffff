"""The recorder: reduces the arrays to term and year results by group, school, service and intervention."""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.special import ndtri

from .calendar import DAYS_PER_YEAR, SESSIONS_PER_DAY, TERM_DAYS
from .eef import months_of_progress
from .schools import school_term_figures
from .tallies import CellSum as Z
from .tallies import CellTally as T
from .tallies import SchoolTally as S
from .tallies import tally

# Every group is a union of the four cells 2 * fsm + female, so a group's total is a sum of cell totals.
GROUP_CELLS = {"all": (0, 1, 2, 3), "disadvantaged": (2, 3), "other": (0, 1), "girls": (1, 3), "boys": (0, 2)}
GROUPS = tuple(GROUP_CELLS)
ASSESSED_YEARS = {2: "expected_share_year2", 6: "expected_share_year6", 11: "expected_share_year11"}

# name -> (units, long_name); dims follow from the name's table below.
TERM_GROUP_VARS = {
    "attendance_rate": ("1", "share of possible sessions attended"),
    "persistent_absence_rate": ("1", "share of pupils missing 10% or more of possible sessions (persistent absence)"),
    "severe_absence_rate": ("1", "share of pupils missing 50% or more of possible sessions (DfE severe absence)"),
    "illness_absence_rate": ("1", "share of possible sessions missed through illness"),
    "expected_standard_share": ("1", "share of Year 2, 6 and 11 pupils at or above the expected standard"),
    "mean_attainment_z": ("z-score", "mean attainment against the national distribution"),
    "progress_months": ("months", "mean progress since the start of the run against national, EEF months"),
    "child_difficulty_prevalence": ("1", "share of pupils in emotional difficulty (probable disorder)"),
    "parent_depression_prevalence": ("1", "share of mothers (main carers) of these pupils with depression"),
    "hungry_day_share": ("1", "share of pupil-days arriving hungry"),
    "pupils": ("pupils", "number of pupils"),
    "mothers": ("mothers", "number of mothers (main carers) with a pupil in the group"),
}
YEAR_GROUP_VARS = {
    "attendance_rate_year": ("1", "share of possible sessions attended over the academic year"),
    "persistent_absence_rate_year": ("1", "share of pupils persistently absent over the academic year"),
    "severe_absence_rate_year": ("1", "share of pupils severely absent over the academic year"),
    "expected_standard_share_year": ("1", "share of Year 2, 6 and 11 pupils at the expected standard, end of year"),
    "progress_months_year": ("months", "mean progress since the start of the run, end of year, EEF months"),
}
SCHOOL_VARS = {
    "attendance_rate_school": ("1", "share of possible sessions attended, by school"),
    "persistent_absence_rate_school": ("1", "share of pupils persistently absent, by school"),
    "mean_attainment_z_school": ("z", "mean attainment z-score at the end of term, by school"),
    "reached_share_school": ("1", "share of pupils any intervention reaches at the end of term, by school"),
    "cost_gbp_school": ("GBP", "interventions' cost in the term, split by the pupils they reach, by school"),
}
SERVICE_VARS = {
    "waiting_days_mean": ("school days", "mean wait from referral to first offer"),
    "queue_length_mean": ("clients", "mean waiting-list length"),
    "queue_length_end": ("clients", "waiting-list length at the end of term"),
    "referrals": ("clients", "referrals received"),
    "started": ("clients", "clients starting support"),
    "did_not_attend": ("clients", "offers not taken up (did not attend)"),
}


def by_group(cell_table: np.ndarray) -> np.ndarray:
    """Rows of a per-cell table summed into one row per group (GROUPS order)."""
    return np.stack([cell_table[list(members)].sum(axis=0) for members in GROUP_CELLS.values()])


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, NaN where den is 0 (whole-number tallies, so the ratios are what masked means give)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def absent_flags(possible: np.ndarray, attended: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per pupil: (persistently absent, severely absent), i.e. missed >= 10% / >= 50% of possible sessions.

    Integer comparison, so exactly 10% missed counts as persistent (DfE definition).
    """
    p = possible.astype(np.int64)
    missed = p - attended
    return 10 * missed >= p, 2 * missed >= p


def absence_stats(possible: np.ndarray, attended: np.ndarray, mask: np.ndarray) -> tuple[float, float, float]:
    """(attendance rate, PA rate, SA rate) over the masked pupils with any possible sessions."""
    m = mask & (possible > 0)
    if not m.any():
        return np.nan, np.nan, np.nan
    pa, sa = absent_flags(possible[m], attended[m])
    return attended[m].sum() / possible[m].sum(), float(pa.mean()), float(sa.mean())


class Recorder:
    """Collects results as the model runs; `dataset()` returns them labelled."""

    def __init__(self, model) -> None:
        cal = model.calendar
        T, Y, G, S = cal.n_terms, cal.years, len(GROUPS), len(model.school_agents)
        self.tg = {k: np.full((T, G), np.nan) for k in TERM_GROUP_VARS}
        self.yg = {k: np.full((Y, G), np.nan) for k in YEAR_GROUP_VARS}
        self.ts = {k: np.full((T, S), np.nan) for k in SCHOOL_VARS}
        self.services = list(model.services.services)
        self.tv = {k: np.full((T, len(self.services)), np.nan) for k in SERVICE_VARS}
        self.cost = np.zeros((T, len(model.interventions)))
        self._hungry = np.zeros(3, np.int64)  # hungry child-days this term: all, FSM, girls
        self._days = 0
        p = model.params
        self.thresholds = {yg: ndtri(1.0 - p[f"attainment.{k}"]) for yg, k in ASSESSED_YEARS.items()}

    def day_end(self, model, day: int) -> None:
        self._hungry += model.hungry_today
        self._days += 1

    def _hungry_by_group(self) -> np.ndarray:
        """This term's hungry child-days in GROUPS order, from the day counts (all, FSM, girls)."""
        n_h, n_hf, n_hg = self._hungry
        return np.array([n_h, n_hf, n_h - n_hf, n_hg, n_h - n_hg], float)

    def term_end(self, model) -> None:
        c, f, t = model.children, model.families, model.today.term
        first_day = model.today.index - model.today.day_of_term
        for i, iv in enumerate(model.interventions):
            active = max(0, model.today.index + 1 - max(first_day, iv.params.start_day))
            self.cost[t, i] = iv.annual_cost_gbp(model) * active / DAYS_PER_YEAR
        cells, schools, family_cells, sums = tally(model, c.term_possible, c.term_attended, c.term_illness,
                                                   self.thresholds)
        g, z = by_group(cells), by_group(sums)
        n = g[:, T.PUPILS]
        columns = {
            "attendance_rate": _ratio(g[:, T.ATTENDED], g[:, T.POSSIBLE]),
            "persistent_absence_rate": _ratio(g[:, T.PERSISTENT], g[:, T.WITH_SESSIONS]),
            "severe_absence_rate": _ratio(g[:, T.SEVERE], g[:, T.WITH_SESSIONS]),
            "illness_absence_rate": _ratio(g[:, T.ILLNESS], g[:, T.POSSIBLE_ALL]),
            "expected_standard_share": _ratio(g[:, T.EXPECTED], g[:, T.ASSESSED]),
            "child_difficulty_prevalence": _ratio(g[:, T.DIFFICULTY], n),
            "hungry_day_share": _ratio(self._hungry_by_group(), n * self._days),
            "pupils": n,
        }
        for k, v in columns.items():
            self.tg[k][t] = v
        for j, members in enumerate(GROUP_CELLS.values()):
            fams = (family_cells & sum(1 << k for k in members)) != 0  # a family's parent counts once per group
            self.tg["mothers"][t, j] = n_fams = np.count_nonzero(fams)
            self.tg["parent_depression_prevalence"][t, j] = (
                np.count_nonzero(f.parent_depressed & fams) / n_fams if n[j] else np.nan)
            self.tg["mean_attainment_z"][t, j] = z[j, Z.ATTAINMENT_Z] / n[j] if n[j] else np.nan
            self.tg["progress_months"][t, j] = float(months_of_progress(z[j, Z.PROGRESS_Z] / n[j])) if n[j] else np.nan
        self.ts["attendance_rate_school"][t] = _ratio(schools[:, S.ATTENDED], schools[:, S.POSSIBLE])
        self.ts["persistent_absence_rate_school"][t] = _ratio(schools[:, S.PERSISTENT], schools[:, S.WITH_SESSIONS])
        (self.ts["mean_attainment_z_school"][t], self.ts["reached_share_school"][t],
         self.ts["cost_gbp_school"][t]) = school_term_figures(model, self.cost[t])
        term_days = TERM_DAYS[model.today.term_of_year]
        for v, svc in enumerate(self.services):
            st = svc.reset_stats()
            self.tv["waiting_days_mean"][t, v] = st["wait_days"] / st["offered"] if st["offered"] else np.nan
            self.tv["queue_length_mean"][t, v] = st["queue_days"] / term_days
            self.tv["queue_length_end"][t, v] = svc.queue_length
            self.tv["referrals"][t, v] = st["referred"]
            self.tv["started"][t, v] = st["started"]
            self.tv["did_not_attend"][t, v] = st["dna"]
        c.sessions_possible += c.term_possible
        c.sessions_attended += c.term_attended
        c.illness_sessions += c.term_illness
        c.term_possible[:] = 0
        c.term_attended[:] = 0
        c.term_illness[:] = 0
        self._hungry[:] = 0
        self._days = 0

    def year_end(self, model) -> None:
        c, y = model.children, model.today.year
        cells, _, _, sums = tally(model, c.sessions_possible, c.sessions_attended, c.illness_sessions, self.thresholds)
        g, z = by_group(cells), by_group(sums)
        self.yg["attendance_rate_year"][y] = _ratio(g[:, T.ATTENDED], g[:, T.POSSIBLE])
        self.yg["persistent_absence_rate_year"][y] = _ratio(g[:, T.PERSISTENT], g[:, T.WITH_SESSIONS])
        self.yg["severe_absence_rate_year"][y] = _ratio(g[:, T.SEVERE], g[:, T.WITH_SESSIONS])
        self.yg["expected_standard_share_year"][y] = _ratio(g[:, T.EXPECTED], g[:, T.ASSESSED])
        for j in range(len(GROUPS)):
            n = g[j, T.PUPILS]
            self.yg["progress_months_year"][y, j] = float(months_of_progress(z[j, Z.PROGRESS_Z] / n)) if n else np.nan

    def dataset(self, model) -> xr.Dataset:
        """All results as one labelled Dataset (no replicate dimension; the runner adds it)."""
        cal = model.calendar
        coords = {
            "term": np.arange(cal.n_terms), "year": np.arange(cal.years), "group": list(GROUPS),
            "school": [s.name for s in model.school_agents], "service": [s.name for s in self.services],
            "intervention": [iv.label for iv in model.interventions],
        }
        data = {}
        for table, dims, spec in ((self.tg, ("term", "group"), TERM_GROUP_VARS),
                                  (self.yg, ("year", "group"), YEAR_GROUP_VARS),
                                  (self.ts, ("term", "school"), SCHOOL_VARS),
                                  (self.tv, ("term", "service"), SERVICE_VARS)):
            for k, arr in table.items():
                units, long_name = spec[k]
                data[k] = xr.DataArray(arr, dims=dims, attrs={"units": units, "long_name": long_name})
        data["cost_gbp"] = xr.DataArray(self.cost, dims=("term", "intervention"),
                                        attrs={"units": "GBP", "long_name": "cost of each intervention in the term"})
        ds = xr.Dataset(data, coords=coords)
        ds = ds.assign_coords(
            term_label=("term", cal.term_labels()), year_label=("year", cal.year_labels()),
            school_phase=("school", [s.phase for s in model.school_agents]),
            service_kind=("service", [s.kind for s in self.services]))
        ds["sessions_per_day"] = SESSIONS_PER_DAY
        ds["sessions_per_day"].attrs = {"units": "sessions", "long_name": "sessions in a school day"}
        return ds
