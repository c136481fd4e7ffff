"""What determines a run's numbers, as JSON: the model's code, resolved parameters, area, interventions, sizes.

The run store keys every stored run by a hash of these (`runtime.run_store.fingerprint`), so an edited default,
area file, intervention setting or model source file makes the affected runs run again instead of being reused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from . import params as _params
from .interventions.parameters import intervention_rows, split_overrides

MODEL_DIR = Path(__file__).resolve().parent
CODE_SUFFIXES = (".py", ".toml")


def code_digest(root: Path = MODEL_DIR) -> str:
    """A hash of every source and data file of the model package (names and bytes), read afresh each call."""
    h = hashlib.blake2b(digest_size=16)
    for path in sorted(p for p in root.rglob("*") if p.suffix in CODE_SUFFIXES and "__pycache__" not in p.parts):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.blake2b(path.read_bytes(), digest_size=16).digest())
    return h.hexdigest()


def resolved_parameters(scenario, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Every model parameter as a run uses it: the current defaults, the scenario's overrides, then `overrides`;
    and every declared intervention parameter by dotted name (`breakfast_club.p_enrol`) with its resolved value."""
    model_part, interventions = split_overrides({**scenario.parameters, **(overrides or {})},
                                                scenario.intervention_params)
    values = _params.DEFAULTS.with_overrides(model_part).as_dict()
    values.update({k: row.value for k, row in intervention_rows(interventions).items()})
    return dict(sorted(values.items()))


PRESENTATION = {"title", "headline"}  # scenario fields that change how results are told, not the runs


def scenario_inputs(scenario, *, seed: int, pupils: int | None, code: str | None = None) -> dict:
    """Everything shared by a scenario's runs that determines their numbers (all but replicate and draw)."""
    return {
        "scenario": scenario.model_dump(mode="json", exclude=PRESENTATION),
        "area": scenario.area_profile.model_dump(mode="json"),
        "interventions": [p.model_dump(mode="json") for p in scenario.intervention_params],
        "parameters": resolved_parameters(scenario),
        "seed": int(seed),
        "pupils": pupils,
        "code": code or code_digest(),
    }


def parameters_json(scenario) -> str:
    """The scenario's resolved parameters as canonical JSON (the same whatever order runs finished in)."""
    return json.dumps(resolved_parameters(scenario), sort_keys=True)
