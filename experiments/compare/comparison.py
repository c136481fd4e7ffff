"""Comparisons: several scenarios, each paired with its area's baseline, run R times under common random numbers.

Replicate r of every scenario uses the same seed and replicate number, so the same named random streams
(`model.rng.Streams`): the same synthetic population, the same illnesses, the same luck. The difference between
a scenario and its baseline within a replicate is then the intervention's effect, not noise.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import actlocally
import numpy as np
import xarray as xr
from actlocally.calibration.posterior import draw, has_posterior, load_posterior, posterior_id, scenario_draw
from actlocally.model.area import read_toml
from actlocally.model.errors import InputError, from_validation_error
from actlocally.model.locality import LocalityModel
from actlocally.model.metadata import git_commit
from actlocally.model.provenance import code_digest, parameters_json, scenario_inputs
from actlocally.model.scenario import SCENARIOS_DIR, Scenario, builtin_scenarios, load_scenario
from actlocally.model.strict import MAX_LIST, MAX_PUPILS, MAX_SEED, SAFE_NAME, Integer, ShortText, Text
from actlocally.runtime.executor import Executor
from actlocally.runtime.run_store import PrepareReport, RunStore, fingerprint
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, Strict, ValidationError

Ref = Annotated[str, Strict(), Field(min_length=1, max_length=1000)]

COMPARISONS_DIR = SCENARIOS_DIR / "comparisons"


class ComparisonFile(BaseModel):
    """A comparison as written in TOML: baselines (one per area) and the scenarios to set against them."""

    model_config = ConfigDict(extra="forbid")
    name: ShortText = Field(pattern=SAFE_NAME, max_length=80, description="also the output folder: outputs/<name>/")
    title: ShortText = ""
    description: Text = ""
    baselines: list[Ref] = Field(min_length=1, max_length=MAX_LIST, description="scenario names or paths; one per area")
    scenarios: list[Ref] = Field(min_length=1, max_length=MAX_LIST,
                                 description="scenario names or paths, paired with their area baseline")
    replicates: Integer = Field(20, ge=1, le=100_000)
    seed: Integer | None = Field(None, ge=0, le=MAX_SEED,
                                 description="one seed for every scenario (default: the first baseline's)")
    pupils: Integer | None = Field(None, ge=100, le=MAX_PUPILS, description="rescale every area to this many pupils")
    _path: Path | None = PrivateAttr(None)


@dataclasses.dataclass
class Plan:
    """A validated comparison: the scenarios in order, each one's baseline, and the shared seed and sizes."""

    name: str
    scenarios: dict[str, Scenario]
    baseline_of: dict[str, str]
    replicates: int
    seed: int
    pupils: int | None = None
    title: str = ""
    description: str = ""
    posteriors: dict[str, xr.Dataset] = dataclasses.field(default_factory=dict)  # by area

    @property
    def arms(self) -> list[str]:
        """Scenarios that are not baselines."""
        return [s for s, b in self.baseline_of.items() if s != b]


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One run: small enough to send to a worker, which builds the model itself."""

    scenario: Scenario
    seed: int
    replicate: int
    pupils: int | None = None
    parameters: tuple[tuple[str, float], ...] = ()  # overrides, e.g. a posterior draw


def simulate(spec: RunSpec) -> xr.Dataset:
    """Build and run one model (on whichever worker gets the task); return its results Dataset."""
    model = LocalityModel(spec.scenario, seed=spec.seed, replicate=spec.replicate, pupils=spec.pupils,
                          parameters=dict(spec.parameters))
    results = model.run().results()
    model.release()
    return results


def _resolve(ref: str, base_dir: Path | None, path: Path | None, field: str) -> Scenario:
    """A scenario reference: a path (relative to the comparison file) or the name of a built-in scenario."""
    candidates = [Path(ref)] + ([base_dir / ref] if base_dir else [])
    found = next((c for c in candidates if _is_file(c)), None)
    if found is None and re.fullmatch(SAFE_NAME, ref) and (SCENARIOS_DIR / f"{ref}.toml").is_file():
        found = SCENARIOS_DIR / f"{ref}.toml"
    if found is None:
        names = ", ".join(p.stem for p in builtin_scenarios())
        raise InputError(path, field, f"no scenario '{ref}': give a scenario file path or a built-in name ({names})")
    return load_scenario(found)


def _is_file(path: Path) -> bool:
    """`path.is_file()` that answers False for names the OS cannot take (NUL bytes, too long)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def plan_comparison(baselines: list[Scenario], scenarios: list[Scenario], *, name: str, replicates: int,
                    seed: int | None = None, pupils: int | None = None, path: Path | None = None,
                    title: str = "", description: str = "") -> Plan:
    """Pair each scenario with its area's baseline and check the pairs can be compared."""
    if not re.fullmatch(SAFE_NAME, name) or len(name) > 80:
        raise InputError(path, "name", "a comparison name is letters, digits, '_' and '-' (it names the output "
                         "folder, so no '/', '..' or spaces), at most 80 characters")
    by_area: dict[str, Scenario] = {}
    for i, b in enumerate(baselines):
        if b.area in by_area:
            raise InputError(path, f"baselines[{i}]", f"two baselines for area '{b.area}' ({by_area[b.area].name}, "
                             f"{b.name}); give one baseline per area")
        by_area[b.area] = b
    ordered: dict[str, Scenario] = {b.name: b for b in baselines}
    baseline_of = {b.name: b.name for b in baselines}
    for i, s in enumerate(scenarios):
        field = f"scenarios[{i}]"
        if s.name in ordered:
            raise InputError(path, field, f"scenario '{s.name}' is listed twice; names must be unique")
        base = by_area.get(s.area)
        if base is None:
            raise InputError(path, field, f"no baseline for area '{s.area}' of scenario '{s.name}'; baselines cover: "
                             f"{', '.join(by_area)}")
        for attr in ("years", "first_year") + (() if pupils else ("pupils",)):
            if getattr(s, attr) != getattr(base, attr):
                raise InputError(path, field, f"'{s.name}' has {attr} = {getattr(s, attr)} but its baseline "
                                 f"'{base.name}' has {getattr(base, attr)}; paired runs need the same {attr}")
        ordered[s.name] = s
        baseline_of[s.name] = base.name
    if len(ordered) == len(baselines):
        raise InputError(path, "scenarios", "nothing to compare: list at least one scenario besides the baselines")
    return Plan(name=name, scenarios=ordered, baseline_of=baseline_of, replicates=replicates,
                seed=baselines[0].seed if seed is None else seed, pupils=pupils, title=title,
                description=description)


