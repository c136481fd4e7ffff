"""Same seed, same numbers; different seed, different numbers; adding an intervention reshuffles nobody's luck."""

import numpy as np
import xarray as xr
from actlocally.experiments.compare.runner import run_scenario
from actlocally.model.locality import LocalityModel
from actlocally.model.rng import Streams, fill_uniforms, uniforms
from actlocally.runtime.storage import write_netcdf_atomic


def test_same_seed_identical_netcdf_and_different_seed_differs(tmp_path, scenario_factory):
    sc = scenario_factory()
    paths = []
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        ds, _ = run_scenario(sc, seed=seed, replicates=2)
        paths.append(write_netcdf_atomic(ds, tmp_path / f"{name}.nc"))
    a, b, c = (xr.open_dataset(p) for p in paths)
    xr.testing.assert_identical(a, b)
    assert not np.allclose(a["attendance_rate"].values, c["attendance_rate"].values)
    # replicates differ from each other
    assert not np.allclose(a["attendance_rate"].isel(replicate=0), a["attendance_rate"].isel(replicate=1))


def test_named_streams_are_independent_and_stable():
    s1, s2 = Streams(5, 0), Streams(5, 0)
    assert s1["hunger"] == s2["hunger"]
    assert s1["hunger"] != s1["attendance"]
    assert s1["hunger"] != Streams(5, 1)["hunger"]
    u, v = uniforms(s1["hunger"], 3, 50_000), uniforms(s1["attendance"], 3, 50_000)
    assert abs(np.corrcoef(u, v)[0, 1]) < 0.02
    assert abs(u.mean() - 0.5) < 0.01



def test_a_block_of_draws_made_at_once_is_the_rows_own_draws():
    """The passes draw a block of rows at once (vectorised): the same numbers as each row's own draw, for a block
    starting anywhere and shorter than its buffer; the buffer's tail is left alone."""
    key = Streams(5, 0)["wellbeing"]
    every = uniforms(key, 11, 1_000)
    out = np.full(256, -1.0)
    fill_uniforms(key, 11, 700, 37, out)
    assert np.array_equal(out[:37], every[700:737])
    assert (out[37:] == -1.0).all()

def test_intervention_does_not_reshuffle_untouched_children(scenario_factory):
    # a breakfast club in one school: children in the other schools see exactly the same first day
    base = LocalityModel(scenario_factory())
    first = base.school_agents[0].name
    club = {"type": "breakfast_club", "schools": [first], "p_enrol": 1.0}
    with_club = LocalityModel(scenario_factory(interventions=[club]))
    base.step()
    with_club.step()
    other = base.children.school != 0
    for name in ("present", "difficulty", "attainment_z"):
        assert np.array_equal(getattr(base.children, name)[other], getattr(with_club.children, name)[other])
