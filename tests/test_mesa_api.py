"""The model is plain Mesa underneath: batch_run works and the parameter table is complete."""

import re
from pathlib import Path

import mesa
import numpy as np
import pytest
from actlocally.model.locality import LocalityModel
from actlocally.model.params import DEFAULTS, load_parameters


def test_batch_run_on_locality_model():
    results = mesa.batch_run(LocalityModel, parameters={"scenario": "baseline_holme_wood", "pupils": [300, 400],
                                                        "seed": 5},
                             iterations=1, max_steps=10, number_processes=1, data_collection_period=1,
                             display_progress=False)
    assert len(results) == 2 * 11  # two runs, steps 0..10 collected
    last = [r for r in results if r["Step"] == 10]
    assert all(0.5 < r["attendance_today"] <= 1.0 for r in last)


@pytest.mark.parametrize("row, problem", [
    ('value = 0.9\nprior = [0.0, 0.5]\nunit = "1"\nsource = "assumption"', "outside its prior range"),
    ('value = 0.1\nprior = [0.0, 0.5]\nunit = ""\nsource = "assumption"', "unit"),
    ('value = 0.1\nprior = [0.0, 0.5]\nunit = "1"', "source"),
    ('value = 0.1\nprior = [0.0, 0.5]\nunit = "1"\nsource = "a"\nsorce = "typo"', "sorce"),
])
def test_a_parameter_row_without_unit_source_or_prior_is_refused_by_name(tmp_path, row, problem):
    """The table's rules are enforced when a file loads (the shipped table loads at import, so it obeys them)."""
    path = tmp_path / "parameters.toml"
    path.write_text(f"[hunger.p_new]\n{row}\n")
    with pytest.raises(ValueError, match=rf"parameters.toml: parameter 'hunger.p_new':(.|\n)*{problem}"):
        load_parameters(path)


def test_every_parameter_row_is_read_by_the_model_code():
    """A row nothing reads would be calibrated and swept for nothing (its name appears in model/ code)."""
    root = Path(__file__).resolve().parent.parent / "model"
    code = "\n".join(p.read_text() for p in root.rglob("*.py"))
    unread = [k for k in DEFAULTS.rows if not re.search(rf"\b{re.escape(k.split('.', 1)[1])}\b", code)]
    assert unread == []
    assert set(DEFAULTS.free()) <= set(DEFAULTS.rows) and len(DEFAULTS.free()) >= 10


def test_no_global_randomness_in_model_code():
    pattern = re.compile(r"np\.random\.(?!SeedSequence|default_rng\(ss\)|Generator)|^import random|default_rng\(\)")
    root = Path(__file__).resolve().parent.parent / "model"
    offenders = [f"{p.name}:{i}" for p in root.rglob("*.py")
                 for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == []


def test_baseline_is_plausible_against_observed_outcomes():
    """Defaults give a baseline within a loose band of the area's observed figures (calibration comes later)."""
    m = LocalityModel("baseline_keighley_central", pupils=3000).run()
    ds = m.results()
    obs = m.area.observed
    att = float(ds["attendance_rate_year"].sel(group="all").isel(year=0))
    pa = float(ds["persistent_absence_rate_year"].sel(group="all").isel(year=0))
    assert abs(att - obs.attendance_rate.value) < 0.03
    assert abs(pa - obs.persistent_absence_rate.value) < 0.10
    prev = float(ds["child_difficulty_prevalence"].sel(group="all").isel(term=-1))
    assert abs(prev - obs.probable_disorder_share.value) < 0.08
    assert np.isfinite(ds["waiting_days_mean"].values).any()
