"""The exact regression baseline: every output of a small run of each area and each intervention, bit for bit.

`tests/baseline.json` holds, per case (area x intervention) and per output variable (every variable of
`results()`, levels, wellbeing, services and costs, and of the child microdata), a SHA-256 of the values and their
mean (so a changed baseline reads as a reviewable diff of magnitudes). `tests/test_baseline.py` recomputes every case
and requires the same hashes. When a change to the model is meant to move numbers, regenerate it deliberately and
review the diff of the means in the commit:

    make baseline          # = .venv/bin/python tests/update_baseline.py

Hashes are of compiled floating point: a host with another instruction set (fastmath reductions) may differ in the
last bit; regenerate there and say so in the commit.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from actlocally.model.locality import LocalityModel
from actlocally.model.scenario import Scenario

BASELINE = Path(__file__).with_name("baseline.json")
AREAS = ("bradford", "holme_wood", "keighley_central", "manningham_girlington")
INTERVENTIONS: dict[str, list[dict]] = {
    "none": [],
    "breakfast_club": [{"type": "breakfast_club", "schools": "phase == 'primary'"}],
    "mental_health_support_team": [{"type": "mental_health_support_team", "teams": 1, "schools": "all"}],
    "service_hub": [{"type": "service_hub", "schools": "all",
                     "services": ["camhs", "early_help", "food_support", "talking_therapies", "youth_service"]}],
    "glasses_in_classes": [{"type": "glasses_in_classes", "schools": "phase == 'primary'"}],
    "supervised_toothbrushing": [{"type": "supervised_toothbrushing", "schools": "phase == 'primary'"}],
    "holiday_activities_and_food": [{"type": "holiday_activities_and_food", "schools": "all"}],
    "tuition": [{"type": "tuition", "schools": "all"}],
    "parental_engagement": [{"type": "parental_engagement", "schools": "all"}],
}
PUPILS = 800


def case_scenario(area: str, intervention: str) -> Scenario:
    """One small case: an area, one intervention (or none), two years so year progression is covered."""
    return Scenario.model_validate({
        "name": f"regression_{area}_{intervention}", "area": area, "years": 2, "seed": 7, "pupils": PUPILS,
        "interventions": INTERVENTIONS[intervention]}).validate_all()


def digest(values: np.ndarray) -> str:
    """SHA-256 of the values in a canonical little-endian layout (floats as float64, one NaN pattern)."""
    a = np.asarray(values)
    if a.dtype.kind == "f":
        a = np.where(np.isnan(a), np.nan, a.astype("<f8"))
    elif a.dtype.kind in "iub":
        a = a.astype("<i8")
    return hashlib.sha256(np.ascontiguousarray(a).tobytes() + str(a.shape).encode()).hexdigest()


def case_summary(area: str, intervention: str) -> dict[str, dict[str, object]]:
    """{variable: {"sha256": ..., "mean": ...}} for every output variable of the case's run."""
    model = LocalityModel(case_scenario(area, intervention)).run()
    out = {}
    for prefix, ds in (("results", model.results()), ("children", model.microdata())):
        for name, var in ds.data_vars.items():
            values = np.asarray(var.values)
            finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
            mean = float(np.mean(finite)) if finite.size else None
            out[f"{prefix}.{name}"] = {"sha256": digest(values), "mean": None if mean is None else float(f"{mean:.9g}")}
    model.release()
    return out


def baseline_cases() -> list[tuple[str, str]]:
    return [(a, i) for a in AREAS for i in INTERVENTIONS]


def all_summaries() -> dict[str, dict[str, dict[str, object]]]:
    return {f"{a}/{i}": case_summary(a, i) for a, i in baseline_cases()}


if __name__ == "__main__":
    BASELINE.write_text(json.dumps(all_summaries(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {BASELINE}")
