"""The trial stage of a calibration: fit the intervention routes to published trials, given the area's posterior.

Design (a "cut", or modular, posterior). The area stage (`abc.calibrate`) fits the model's free parameters to the
area's targets with the routes at their defaults. This stage then fits `TRIAL_PARAMETERS` by ABC-SMC to the trial
targets, each particle running the trials (`trial_targets.trial_statistics`, the code of `actlocally trial`) with
area parameters drawn from the area posterior. The stored posterior is this stage's particles, each with the area
draw it ran with, so it samples p(area | area data) x p(routes | trials, area). Why not one joint fit:

- the trials were run elsewhere (English disadvantaged primaries, New York, Baltimore, Place2Be schools): letting
  their estimates move Bradford's attendance intercept or onset rates would make an area's fit depend on another
  population; the cut stops that feedback, while each route is still fitted on the area's own population;
- cost: a particle's trials are 6 one-year trial worlds and 5 paired worlds (about 2-3 s at 6,000 pupils against
  0.4 s for an area run), so a joint fit of 5 x 200 particles would take hours on 2 cores; the routes move only
  the trial statistics, so they need only this stage's few particles;
- the distance divides each trial's miss by the published uncertainty and the replicate's own spread together
  (`replicate_noise`: sampling noise and the area draw's effect): a virtual trial of a few thousand pupils is itself
  a noisy estimate (the nudge trial's relative change has a replicate sd about twice its published sd at 2,500
  pupils), and ABC that ignores it keeps the particles whose luck fell right rather than those whose routes are;
- the routes barely move the area targets (they act on pupils reached by an intervention; the baseline has
  school mental-health teams, so `attendance.b_school_support_*` is the exception): the predictive check of the
  stored posterior, run with the fitted routes, says whether the area targets still hold.

Other areas (no trial targets) carry the routes from Bradford's stored posterior (`carry_trial_parameters`): each
particle gets one weighted draw of Bradford's route columns (jointly, by the particle's index and the seed), since
the trials anchor interventions, not places; the area's own weights are unchanged.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyabc
import xarray as xr
from actlocally.model.interventions.parameters import known_rows
from actlocally.model.rng import stable_hash
from actlocally.runtime.executor import Executor
from actlocally.runtime.storage import atomic_path

from .posterior import POSTERIORS_DIR, parameter_names
from .smc import UNDEFINED_STATISTIC, _generations, decode, encode, from_probit, run_smc
from .targets import TargetsFile
from .trial_targets import TRIAL_PARAMETERS, TRIAL_PUPILS, TRIAL_SEED, route_groups, split_name, trial_statistics

SOURCE_AREA = "bradford"  # the area whose calibration fits the routes (trials run on it by default)
KERNEL_WIDTH = 1.0  # the trial stage's kernels: as wide as the weighted particles (see smc.py)
PILOT_REPLICATES = 8  # assumption: enough replicates to estimate a statistic's replicate sd within about 25%


@dataclasses.dataclass(frozen=True)
class TrialSimulator:
    """pyabc's model for the trial stage: route values -> trial statistics, area parameters drawn per particle."""

    area: str
    pupils: int
    statistics: tuple[str, ...]
    ranges: tuple[tuple[str, float, float], ...]
    base_names: tuple[str, ...]
    base_values: np.ndarray  # area posterior particles x base_names
    base_weights: np.ndarray
    seed: int = 1

    def replicate(self, fitted: dict[str, float]) -> int:
        """The particle's replicate (population and streams): a hash of its values, never a global draw."""
        return stable_hash(repr((self.seed, "trials", sorted(fitted.items())))) % (2**31 - 1)

    def base_draw(self, replicate: int) -> dict[str, float]:
        """One weighted draw of the area posterior for this replicate."""
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, replicate, stable_hash("trial_stage")]))
        i = int(rng.choice(self.base_weights.size, p=self.base_weights))
        return dict(zip(self.base_names, map(float, self.base_values[i]), strict=True))

    def fitted(self, pars: dict) -> dict[str, float]:
        return {name: float(from_probit(float(pars[encode(name)]), lo, hi)) for name, lo, hi in self.ranges}

    def __call__(self, pars: dict) -> dict[str, float]:
        fitted = self.fitted(pars)
        return self.run(fitted, self.replicate(fitted))

    def run(self, fitted: dict[str, float], replicate: int) -> dict[str, float]:
        """The trial statistics of one replicate with these routes and the replicate's area draw."""
        params = self.base_draw(replicate) | fitted
        stats = trial_statistics(self.area, params, replicate, self.pupils, self.statistics, TRIAL_SEED)
        return {k: (v if np.isfinite(v) else UNDEFINED_STATISTIC) for k, v in stats.items()}

    def pilot(self, i: int) -> dict[str, float]:
        """Replicate `i` of the pilot: the routes at their prior medians, a replicate and area draw of its own."""
        fitted = {name: float(from_probit(0.0, lo, hi)) for name, lo, hi in self.ranges}
        return self.run(fitted, stable_hash(repr((self.seed, "trial_pilot", i))) % (2**31 - 1))


