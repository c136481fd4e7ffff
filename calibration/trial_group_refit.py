"""Re-fit one group of trial routes in a stored posterior, every particle's other values kept as stored.

Why: after a route is added to one intervention (the breakfast club's older-pupil enrolment, say) only the trials
that anchor its group need re-running. The trial stage's route groups are independent given the area draw
(`trial_targets.route_groups`: no trial moves routes of two groups), so the group is fitted afresh by ABC-SMC to the
targets of the trials that anchor it, each particle's other values (its area draw and the other groups' routes)
drawn from the stored posterior's weighted particles. A trial in another group never runs: a breakfast refit costs
its two trials a particle, not all nine.

The stored posterior keeps the full trial stage's record (generations, epsilon, simulations); this refit's record
is appended to `trial_group_refits_json`, and its distance scales replace those of its trials. pyabc's history is
kept beside the posterior (`<area>.<first trial>.trials.db`), so the refit resumes like the full stage.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import xarray as xr
from actlocally.runtime.executor import Executor

from .posterior import parameter_names
from .predictive import with_predictive
from .targets import TargetsFile
from .trial_fit import fit_trials
from .trial_refit import check_same_area_targets
from .trial_targets import TRIAL_PARAMETERS, TRIAL_ROUTES, route_groups, split_name

# the run record a refit leaves in the posterior's attributes; the full stage's values are put back over it
STAGE_ATTRS = ("trial_runtime_s", "trial_simulations", "trial_particles", "trial_pupils", "trial_kernel_width",
               "trial_kernel_groups", "trial_kernel_parameters", "trial_stage")


def route_group(targets: TargetsFile, specs: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the routes of the groups holding the named trials' routes, every fitted trial anchoring those routes)."""
    fitted = list(dict.fromkeys(split_name(k)[0] for k, t in targets.trial_targets().items() if t.fit))
    specs = list(dict.fromkeys(specs))
    unknown = [s for s in specs if s not in fitted]
    if unknown:
        raise ValueError(f"no fitted trial target of {', '.join(unknown)} in the targets file (fitted: "
                         f"{', '.join(fitted) or 'none'})")
    wanted = {r for s in specs for r in TRIAL_ROUTES.get(s, ())}
    routes = tuple(r for g in route_groups(fitted, TRIAL_PARAMETERS) if wanted & set(g) for r in g)
    if not routes:
        raise ValueError(f"{', '.join(specs)}: no route of the model is anchored by these trials")
    return routes, tuple(s for s in fitted if set(TRIAL_ROUTES.get(s, ())) & set(routes))


def refit_route_group(posterior: xr.Dataset, targets: TargetsFile, specs: Iterable[str], executor: Executor, *,
                      seed: int, particles: int, populations: int, trial_pupils: int, draws: int, out_dir: Path,
                      on_generation: Callable[[dict], None] | None = None, resume: bool = False) -> xr.Dataset:
    """The stored posterior with the route group of `specs` re-fitted to the trials anchoring it (the rest of each
    particle drawn from the stored posterior), and its predictive check rerun on every target."""
    check_same_area_targets(posterior, targets)
    if "trial_simulations" not in posterior.attrs:
        raise ValueError("this posterior has no trial stage of its own to refit a group of (fit it first)")
    routes, anchored = route_group(targets, specs)
    area = str(posterior.attrs["area"])
    sub = TargetsFile(area=targets.area, targets=targets.targets, trials={s: targets.trials[s] for s in anchored})
    old_record = [v for v in posterior.data_vars if "trial_generation" in posterior[v].dims]
    base = posterior.drop_vars([*[r for r in routes if r in posterior], *old_record], errors="ignore")
    base = base.drop_dims(["trial_generation", "target", "sample"], errors="ignore")  # the predictive check, rerun
    base.attrs["parameters"] = " ".join(n for n in parameter_names(posterior) if n not in routes)
    out = fit_trials(base, sub, area, executor, seed=seed, particles=particles, populations=populations,
                     trial_pupils=trial_pupils, parameters=routes, on_generation=on_generation, out_dir=out_dir,
                     name=f"{area}.{anchored[0]}", resume=resume)
    record = {"routes": list(routes), "trials": list(anchored), "particles": particles, "pupils": trial_pupils,
              "generations": [{"t": int(t), "epsilon": round(float(e), 4), "effective_sample_size": round(float(s), 1),
                               "simulations": int(n)}
                              for t, e, s, n in zip(out["trial_generation"].values, out["trial_epsilon"].values,
                                                    out["trial_effective_sample_size"].values,
                                                    out["trial_samples"].values, strict=True)],
              "simulations": int(out.attrs["trial_simulations"]), "runtime_s": out.attrs["trial_runtime_s"],
              "created": datetime.now(UTC).isoformat(timespec="seconds")}
    out = out.drop_vars([v for v in out.data_vars if "trial_generation" in out[v].dims]).drop_dims("trial_generation")
    out = out.assign({v: posterior[v] for v in old_record})
    noise, scales = (json.loads(posterior.attrs.get(k, "{}")) | json.loads(out.attrs[k])
                     for k in ("trial_replicate_noise_json", "trial_distance_scales_json"))
    stored = str(posterior.attrs.get("trial_parameters", "")).split()
    out.attrs.update({k: posterior.attrs[k] for k in STAGE_ATTRS if k in posterior.attrs})
    out.attrs.update(
        trial_parameters=" ".join([*stored, *(r for r in routes if r not in stored)]),
        trial_replicate_noise_json=json.dumps(noise), trial_distance_scales_json=json.dumps(scales),
        trial_group_refits_json=json.dumps([*json.loads(posterior.attrs.get("trial_group_refits_json", "[]")),
                                            record]))
    out.attrs["trial_stage"] = (f"{posterior.attrs.get('trial_stage', '')}; then routes {', '.join(routes)} re-fitted "
                                f"to {', '.join(anchored)} given the rest of each particle (trial_group_refits_json)")
    return with_predictive(out, targets, executor, draws=draws) if draws else out
