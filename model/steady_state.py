"""The area's mean school value added per phase, set so the synthesised cross-section is the model's steady state.

Starting attainment gives each year group its own position (model/starting_attainment.py: KS1, KS2 and KS4
anchors, interpolated). A cohort that moves up a year must land, on average, where the next year group started,
or each cohort falls below (or rises above) the one before and mean attainment drifts for years. The learning
rule (model/mechanisms/learning.py) gives the area's pupils a year's progress against national of

    P = z_per_school_year * (eff * (att + (1 - att) * catch_up) - ref_eff * (ref_att + (1 - ref_att) * catch_up))

at the area's expected attendance `att` and learning efficiency `eff`; the cross-section asks for G, the mean
gap between adjacent year groups' positions. The difference G - P is the area's mean school value added in
that phase (z per school year): what its schools add beyond the attendance-driven progress, so that the
published cross-section and the area's lower (or higher) attendance are both true. Each school keeps its own
random value added around that mean (centred within the phase, pupil-weighted), and schools' starting
attainment offsets are centred within each phase too, so a move to secondary does not shift the area's mean.

Inputs: `att` per phase from the profile's observed attendance, split by England's primary and secondary
absence (5.5% and 8.9% of sessions, 2023/24, FACTS §1 [S1]) and scaled so the pupil-weighted mean is the
profile's figure; `eff` from the penalties at the profile's food insecurity (hungry mornings at
`hunger.p_hungry_if_*`), probable-disorder share (split by phase in England's ratio, FACTS §6 [M1]) and
`population.share_uncorrected_vision`, before any intervention. Simplified: one offset per phase (not per year
group or FSM group) and expected values only (no covariance between a child's hunger, difficulty and absence), so
the FSM gap can still move; where the model's own attendance or prevalence differs from the profile's (default
parameters, not calibrated), mean z drifts by about z_per_school_year * eff * (1 - catch_up) per point a year.

The summer break (model/mechanisms/summer.py) takes the area's mean holiday loss L from every cohort between
years, so each year's progress must make it up: value added is G + L - P.
"""

from __future__ import annotations

import numpy as np

from .area import AreaProfile
from .mechanisms.summer import expected_summer_loss_z
from .params import ParamTable

PRIMARY_ABSENCE, SECONDARY_ABSENCE = 0.055, 0.089  # England 2023/24, share of sessions (FACTS §1 [S1])
# Probable disorder by phase relative to ages 8-16: 15.7% at 8-10 and 22.6% at 11-16 against 20.3% (NHS MHCYP
# 2023, FACTS §6 [M1]); the profile gives one figure for its pupils.
DISORDER_PRIMARY, DISORDER_SECONDARY = 15.7 / 20.3, 22.6 / 20.3
PRIMARY_YEARS = 7  # Reception .. Year 6: a Year 6 pupil's year of learning happens in primary school


def phase_attendance(area: AreaProfile) -> tuple[float, float]:
    """(primary, secondary) attendance: the profile's absence split in England's primary:secondary ratio."""
    n_p, n_s = area.pupils.primary.value, area.pupils.secondary.value
    absence = 1.0 - area.observed.attendance_rate.value
    k = absence * (n_p + n_s) / (n_p * PRIMARY_ABSENCE + n_s * SECONDARY_ABSENCE)
    return 1.0 - k * PRIMARY_ABSENCE, 1.0 - k * SECONDARY_ABSENCE


def expected_efficiency(area: AreaProfile, params: ParamTable, secondary: bool) -> float:
    """Mean learning efficiency of an attended day in the area's phase before interventions (the rule's penalties)."""
    q, h = params.group("learning"), params.group("hunger")
    fi = area.shares.food_insecure_households.value
    p_hungry = fi * h["p_hungry_if_insecure"] + (1.0 - fi) * h["p_hungry_if_secure"]
    disorder = area.observed.probable_disorder_share.value * (DISORDER_SECONDARY if secondary else DISORDER_PRIMARY)
    eff = (1.0 - q["penalty_hunger"] * p_hungry - q["penalty_difficulty"] * disorder
           - q["penalty_vision"] * params["population.share_uncorrected_vision"])
    return max(eff, 0.0)


def expected_progress(att: float, eff: float, ref_att: float, params: ParamTable) -> float:
    """A year's progress against national (z) at attendance `att` and efficiency `eff`: the learning rule's mean."""
    q = params.group("learning")
    c = q["catch_up_share"]
    reference = q["reference_efficiency"] * (ref_att + (1.0 - ref_att) * c)
    return q["z_per_school_year"] * (eff * (att + (1.0 - att) * c) - reference)


def cross_section_gradient(shift: np.ndarray, fsm_share: float) -> tuple[float, float]:
    """(primary, secondary) mean z a cohort must gain per year to land on the next year group's start.

    `shift` is the (12, 2) table of starting positions; a Year 11 cohort's last year continues the Year 10 to
    Year 11 step (its end-of-year position is the KS4 anchor one step on).
    """
    mean = (1.0 - fsm_share) * shift[:, 0] + fsm_share * shift[:, 1]
    step = np.diff(mean)
    step = np.r_[step, step[-1]]  # year y's required gain, y = 0..11
    return float(step[:PRIMARY_YEARS].mean()), float(step[PRIMARY_YEARS:].mean())


def value_added_offsets(area: AreaProfile, params: ParamTable, shift: np.ndarray) -> tuple[float, float]:
    """(primary, secondary) area mean value added, z per school year: cross-section gradient less expected progress."""
    q = params.group("learning")
    att_p, att_s = phase_attendance(area)
    g_p, g_s = cross_section_gradient(shift, area.shares.fsm.value)
    summer = expected_summer_loss_z(area, params)  # the holiday after each year is made up during it
    g_p, g_s = g_p + summer, g_s + summer
    return (g_p - expected_progress(att_p, expected_efficiency(area, params, False),
                                    q["reference_attendance_primary"], params),
            g_s - expected_progress(att_s, expected_efficiency(area, params, True),
                                    q["reference_attendance_secondary"], params))


def centre_by_phase(values: np.ndarray, secondary: np.ndarray, pupils: np.ndarray) -> np.ndarray:
    """Per-school values less their pupil-weighted mean within the phase (a phase with no pupils is left as is)."""
    out = values.astype(np.float64).copy()
    for sel in (secondary, ~secondary):
        w = pupils[sel].astype(np.float64)
        if sel.any() and w.sum() > 0:
            out[sel] -= float(np.average(out[sel], weights=w))
    return out