def replicate_noise(simulator: TrialSimulator, executor: Executor, replicates: int = PILOT_REPLICATES
                    ) -> dict[str, float]:
    """Each trial statistic's sd over pilot replicates (routes at their prior medians, each replicate with its own
    population and area draw), which the distance adds to the published uncertainty. It holds the virtual trial's
    sampling noise and the spread the area posterior gives a route's effect: measured on Bradford, the attainment
    trials' spread is mostly `learning.z_per_school_year` (0.6-1.3 over 8 draws; Magic Breakfast, breakfast in the
    classroom and Vision move with it, correlation 0.98), which the cut lets no particle adapt to. Simplified: the
    spread is taken as the same at every route value (it grows with the effect; the prior median is middling)."""
    runs = [r for _, r in sorted(executor.map_unordered(simulator.pilot, range(replicates)))]
    return {k: float(np.std([r[k] for r in runs], ddof=1)) for k in simulator.statistics}


def trial_history(out_dir: Path, name: str) -> Path:
    """Where the trial stage keeps pyabc's history (beside the area stage's `<name>.db`), to be resumed."""
    return Path(out_dir) / f"{name}.trials.db"


def _run_settings(simulator: TrialSimulator, fitted: dict, particles: int) -> dict:
    """Everything a kept trial history was run with, so a resumed run can refuse a different one (JSON-native
    values only, so the settings read back compare equal to these)."""
    base = np.ascontiguousarray(np.column_stack([simulator.base_values, simulator.base_weights]), float)
    return {"area": simulator.area, "pupils": simulator.pupils, "seed": simulator.seed, "particles": particles,
            "kernel_width": KERNEL_WIDTH, "ranges": {n: [lo, hi] for n, lo, hi in simulator.ranges},
            "targets": {k: [t.value, t.sd] for k, t in fitted.items()},
            "area_stage": {"parameters": list(simulator.base_names),
                           "digest": hashlib.blake2b(base.tobytes(), digest_size=16).hexdigest()}}


def _resumed_scales(db: Path, settings: dict) -> tuple[dict, dict, float]:
    """The replicate noise, distance scales and seconds so far of the kept run in `db`; a ValueError unless it
    can go on with `settings`."""
    meta = db.with_suffix(".json")
    if not db.is_file() or not meta.is_file():
        raise ValueError(f"no kept trial-stage history to resume ({db.name} and {meta.name}); run without --resume")
    try:
        stored = json.loads(meta.read_text())
        kept = dict(stored["settings"])
        noise, scales = ({k: float(v) for k, v in stored[part].items()} for part in ("noise", "scales"))
        runtime = float(stored.get("runtime_s", 0.0))
        if set(scales) != set(kept.get("targets", {})):
            raise ValueError("its scales are not one per fitted trial target")
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ValueError(f"{meta}: not a trial stage's settings as calibrate writes them ({err}); run without "
                         "--resume") from None
    changed = sorted(k for k in settings.keys() | kept.keys() if settings.get(k) != kept.get(k))
    if changed:
        raise ValueError(f"{meta}: the kept trial stage ran with other {', '.join(changed)}; run without --resume "
                         "to start it afresh")
    try:
        last = pyabc.History(f"sqlite:///{db.resolve()}", _id=1).max_t
    except Exception as err:  # any failure to read it (not sqlite, not pyabc's tables) means it cannot go on
        raise ValueError(f"{db}: not a readable pyabc history ({type(err).__name__}); run without --resume") from None
    if last is None or last < 0:
        raise ValueError(f"{db}: no generation stored yet; run without --resume")
    return noise, scales, runtime


