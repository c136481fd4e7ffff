"""A fixed small run reproduces the stored summary (tests/baseline.json); regenerate it deliberately."""

import json

import pytest
from update_baseline import BASELINE, baseline_summary


def test_fixed_run_matches_stored_baseline():
    stored = json.loads(BASELINE.read_text())
    now = baseline_summary()
    assert now.keys() == stored.keys()
    for var, groups in stored.items():
        for group, value in groups.items():
            # tolerance covers last-bit differences in compiled floating point between machines, not model changes
            assert now[var][group] == pytest.approx(value, rel=2e-3, abs=2e-3), (var, group)
