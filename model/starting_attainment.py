"""Starting attainment drawn jointly with attendance, per year group from its own key stage, and a prior KS2 record.

Each child's latent attainment z (against the national distribution of their year group) is
`offsets(SEND, EAL) + school offset + shift[year group, FSM] + sd_within * r`, where the residual `r` has
correlation `attainment.rho_attendance_z` with the child's standardised attendance propensity: children who
attend more also start higher (DfE KS2-by-absence, FACTS §11 [V1], is the calibration target for rho).

The shift per FSM group is each year group's position at the start of the school year. The key stages are
assessed at the end of Years 2, 6 and 11, so the anchors below are end-of-year positions and a year group starts
where the year below ended (Year 3 at the KS1 position, Year 7 at KS2's); between anchors the positions are
linear by year group. The learning mechanism moves a cohort, on average, from one start to the next, through
the area's value added by phase and FSM group (model/steady_state.py), so the cross-section is the model's steady state.
- Year 6 (KS2): the area's observed KS2 expected-standard shares (other, disadvantaged), matched exactly.
- Year 2 (KS1): the area keeps its Year 6 z position; the KS1 share follows from KS1's own national threshold
  (`expected_share_year2`, FACTS §3 [S17]). Simplified: FACTS has no KS1 figure by FSM or for Bradford.
- Year 11 (KS4): the Year 6 position moved by how far each FSM group's national position moves from KS2 to
  KS4 (national group means from grade 4+ and grade 5+ English & maths, averaged; FACTS §3 [A2][A7][A8]).
Reception to Year 3 take the KS1 position (flat before the first anchor), as do Reception entrants.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, ndtri

from .matching import solve_intercept
from .params import ParamTable
from .rng import uniforms

ANCHORS = (2, 6, 11)  # key stages, assessed at the end of these years
SD_WITHIN_Z = 0.9  # SD of the child residual before the shifts (assumption, as before this module)
# National shares by FSM group (other, disadvantaged): FACTS §3. KS2 RWM 2024 [A2][A3]; KS4 grade 4+ E&M 2023
# [A7]; KS4 grade 5+ E&M 2023: disadvantaged 25.2%, gap 27.2 pp [A8].
NATIONAL_KS2 = (0.67, 0.46)
NATIONAL_KS4_GRADE4 = (0.726, 0.431)
NATIONAL_KS4_GRADE5 = (0.524, 0.252)
PRIMARY_TO_ALL_ABSENCE = 5.5 / 7.1  # primary vs all-phase absence, England 2023/24 (FACTS §1 [S1])


def thresholds(params: ParamTable) -> dict[int, float]:
    """Latent z thresholds of the expected standard: Years 2, 6, 11 (grade 4+) and 12 = Year 11 grade 5+."""
    a = params.group("attainment")
    return {2: float(ndtri(1 - a["expected_share_year2"])), 6: float(ndtri(1 - a["expected_share_year6"])),
            11: float(ndtri(1 - a["expected_share_year11"])),
            12: float(ndtri(1 - a["expected_share_year11_grade5"]))}


def _ks4_move(params: ParamTable, group: int) -> float:
    """How far an FSM group's national mean z moves from KS2 to KS4 (unit-SD groups, grade 4+ and 5+ averaged)."""
    t = thresholds(params)
    ks2 = t[6] - ndtri(1 - NATIONAL_KS2[group])
    ks4 = 0.5 * ((t[11] - ndtri(1 - NATIONAL_KS4_GRADE4[group]))
                 + (t[12] - ndtri(1 - NATIONAL_KS4_GRADE5[group])))
    return float(ks4 - ks2)


def shifts_by_year(c6: tuple[float, float], params: ParamTable) -> np.ndarray:
    """(12 year groups, 2 FSM groups) start-of-year shifts: each year group starts at the year below's end position.

    End positions are the anchors at Years 2, 6, 11 with linear steps between (flat before Year 2), so a
    Year y pupil starts at the interpolated position of Year y - 1.
    """
    out = np.empty((12, 2))
    for g in (0, 1):
        anchors = (c6[g], c6[g], c6[g] + _ks4_move(params, g))
        out[:, g] = np.interp(np.arange(12) - 1.0, ANCHORS, anchors)
    return out


def residual(propensity: np.ndarray, params: ParamTable, rng: np.random.Generator) -> np.ndarray:
    """A child's own attainment residual (SD `SD_WITHIN_Z`) with correlation rho to their attendance propensity."""
    rho = params["attainment.rho_attendance_z"]
    u = propensity / max(params["attendance.sd_child"], 1e-12)
    return SD_WITHIN_Z * (rho * u + np.sqrt(1.0 - rho * rho) * rng.standard_normal(propensity.size))


