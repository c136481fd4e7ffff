"""Shared fixtures: a small Keighley Central population, so every test runs real code paths quickly."""

from __future__ import annotations

import pytest
from actlocally.model.scenario import Scenario

SMALL_PUPILS = 1500


def small_scenario(**kw) -> Scenario:
    """A one-year Keighley Central scenario rescaled to a small population."""
    base = dict(name="small", area="keighley_central", years=1, seed=7, pupils=SMALL_PUPILS)
    base.update(kw)
    return Scenario.model_validate(base).validate_all()


@pytest.fixture
def scenario_factory():
    return small_scenario
