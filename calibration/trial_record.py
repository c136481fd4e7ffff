"""What a stored posterior says about its trial stage: which trial outcomes were fitted, and how well it fits them.

Read, never simulated: the trial stage (`trial_fit.py`) stores its run record in the posterior's attributes
(`trial_parameters`, `trial_pupils`, `trial_particles`, `trial_effective_sample_size` by generation, ...) and the
predictive check that follows stores every target's simulated values, the trial targets among them
(`target_simulated` over `target`, `sample`). An area whose routes were carried from another area's trial stage
(`calibrate carry`) says so in `trial_stage`; its record is the source posterior's (looked up beside it). So the
evidence page and the brief can say, for each trial, "fitted in calibration" or "checked only", and how close the
fitted model comes, without running anything.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import xarray as xr

from .trial_targets import is_trial, split_name


@dataclasses.dataclass(frozen=True)
class TrialFit:
    """One trial outcome in a posterior's predictive check: the target against the fitted model's 5%-95%."""

    spec: str
    outcome: str
    published: float
    published_lo: float
    published_hi: float
    model: float
    model_lo: float
    model_hi: float
    fitted: bool  # in the trial stage's ABC distance (else reported only)

    @property
    def inside(self) -> bool:
        return bool(self.model_lo <= self.published <= self.model_hi)


@dataclasses.dataclass(frozen=True)
class TrialStage:
    """A posterior's trial stage: how its routes were set ('fitted', 'carried', 'none') and its fit per outcome."""

    how: str
    area: str = ""  # the area whose trial stage fitted the routes
    parameters: tuple[str, ...] = ()
    generations: int = 0
    particles: int = 0
    pupils: int = 0
    effective_sample_size: float = float("nan")  # of the last generation
    fits: tuple[TrialFit, ...] = ()
    problem: str = ""
    refits: tuple[str, ...] = ()  # one clause per later refit of a group of routes (`trial_group_refit.py`)

    def fitted_trials(self) -> set[str]:
        """Names of the trial specs with at least one outcome in the trial stage's distance."""
        return {f.spec for f in self.fits if f.fitted}

    def of(self, spec: str) -> tuple[TrialFit, ...]:
        return tuple(f for f in self.fits if f.spec == spec)

    def describe(self) -> str:
        """One sentence on how the routes were set."""
        if self.how == "none":
            return "no trial stage: the intervention routes are at their defaults"
        n, k = sum(f.fitted for f in self.fits), sum(f.fitted and f.inside for f in self.fits)
        carried = "carried from" if self.how == "carried" else "fitted in"
        return (f"intervention routes {carried} {self.area}'s trial stage: ABC-SMC on {n} published trial outcomes "
                f"({self.generations} generations x {self.particles} particles at {self.pupils:,} pupils, effective "
                f"sample size {self.effective_sample_size:.0f}){''.join(f'; then {r}' for r in self.refits)}; "
                f"{k} of {n} inside the fitted model's 90% range")


def _refits(post: xr.Dataset) -> tuple[str, ...]:
    """One clause per group refit in the posterior's record (`trial_group_refits_json`)."""
    out = []
    for r in json.loads(str(post.attrs.get("trial_group_refits_json", "[]"))):
        gens = r.get("generations") or [{}]
        out.append(f"the routes of {' and '.join(r['trials'])} re-fitted alone ({len(gens)} generations x "
                   f"{r['particles']} particles, effective sample size {gens[-1].get('effective_sample_size', 0):.0f})")
    return tuple(out)


def _fits(post: xr.Dataset) -> tuple[TrialFit, ...]:
    if "target_simulated" not in post or "target" not in post.dims:
        return ()
    sim = post["target_simulated"]
    out = []
    for i, name in enumerate(map(str, post["target"].values)):
        if not is_trial(name):
            continue
        values = sim.isel(target=i).values.astype(float)
        lo, mid, hi = np.nanquantile(values, [0.05, 0.5, 0.95]) if np.isfinite(values).any() else (np.nan,) * 3
        spec, outcome = split_name(name)
        out.append(TrialFit(spec, outcome, float(post["target_observed"].values[i]),
                            float(post["target_low"].values[i]), float(post["target_high"].values[i]),
                            float(mid), float(lo), float(hi), bool(post["target_fitted"].values[i])))
    return tuple(out)


def _fitted_record(post: xr.Dataset, how: str) -> TrialStage:
    ess = post["trial_effective_sample_size"].values if "trial_effective_sample_size" in post else [np.nan]
    return TrialStage(how, area=str(post.attrs.get("area", "")),
                      parameters=tuple(str(post.attrs.get("trial_parameters", "")).split()),
                      generations=int(post.sizes.get("trial_generation", 0)),
                      particles=int(post.attrs.get("trial_particles", 0)),
                      pupils=int(post.attrs.get("trial_pupils", 0)),
                      effective_sample_size=float(ess[-1]), fits=_fits(post), refits=_refits(post))


def trial_stage(posterior: xr.Dataset, posteriors_dir: Path | None = None) -> TrialStage:
    """The posterior's trial-stage record; a carried posterior's is its source's (`<posteriors_dir>/<source>.nc`,
    default: beside the posterior, else calibration/posteriors)."""
    if "trial_simulations" in posterior.attrs:
        return _fitted_record(posterior, "fitted")
    carried = re.match(r"routes carried from (\w+)'s posterior", str(posterior.attrs.get("trial_stage", "")))
    if carried is None:
        return TrialStage("none")
    from .posterior import POSTERIORS_DIR

    here = Path(str(posterior.attrs.get("source_path", ""))).parent if posterior.attrs.get("source_path") else None
    folder = posteriors_dir or (here if here is not None and (here / f"{carried[1]}.nc").is_file() else POSTERIORS_DIR)
    path = folder / f"{carried[1]}.nc"
    try:
        with xr.open_dataset(path) as src:
            if "trial_simulations" not in src.attrs:
                return TrialStage("carried", area=carried[1], problem=f"{path} has no trial stage")
            return _fitted_record(src.load(), "carried")
    except (OSError, ValueError, KeyError) as err:
        return TrialStage("carried", area=carried[1], problem=f"{path} could not be read ({type(err).__name__})")