def fit_trials(posterior: xr.Dataset, targets: TargetsFile, area: str, executor: Executor, *, seed: int = 1,
               particles: int = 100, populations: int = 4, trial_pupils: int = TRIAL_PUPILS,
               parameters: tuple[str, ...] = TRIAL_PARAMETERS, on_generation: Callable[[dict], None] | None = None,
               out_dir: Path = POSTERIORS_DIR, name: str = "posterior", resume: bool = False) -> xr.Dataset:
    """ABC-SMC of the routes on the fitted trial targets, given the area posterior; the combined posterior.

    pyabc's history is kept in `trial_history(out_dir, name)` with the settings it ran with (`.json` beside it);
    `resume` continues it for `populations` more generations (after an interruption, or to go further)."""
    rows = known_rows()
    ranges = {n: tuple(map(float, rows[n].prior)) for n in parameters}
    fitted = {k: t for k, t in targets.trial_targets().items() if t.fit}
    base_names = tuple(n for n in parameter_names(posterior) if n not in ranges)
    w = np.asarray(posterior["weight"].values, float)
    simulator = TrialSimulator(area, trial_pupils, tuple(fitted), tuple((k, lo, hi) for k, (lo, hi) in ranges.items()),
                               base_names, np.column_stack([posterior[n].values for n in base_names]), w / w.sum(),
                               seed)
    db = trial_history(out_dir, name)
    settings = _run_settings(simulator, fitted, particles)
    start = time.perf_counter()
    groups = route_groups((split_name(name)[0] for name in fitted), ranges) or [list(ranges)]
    earlier = 0.0  # seconds the kept run took before this one
    if resume:
        noise, scales, earlier = _resumed_scales(db, settings)
    else:
        noise = replicate_noise(simulator, executor)
        scales = {k: float(np.hypot(t.sd, noise[k])) for k, t in fitted.items()}
        db.unlink(missing_ok=True)

    def keep_record() -> float:
        """Write the run's settings and seconds so far beside its history: after every generation, so a run
        stopped between generations is resumed with the seconds it had spent."""
        seconds = earlier + time.perf_counter() - start
        with atomic_path(db.with_suffix(".json")) as tmp:
            tmp.write_text(json.dumps({"settings": settings, "noise": noise, "scales": scales,
                                       "runtime_s": round(seconds, 1)}, indent=1))
        return seconds

    def report(g: dict) -> None:
        keep_record()
        if on_generation is not None:
            on_generation({**g, "stage": "trials"})

    keep_record()
    history = run_smc(simulator, list(ranges), groups, fitted, particles, populations, executor, db,
                      report, scales, KERNEL_WIDTH, resume=resume)
    df, wt = history.get_distribution(m=0, t=history.max_t)
    gens = _generations(history)
    seconds = keep_record()
    out = _combined(posterior, simulator, df, np.asarray(wt, float), gens, ranges, seconds, particles, trial_pupils,
                    [n for g in groups for n in g])
    out.attrs.update(trial_kernel_width=KERNEL_WIDTH, trial_kernel_groups=" | ".join(" ".join(g) for g in groups),
                     trial_replicate_noise_json=json.dumps({k: round(v, 6) for k, v in noise.items()}),
                     trial_distance_scales_json=json.dumps({k: round(v, 6) for k, v in scales.items()}))
    return out