def load_comparison(path: Path | str, *, replicates: int | None = None, seed: int | None = None,
                    pupils: int | None = None) -> Plan:
    """Read and validate a comparison file; command-line options override its settings."""
    path = Path(path)
    if not path.exists() and (COMPARISONS_DIR / f"{path}.toml").is_file():
        path = COMPARISONS_DIR / f"{path}.toml"
    data = read_toml(path)
    try:
        spec = ComparisonFile.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(path, err) from None
    baselines = [_resolve(r, path.parent, path, f"baselines[{i}]") for i, r in enumerate(spec.baselines)]
    arms = [_resolve(r, path.parent, path, f"scenarios[{i}]") for i, r in enumerate(spec.scenarios)]
    return plan_comparison(baselines, arms, name=spec.name, replicates=replicates or spec.replicates,
                           seed=spec.seed if seed is None else seed, pupils=pupils or spec.pupils, path=path,
                           title=spec.title, description=spec.description)


def is_comparison_file(path: Path | str) -> bool:
    """True for a comparison file (it lists `scenarios`), False for a scenario file."""
    path = Path(path)
    if not path.exists() and (COMPARISONS_DIR / f"{path}.toml").is_file():
        return True
    return path.suffix == ".toml" and path.is_file() and "scenarios" in read_toml(path)


def run_comparison(plan: Plan, executor: Executor, out_dir: Path,
                   on_progress: Callable[[int, int], None] | None = None,
                   on_message: Callable[[str], None] | None = None) -> xr.Dataset:
    """Run every (scenario, replicate) not already in `out_dir/runs.zarr`, then assemble the comparison.

    Finished runs are stored as they arrive, so rerunning after an interruption skips them; the final Dataset is
    always read back from the store, so resumed and uninterrupted batches give identical results. A stored run is
    reused only if everything that determines its numbers is unchanged (`model.provenance`: resolved parameters
    and posterior draw, area content, interventions, seed, population, replicate, model code) and its checksum
    holds; `on_message` hears how many were reused, e.g. "12 of 300 runs reused, 288 to run".
    """
    store = RunStore(out_dir / "runs.zarr")
    todo: list[tuple[str, RunSpec, str]] = []
    report = PrepareReport()
    code = code_digest()
    for name, sc in plan.scenarios.items():
        post = plan.posteriors.get(sc.area)
        # the model's code is in `scenario_inputs` (a hash of its files): a new release alone reruns nothing
        key = fingerprint(scenario_inputs(sc, seed=plan.seed, pupils=plan.pupils, code=code),
                          posterior_id(post) if post is not None else None)
        draws = {r: _draw(post, plan.seed, r, sc) for r in range(plan.replicates)}
        run_keys = {r: fingerprint(key, r, draws[r]) for r in draws}
        done = store.prepare(name, key, run_keys)
        report.add(store.report)
        todo += [(name, RunSpec(sc, plan.seed, r, plan.pupils, draws[r]), run_keys[r])
                 for r in range(plan.replicates) if r not in done]
    total = len(plan.scenarios) * plan.replicates
    finished = total - len(todo)
    if on_message:
        on_message(report.message(total))
    if on_progress:
        on_progress(finished, total)
    for i, ds in executor.map_unordered(simulate, [spec for _, spec, _ in todo]):
        name, spec, run_key = todo[i]
        store.put(name, spec.replicate, ds, key=run_key)
        finished += 1
        if on_progress:
            on_progress(finished, total)
    return assemble(plan, store)