def draw_starting_attainment(base: np.ndarray, fsm: np.ndarray, year_group: np.ndarray, propensity: np.ndarray,
                             area_ks2: tuple[float, float], params: ParamTable,
                             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Starting z for every child and the (12, 2) shift table; `base` holds SEND, EAL and school offsets.

    The Year 6 shift of each FSM group is solved on that group's whole residual distribution (it does not depend
    on year group), so the KS2 shares hold exactly in expectation and not only by the luck of one cohort.
    """
    raw = base + residual(propensity, params, rng)
    t6 = thresholds(params)[6]
    c6 = []
    for g, share in enumerate(area_ks2):
        sel = fsm == bool(g)
        c6.append(float(t6 - np.quantile(raw[sel], 1.0 - share)) if sel.any() else 0.0)
    table = shifts_by_year((c6[0], c6[1]), params)
    return raw + table[year_group, fsm.astype(np.intp)], table


def prior_ks2_record(model, rng: np.random.Generator) -> None:
    """Synthesise the completed KS2 years (Year 3 up to last year) of pupils now in Years 4-6.

    Each prior year a child misses Binomial(380, p) sessions, p = expit(-(fixed attendance log-odds + d)), with d
    set so the mean matches the area's absence scaled to primary (FACTS §1 [S1]). The same propensity that sets
    attainment sets p, so the record is joint with starting attainment. Simplified: no spells or illness seasons,
    so the spread of yearly absence is a little narrower than the daily model gives.
    """
    c = model.children
    years_done = np.clip(c.year_group.astype(np.int64) - 3, 0, 3)
    sel = (c.year_group >= 4) & (c.year_group <= 6)
    c.ks2_possible[:] = 0
    c.ks2_attended[:] = 0
    if not sel.any():
        return
    absence = (1.0 - model.area.observed.attendance_rate.value) * PRIMARY_TO_ALL_ABSENCE
    x = -model.attendance_fixed[sel].astype(np.float64)
    d = solve_intercept(x, absence)
    p = expit(d + x)
    n = 380 * years_done[sel]
    missed = rng.binomial(n, p)
    c.ks2_possible[sel] = n
    c.ks2_attended[sel] = n - missed


def add_year_to_ks2_record(children) -> None:
    """At the end of a school year, add the year's sessions of Years 3-6 pupils; clear it for Year 6 leavers."""
    c = children
    ks2 = (c.year_group >= 3) & (c.year_group <= 5)
    c.ks2_possible[ks2] += c.sessions_possible[ks2]
    c.ks2_attended[ks2] += c.sessions_attended[ks2]
    done = c.year_group == 6
    c.ks2_possible[done] = 0
    c.ks2_attended[done] = 0


def ks2_sessions(children) -> tuple[np.ndarray, np.ndarray]:
    """(possible, attended) over KS2 so far, this year included: the record for the KS2-by-absence statistic."""
    c = children
    return (c.ks2_possible.astype(np.int64) + c.sessions_possible,
            c.ks2_attended.astype(np.int64) + c.sessions_attended)


def assessment_noise(model, year: int) -> np.ndarray:
    """Each child's test measurement error for this school year (z): its own stream, one uniform per child.

    The same all year, so it is kept for the year's term-end tallies (four a year; ~3 ms each on 100,000 pupils)
    and made again when the year, the population's size, the stream or the noise's SD changes. Read-only.
    """
    key = (year, model.children.n, model.streams["assessment"], model.params["attainment.sd_assessment_z"])
    kept = model.__dict__.get("_assessment_noise")
    if kept is not None and kept[0] == key:
        return kept[1]
    u = uniforms(model.streams["assessment"], year, model.children.n)
    noise = model.params["attainment.sd_assessment_z"] * ndtri(np.clip(u, 1e-12, 1 - 1e-12))
    noise.flags.writeable = False
    model._assessment_noise = (key, noise)
    return noise


def assessed_z(model) -> np.ndarray:
    """The measured score: (z + test error) / sqrt(1 + sd^2), so nationally it keeps SD 1 and the thresholds hold."""
    sd = model.params["attainment.sd_assessment_z"]
    return ((model.children.attainment_z + assessment_noise(model, model.today.year)) / np.sqrt(1.0 + sd * sd))