def _combined(posterior: xr.Dataset, sim: TrialSimulator, df, w: np.ndarray, gens: list[dict], ranges: dict,
              seconds: float, particles: int, trial_pupils: int, moved: list[str]) -> xr.Dataset:
    """The trial stage's particles with the area draw each ran with; the area stage's run record kept."""
    rows = known_rows()
    fitted = [sim.fitted({c: float(v) for c, v in zip(df.columns, values, strict=True)})
              for values in df.to_numpy(float)]
    draws = [sim.base_draw(sim.replicate(f)) for f in fitted]
    data = {}
    for n in sim.base_names:
        data[n] = ("particle", np.array([d[n] for d in draws]), dict(posterior[n].attrs))
    for c in df.columns:
        n = decode(c)
        lo, hi = ranges[n]
        data[n] = ("particle", np.array([f[n] for f in fitted]),
                   {"units": rows[n].unit, "long_name": f"posterior particles of {n} (trial stage)",
                    "prior_low": lo, "prior_high": hi})
    data["weight"] = ("particle", w / w.sum(), {"units": "1", "long_name": "importance weight (trial stage)"})
    keep = [v for v in posterior.data_vars if "particle" not in posterior[v].dims]
    out = posterior[keep].drop_dims("particle", errors="ignore").assign(data)
    out = out.assign_coords(particle=np.arange(len(df)))
    for key, units in (("epsilon", "distance"), ("samples", "simulations"), ("acceptance_rate", "1"),
                       ("effective_sample_size", "particles")):
        out[f"trial_{key}"] = ("trial_generation", [g[key] for g in gens],
                               {"units": units, "long_name": f"trial stage: {key.replace('_', ' ')} by generation"})
    out = out.assign_coords(trial_generation=[g["t"] for g in gens])
    out.attrs.update(
        parameters=" ".join([*sim.base_names, *map(decode, df.columns)]),
        trial_parameters=" ".join(map(decode, df.columns)), trial_pupils=trial_pupils, trial_particles=particles,
        trial_kernel_parameters=" ".join(moved),
        trial_runtime_s=round(seconds, 1), trial_simulations=int(sum(g["samples"] for g in gens)),
        trial_stage="routes fitted to the trial targets by ABC-SMC given the area posterior (a cut posterior, see "
                    "calibration/trial_fit.py); each particle holds the area draw its trials ran with",
        effective_sample_size=round(float(1.0 / np.sum((w / w.sum()) ** 2)), 1))
    return out


def carry_trial_parameters(posterior: xr.Dataset, *, seed: int = 1,
                           source: Path | None = None) -> xr.Dataset:
    """The posterior with the routes carried from the source (Bradford's) posterior, if it has them; else as is."""
    from .posterior import load_posterior, posterior_path

    path = source or posterior_path(SOURCE_AREA)
    if not Path(path).is_file() or posterior.attrs.get("area") == SOURCE_AREA and source is None:
        return posterior
    src = load_posterior(path)
    carried = [n for n in str(src.attrs.get("trial_parameters", "")).split() if n not in parameter_names(posterior)]
    if not carried:
        return posterior
    w = np.asarray(src["weight"].values, float)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), stable_hash("carry_trial_parameters")]))
    pick = rng.choice(w.size, size=posterior.sizes["particle"], p=w / w.sum())
    out = posterior.copy()
    for n in carried:
        attrs = dict(src[n].attrs)
        attrs["long_name"] = f"{n}: carried from {src.attrs.get('area')}'s posterior (trial stage)"
        out[n] = ("particle", np.asarray(src[n].values, float)[pick], attrs)
    out.attrs.update(parameters=" ".join([*parameter_names(posterior), *carried]),
                     trial_parameters=" ".join(carried),
                     trial_stage=f"routes carried from {src.attrs.get('area')}'s posterior ({src.attrs.get('created')})"
                                 ": one weighted draw of its route columns per particle, independent of this "
                                 "area's parameters (see calibration/trial_fit.py)")
    return out


def recarry(posterior: xr.Dataset, executor: Executor, *, draws: int = 40, source: Path | None = None) -> xr.Dataset:
    """An area posterior whose carried routes are drawn afresh from the source (after the source was re-fitted),
    with its predictive check rerun on them. A posterior whose routes were fitted in its own trial stage is refused."""
    from .predictive import with_predictive

    if "trial_simulations" in posterior.attrs:
        raise ValueError("this posterior fitted its routes in its own trial stage; re-calibrate it instead")
    old = [n for n in str(posterior.attrs.get("trial_parameters", "")).split() if n in posterior]
    stripped = posterior.drop_vars(old)
    stripped.attrs["parameters"] = " ".join(n for n in parameter_names(posterior) if n not in old)
    for key in ("trial_parameters", "trial_stage"):
        stripped.attrs.pop(key, None)
    out = carry_trial_parameters(stripped, seed=int(posterior.attrs.get("seed", 1)), source=source)
    if draws:
        out = with_predictive(out, TargetsFile.model_validate_json(out.attrs["targets_json"]), executor, draws=draws)
    return out