def _draw(posterior: xr.Dataset | None, seed: int, replicate: int, sc: Scenario) -> tuple[tuple[str, float], ...]:
    """Replicate r's parameters from the area's posterior (the same draw for every scenario of the area), less the
    values this scenario sets itself (`scenario_draw`)."""
    return () if posterior is None else tuple(sorted(scenario_draw(posterior, seed, replicate, sc).items()))


def attach_posteriors(plan: Plan, choice: str | None = "auto") -> Plan:
    """Parameters per replicate: 'auto' uses each area's stored posterior if it has one, 'none' the defaults, and
    an area name or .nc path that posterior for every scenario."""
    areas = {sc.area for sc in plan.scenarios.values()}
    if choice in (None, "auto"):
        plan.posteriors = {a: load_posterior(a) for a in areas if has_posterior(a)}
    elif choice == "none":
        plan.posteriors = {}
    else:
        post = load_posterior(choice)
        plan.posteriors = dict.fromkeys(areas, post)
    return plan


def assemble(plan: Plan, store: RunStore) -> xr.Dataset:
    """One Dataset with a `scenario` dimension (outer join over schools, services and interventions)."""
    reps = list(range(plan.replicates))
    parts = []
    for name, sc in plan.scenarios.items():
        ds = store.load(name, reps)
        run = ds.attrs
        ds = ds.drop_vars("sessions_per_day")
        ds = ds.assign_coords(school_phase=ds["school_phase"].astype(str), service_kind=ds["service_kind"].astype(str))
        scenario_coords = {
            "baseline": plan.baseline_of[name], "area": sc.area, "description": sc.description,
            "scenario_title": sc.title, "headline": ", ".join(sc.headline),
            "years": sc.years, "population_scale": run["population_scale"],
            "pupils_simulated": run["pupils_simulated"], "interventions": run["interventions"],
            "scenario_json": run["scenario_json"], "parameters_json": parameters_json(sc),
            "posterior": posterior_id(plan.posteriors[sc.area]) if sc.area in plan.posteriors else "none",
            "posterior_path": str(plan.posteriors[sc.area].attrs.get("source_path", ""))
            if sc.area in plan.posteriors else "",
            "area_profile_json": run["area_profile_json"],  # a brief can then name the area's sources anywhere
        }
        post = plan.posteriors.get(sc.area)
        if post is not None:  # the parameters each replicate ran with (the same for every scenario of the area)
            draws = [draw(post, plan.seed, r) for r in reps]
            ds["posterior_draw"] = xr.DataArray([list(d.values()) for d in draws], dims=("replicate", "parameter"),
                                                coords={"parameter": list(draws[0])},
                                                attrs={"long_name": "parameter values drawn from the posterior"})
        ds = ds.expand_dims(scenario=[name]).assign_coords({k: ("scenario", [v]) for k, v in scenario_coords.items()})
        ds.attrs = {}
        parts.append(ds)
    out = xr.concat(parts, dim="scenario", join="outer", coords="different", compat="equals",
                    combine_attrs="override", data_vars="all")  # variables keep units and long_name
    if "cost_gbp" in out:
        out["cost_gbp"] = out["cost_gbp"].fillna(0.0)
    for name in list(out.coords):  # text coords padded by the outer join: '' instead of NaN, so NetCDF can hold them
        if out[name].dtype == object:
            out[name] = out[name].fillna("").astype(str)
    out.attrs = {
        "title": f"actlocally comparison: {plan.name}", "comparison": plan.name, "comparison_title": plan.title,
        "description": plan.description, "seed": plan.seed, "replicates": plan.replicates,
        "pupils_override": plan.pupils or 0, "actlocally_version": actlocally.__version__,
        "git_commit": git_commit(), "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "pairing": "common random numbers: replicate r of every scenario shares seed and streams",
        "sessions_per_day": 2,
    }
    return out


def intervention_labels(one: xr.Dataset) -> list[str]:
    """A scenario's intervention labels, read from its stored scenario JSON (as the model names them)."""
    sc = Scenario.model_validate_json(str(one["scenario_json"].values))
    return [str(entry.get("label") or entry.get("type")) for entry in sc.interventions]


def scenario_slice(ds: xr.Dataset, name: str) -> xr.Dataset:
    """One scenario's results, trimmed to its own schools, services, interventions, terms and years."""
    one = ds.sel(scenario=name)
    years = int(one["years"])
    one = one.isel(year=slice(0, years), term=slice(0, 3 * years))
    keep = {}
    for dim, var in (("school", "attendance_rate_school"), ("service", "queue_length_mean")):
        if dim in one.dims:
            keep[dim] = np.asarray(one[var].notnull().any([d for d in one[var].dims if d != dim]))
    if "intervention" in one.dims:  # labels from the scenario itself (data), never split out of a joined string
        keep["intervention"] = np.isin(one["intervention"].values, intervention_labels(one))
    return one.isel(keep)
