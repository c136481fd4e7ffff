"""The scenario each locality of a partitioned area runs: its own profile, the interventions its rules pick."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from actlocally.model.errors import InputError
from actlocally.model.interventions.parameters import MODEL_GROUPS, parameter_prefix
from actlocally.model.partition import Locality, partition, select_localities
from actlocally.model.rng import stable_hash
from actlocally.model.scenario import Scenario


@dataclass(frozen=True)
class LocalityRun:
    """One locality's part of a partitioned scenario: what a worker needs to build its model."""

    locality: Locality
    scenario: Scenario
    seed: int


def is_partitioned(scenario: Scenario) -> bool:
    """Whether the scenario's area runs as localities (it has a [partition] table)."""
    return scenario.area_profile.partition is not None


def locality_seed(seed: int, name: str) -> int:
    """The seed of one locality's model: its own streams, the same in baseline and intervention runs (CRN)."""
    state = np.random.SeedSequence([int(seed), stable_hash(f"locality:{name}")]).generate_state(2, np.uint32)
    return int(state[0]) << 31 | int(state[1]) >> 1


def locality_runs(scenario: Scenario, seed: int | None = None) -> list[LocalityRun]:
    """The partition of the scenario's area for `seed`, each locality with its scenario and seed, in index order.

    An intervention runs in the localities its `localities` rule picks; parameter overrides of an intervention
    follow it (renamed if its prefix changes because a same-type intervention is absent there).
    """
    seed = scenario.seed if seed is None else seed
    area = scenario.area_profile
    if area.partition is None:
        raise InputError(scenario._path, "area", f"area '{area.name}' has no [partition] table")
    localities = partition(area, seed, scenario.pupils)
    params = scenario.intervention_params
    picked = []
    for i, p in enumerate(params):
        try:
            picked.append({loc.index for loc in select_localities(p.localities, localities)})
        except ValueError as err:
            raise InputError(scenario._path, f"interventions[{i}].localities", str(err)) from None
    full_prefix = [parameter_prefix(p, params) for p in params]
    runs = []
    for loc in localities:
        keep = [i for i in range(len(params)) if loc.index in picked[i]]
        kept_params = [params[i] for i in keep]
        rename = {full_prefix[i]: parameter_prefix(params[i], kept_params) for i in keep}
        overrides = {}
        for key, value in scenario.parameters.items():
            group, rest = key.split(".", 1)
            if group in MODEL_GROUPS:
                overrides[key] = value
            elif group in rename:
                overrides[f"{rename[group]}.{rest}"] = value
        sc = scenario.model_copy(update={"interventions": [scenario.interventions[i] for i in keep],
                                         "parameters": overrides, "pupils": None})
        sc._path, sc._area, sc._interventions = scenario._path, loc.profile, kept_params
        runs.append(LocalityRun(loc, sc, locality_seed(seed, loc.name)))
    return runs
