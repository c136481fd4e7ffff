"""A partitioned profile (a nation) as local-authority-sized localities, each an area profile of its own.

The partition is drawn on the profile's named stream from the run's seed and the profile alone, so every run,
replicate and worker count with that seed sees the same localities. Sizes are log-normal around the mean;
FSM, low income, food insecurity and parent depression move together on one deprivation factor per locality
(EAL correlates with it); each share is re-centred so its pupil-weighted mean equals the national figure.
Simplified, and says so: household shares are weighted by pupils, and observed outcomes (calibration targets and
the starting-attainment anchors) stay national in every locality, so localities differ through their make-up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, logit

from .area import AreaProfile, Count, PupilCount, Share
from .interventions.targeting import _OPS, parse_locality_rule
from .rng import Streams

# Shares that vary between localities: profile field -> (spread field, loads on deprivation, locality rule field)
VARYING_SHARES = {
    "fsm": ("fsm", "deprivation", "fsm_share"),
    "low_income_households": ("low_income_households", "deprivation", "low_income_share"),
    "food_insecure_households": ("food_insecure_households", "deprivation", "food_insecure_share"),
    "parent_depression": ("parent_depression", "deprivation", "parent_depression_share"),
    "eal": ("eal", "eal", "eal_share"),
}


@dataclass(frozen=True)
class Locality:
    """One locality of a partition: its index, name, drawn figures and the area profile its model runs on."""

    index: int
    name: str
    pupils: int
    deprivation_z: float
    shares: dict[str, float]  # rule field -> share (fsm_share, eal_share, ...)
    profile: AreaProfile

    def rule_value(self, field: str) -> float | str:
        """The value a locality rule compares for `field` (targeting.LOCALITY_FIELDS)."""
        if field == "name":
            return self.name
        if field == "pupils":
            return float(self.pupils)
        if field == "deprivation_z":
            return self.deprivation_z
        return self.shares[field]


def select_localities(selector: str | list[str], localities: list[Locality]) -> list[Locality]:
    """The localities a rule ('all', "fsm_share >= 0.3", ...) or a list of locality names picks, in order."""
    if isinstance(selector, list):
        names = {loc.name for loc in localities}
        unknown = [n for n in selector if n not in names]
        if unknown:
            raise ValueError(f"unknown locality name(s) {unknown}; names run {localities[0].name} .. "
                             f"{localities[-1].name}")
        return [loc for loc in localities if loc.name in selector]
    clauses = parse_locality_rule(selector)
    return [loc for loc in localities if all(_OPS[op](loc.rule_value(f), v) for f, op, v in clauses)]


def _recentred(target: float, offsets: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Shares expit(logit(target) + c + offsets) with c chosen so their weighted mean is `target`."""
    if target <= 0.0 or target >= 1.0:
        return np.full(offsets.size, target)
    base = logit(target)

    def gap(c: float) -> float:
        return float(weights @ expit(base + c + offsets) - target)

    c = brentq(gap, -20.0, 20.0, xtol=1e-12)
    return expit(base + c + offsets)


def partition(area: AreaProfile, seed: int, pupils: int | None = None) -> list[Locality]:
    """The localities of a partitioned profile for `seed` (`pupils` rescales the total, as a scenario's does)."""
    part = area.partition
    if part is None:
        raise ValueError(f"area '{area.name}' has no [partition] table")
    n = part.localities
    rng = Streams(seed, 0).generator(part.stream)
    z_size, z_dep, z_eal = rng.standard_normal((3, n))  # drawn together, whatever is used
    sp = part.spread
    rho = sp.eal_deprivation_correlation.value
    factors = {"deprivation": z_dep, "eal": rho * z_dep + np.sqrt(max(0.0, 1.0 - rho * rho)) * z_eal}
    size = np.exp(sp.pupils.value * z_size)
    weights = size / size.sum()
    total_primary, total_secondary = area.pupils.primary.value, area.pupils.secondary.value
    scale = 1.0 if pupils is None else pupils / (total_primary + total_secondary)
    shares = {}
    for field, (spread_field, factor, rule) in VARYING_SHARES.items():
        sd = getattr(sp, spread_field).value
        shares[rule] = _recentred(getattr(area.shares, field).value, sd * factors[factor], weights)
    how = f"drawn on stream '{part.stream}' for seed {seed}"
    out = []
    for i in range(n):
        w = float(weights[i])
        loc_shares = {rule: float(shares[rule][i]) for rule in shares}
        name = f"{part.name_prefix}_{i:03d}"
        profile = _resized(area, w * scale, loc_shares, f"{area.name} figure x locality {i}'s share of pupils "
                           f"({w:.5f}, {how})", f"moved by locality {i}'s draw ({how}), re-centred on the national "
                           "figure").model_copy(update={
            "name": f"{area.name}_{name}", "display_name": f"{area.display_name}, locality {name}",
            "kind": "locality",
            "description": f"Locality {i} of {area.display_name}'s partition into {part.localities} localities."})
        n_pupils = int(profile.pupils.primary.value + profile.pupils.secondary.value)
        out.append(Locality(i, name, n_pupils, float(z_dep[i]), loc_shares, profile))
    return out


def _est(cls: type, value: float, why: str) -> Count | Share:
    return cls(value=value, estimate=True, reason=why)


def _resized(area: AreaProfile, factor: float, shares: dict[str, float], why: str, share_why: str) -> AreaProfile:
    """`area` with pupils, schools and capacities times `factor` and the varying shares set (no partition)."""
    prim = max(20, round(area.pupils.primary.value * factor))
    sec = max(20, round(area.pupils.secondary.value * factor))
    n_schools = {ph: max(1, round(getattr(area.schools, ph).value * factor)) for ph in ("primary", "secondary")}
    new_shares = area.shares.model_copy(update={
        field: _est(Share, shares[rule], f"{area.name} share {getattr(area.shares, field).value:.3f} {share_why}")
        for field, (_, _, rule) in VARYING_SHARES.items() if rule in shares})
    cap = area.capacity
    scaled_caps = {k: _est(Count, getattr(cap, k).value * factor, why)
                   for k in type(cap).model_fields if k != "mhst_schools_covered_share" and getattr(cap, k) is not None}
    return area.model_copy(update={
        "pupils": area.pupils.model_copy(update={"primary": _est(PupilCount, prim, why),
                                                 "secondary": _est(PupilCount, sec, why)}),
        "schools": area.schools.model_copy(update={"primary": _est(Count, n_schools["primary"], why),
                                                   "secondary": _est(Count, n_schools["secondary"], why),
                                                   "named": []}),
        "shares": new_shares,
        "capacity": cap.model_copy(update=scaled_caps),
        "partition": None,
    })


def scaled_profile(area: AreaProfile, pupils: int) -> AreaProfile:
    """`area` grown or shrunk to `pupils`: pupils, schools and service capacities in proportion, shares kept.

    Unlike a scenario's `pupils` (which never adds schools beyond the profile's), schools scale both ways, so a
    benchmark population of 1M pupils keeps the profile's school sizes rather than classes of ~500.
    """
    factor = pupils / (area.pupils.primary.value + area.pupils.secondary.value)
    return _resized(area, factor, {}, f"{area.name} figure x {factor:.4f} (rescaled to {pupils} pupils)", "")
