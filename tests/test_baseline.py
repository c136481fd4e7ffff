"""Every output of a small run of each area and intervention is bit for bit the stored baseline (tests/baseline.json).

A change that moves numbers must regenerate the file deliberately (`make baseline`) and show the diff of the means.
"""

import json

import pytest
from update_baseline import BASELINE, baseline_cases, case_summary

STORED = json.loads(BASELINE.read_text())


@pytest.mark.parametrize(("area", "intervention"), baseline_cases())
def test_case_matches_stored_baseline_exactly(area, intervention):
    stored = STORED[f"{area}/{intervention}"]
    now = case_summary(area, intervention)
    assert sorted(now) == sorted(stored), "output variables added or removed: regenerate with `make baseline`"
    changed = {k: (stored[k]["mean"], now[k]["mean"]) for k in stored if now[k]["sha256"] != stored[k]["sha256"]}
    assert changed == {}, f"outputs changed (stored mean, now mean); if meant, `make baseline`: {changed}"


def test_every_case_is_stored():
    assert sorted(STORED) == sorted(f"{a}/{i}" for a, i in baseline_cases())
