"""Regenerate tests/baseline.json from a fixed small Keighley Central year. Run it deliberately; review the diff.

    .venv/bin/python tests/update_baseline.py
"""

from __future__ import annotations

import json
from pathlib import Path

from actlocally.model.locality import LocalityModel
from actlocally.model.scenario import Scenario

BASELINE = Path(__file__).with_name("baseline.json")
SUMMARY_VARS = ("attendance_rate_year", "persistent_absence_rate_year", "severe_absence_rate_year",
                "expected_standard_share_year", "progress_months_year")


def baseline_summary() -> dict[str, dict[str, float]]:
    """Year-end outcomes by group for the fixed run (1,500 pupils, seed 7, breakfast clubs in primaries)."""
    sc = Scenario.model_validate({
        "name": "regression", "area": "keighley_central", "years": 1, "seed": 7, "pupils": 1500,
        "interventions": [{"type": "breakfast_club", "schools": "phase == 'primary'"}],
    }).validate_all()
    ds = LocalityModel(sc).run().results().isel(year=0)
    return {v: {str(g): round(float(ds[v].sel(group=g)), 6) for g in ds["group"].values} for v in SUMMARY_VARS}


if __name__ == "__main__":
    BASELINE.write_text(json.dumps(baseline_summary(), indent=2, sort_keys=True) + "\n")
    print(f"wrote {BASELINE}")
