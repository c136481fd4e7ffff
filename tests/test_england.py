"""England at scale: the partition into localities, locality rules, and the gathered `locality` result."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from actlocally.experiments.cli import app
from actlocally.experiments.scale.localities import locality_runs
from actlocally.experiments.scale.run import national, run_partitioned
from actlocally.model.area import AREAS_DIR, load_area
from actlocally.model.errors import InputError
from actlocally.model.interventions.targeting import LOCALITY_FIELDS
from actlocally.model.partition import VARYING_SHARES, partition, select_localities
from actlocally.model.scenario import load_scenario
from actlocally.model.synthesis import synthesise
from actlocally.runtime.executor import Executor
from actlocally.runtime.storage import write_netcdf_atomic
from typer.testing import CliRunner

CLUB = """
[[interventions]]
type = "breakfast_club"
schools = "all"
localities = "{rule}"
"""


def tiny_england(tmp_path: Path, localities: int = 3, pupils: int = 900, rule: str | None = None) -> Path:
    """England's profile cut to a few localities and a few hundred pupils each, with a scenario on it."""
    text = (AREAS_DIR / "england.toml").read_text()
    text = re.sub(r"(?m)^localities = 150$", f"localities = {localities}", text)
    (tmp_path / "tiny_england.toml").write_text(text)
    scenario = f'name = "tiny"\narea = "tiny_england.toml"\npupils = {pupils}\nseed = 5\n'
    if rule is not None:
        scenario += CLUB.format(rule=rule)
    path = tmp_path / "tiny.toml"
    path.write_text(scenario)
    return path


def test_partition_keeps_national_figures_and_is_reproducible():
    area = load_area("england")
    locs = partition(area, 20261123)
    assert len(locs) == 150
    pupils = np.array([loc.pupils for loc in locs], float)
    assert abs(pupils.sum() - 9.08e6) < 1e3  # rounding per locality only
    assert 30_000 < np.median(pupils) < 90_000  # local-authority sized
    for field, (_, _, rule) in VARYING_SHARES.items():
        shares = np.array([loc.shares[rule] for loc in locs])
        assert np.average(shares, weights=pupils) == pytest.approx(getattr(area.shares, field).value, abs=1e-4)
        assert shares.std() > 0.01, field  # they do vary between localities
    fsm = np.array([loc.shares["fsm_share"] for loc in locs])
    low_income = np.array([loc.shares["low_income_share"] for loc in locs])
    assert np.corrcoef(fsm, low_income)[0, 1] > 0.99  # one deprivation factor
    again = partition(area, 20261123)
    assert [loc.profile for loc in again] == [loc.profile for loc in locs]
    other = partition(area, 1)
    assert [loc.pupils for loc in other] != [loc.pupils for loc in locs]
    assert set(LOCALITY_FIELDS) == {"name", "pupils", "deprivation_z", *(r for _, _, r in VARYING_SHARES.values())}


def test_locality_rule_picks_the_right_localities():
    locs = partition(load_area("england"), 20261123)
    picked = select_localities("fsm_share >= 0.3", locs)
    assert [loc.name for loc in picked] == [loc.name for loc in locs if loc.shares["fsm_share"] >= 0.3]
    assert 0 < len(picked) < len(locs)
    both = select_localities("fsm_share >= 0.3 and pupils < 60000", locs)
    assert {loc.name for loc in both} == {loc.name for loc in picked if loc.pupils < 60000}
    assert select_localities("all", locs) == locs
    assert [loc.name for loc in select_localities(["la_002", "la_007"], locs)] == ["la_002", "la_007"]
    with pytest.raises(ValueError, match="unknown locality field 'disadvantaged_share'.*allowed: name, pupils"):
        select_localities("disadvantaged_share >= 0.3", locs)
    with pytest.raises(ValueError, match="unknown locality name"):
        select_localities(["la_999"], locs)


def test_interventions_run_only_in_the_localities_their_rule_picks(tmp_path):
    path = tiny_england(tmp_path, localities=6, pupils=1200, rule="fsm_share >= 0.25")
    text = path.read_text() + '\n[parameters]\n"breakfast_club.p_attend_per_day" = 0.5\n'
    path.write_text(text.replace('seed = 5\n', 'seed = 5\n', 1))
    sc = load_scenario(path)
    runs = locality_runs(sc)
    for run in runs:
        has_club = [p.type for p in run.scenario.intervention_params] == ["breakfast_club"]
        assert has_club == (run.locality.shares["fsm_share"] >= 0.25)
        assert run.scenario.parameters == ({"breakfast_club.p_attend_per_day": 0.5} if has_club else {})
    assert 0 < sum(bool(r.scenario.interventions) for r in runs) < len(runs)
    assert len({r.seed for r in runs}) == len(runs)  # each locality has its own streams


def test_bad_locality_rule_is_an_input_error(tmp_path):
    path = tiny_england(tmp_path, rule="fsm >= 0.3")
    with pytest.raises(InputError, match=r"interventions\[0\].*localities.*unknown locality field 'fsm'"):
        load_scenario(path)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    path = tiny_england(tmp_path_factory.mktemp("england"), rule="fsm_share >= 0.25")
    sc = load_scenario(path)
    return sc, run_partitioned(sc)


def test_gathered_result_has_a_locality_dimension_with_units(tiny_run, tmp_path):
    sc, ds = tiny_run
    assert ds.sizes["locality"] == 3 and ds.sizes["replicate"] == 1
    assert list(ds["locality"].values) == ["la_000", "la_001", "la_002"]
    for name in ds.data_vars:
        assert {"units", "long_name"} <= set(ds[name].attrs), name
    for name in ds.coords:
        if name.startswith("locality"):
            assert {"units", "long_name"} <= set(ds[name].attrs), name
    assert "school" not in ds.dims
    assert int(ds["pupils"].isel(term=0).sel(group="all").sum()) == ds.attrs["pupils_simulated"]
    club = ds["locality_fsm_share"] >= 0.25
    cost = ds["cost_gbp"].sel(intervention="breakfast_club").sum("term").isel(replicate=0)
    assert bool(club.any()) and not bool(club.all())
    assert bool((cost.where(club, drop=True) > 0).all()) and bool((cost.where(~club, drop=True) == 0).all())
    written = write_netcdf_atomic(ds, tmp_path / "england.nc")
    with xr.open_dataset(written, engine="h5netcdf") as back:
        assert back["attendance_rate"].dims == ("replicate", "locality", "term", "group")
        assert back["locality_fsm_share"].attrs["units"] == "1"
    nat = national(ds)
    share = nat["attendance_rate_year"].sel(group="all").item()
    per_loc = ds["attendance_rate_year"].sel(group="all").values.ravel()
    assert per_loc.min() <= share <= per_loc.max()


def test_the_same_numbers_for_any_number_of_workers(tiny_run):
    sc, serial = tiny_run
    for workers in (1, 2):
        with Executor(workers) as ex:
            ds = run_partitioned(sc, executor=ex)
            settings = ex.client.run(_worker_settings)  # what the workers ran with (runtime/executor.py)
        xr.testing.assert_identical(serial.drop_attrs(), ds.drop_attrs())
        assert len(settings) == workers
        assert all(s == (False, None, 1) for s in settings.values()), settings


def _worker_settings() -> tuple:
    """(Dask profiler on, MALLOC_TRIM_THRESHOLD_, numba threads) inside a worker."""
    import os

    import dask
    import numba

    return (dask.config.get("distributed.worker.profile.enabled"), os.environ.get("MALLOC_TRIM_THRESHOLD_"),
            numba.config.NUMBA_NUM_THREADS)


def test_run_command_on_a_partitioned_area(tmp_path):
    path = tiny_england(tmp_path)
    out = tmp_path / "out.nc"
    runner = CliRunner()
    res = runner.invoke(app, ["run", str(path), "--workers", "0", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "3 localities" in res.output
    with xr.open_dataset(out, engine="h5netcdf") as ds:
        assert ds.sizes["locality"] == 3
    res = runner.invoke(app, ["run", str(path), "--workers", "0", "--children", str(tmp_path / "kids.nc")])
    assert res.exit_code == 2 and "partitioned" in res.output
    assert not (tmp_path / "kids.nc").exists()


def test_a_nation_needs_a_partition(tmp_path):
    text = (AREAS_DIR / "england.toml").read_text().split("# ---------------------------------------------------"
                                                         "------------- partition")[0]
    (tmp_path / "bad.toml").write_text(text)
    with pytest.raises(InputError, match="needs a \\[partition\\] table"):
        load_area(tmp_path / "bad.toml")


def test_bench_population_scales_schools_with_pupils():
    from actlocally.experiments.bench.population import bench_scenario
    from actlocally.model.params import DEFAULTS

    area = load_area("keighley_central")
    n_schools = area.schools.primary.value + area.schools.secondary.value
    n_pupils = area.pupils.primary.value + area.pupils.secondary.value
    for factor in (2.0, 0.5):
        sc = bench_scenario("baseline_keighley_central", int(n_pupils * factor))
        profile = sc.area_profile
        assert profile.pupils.primary.value + profile.pupils.secondary.value == pytest.approx(n_pupils * factor, abs=2)
        assert profile.capacity.camhs_new_cases_per_week.value == pytest.approx(
            area.capacity.camhs_new_cases_per_week.value * factor)
        pop = synthesise(profile, DEFAULTS, np.random.default_rng(1))
        assert len(pop.schools) == pytest.approx(n_schools * factor, abs=1.0)


def test_england_bench_reports_a_tiny_england_in_process(tmp_path):
    from actlocally.experiments.bench.england import run_england_benchmark

    figures = run_england_benchmark(scenario=str(tiny_england(tmp_path)), workers=0)
    assert figures["localities"] == 3 and 850 <= figures["pupils"] <= 950
    assert figures["peak_memory_mb"] >= figures["peak_main_memory_mb"] * 0.5 > 0
    assert figures["worker_cpu_s"] > 0 and len(figures["load_average_start"]) == 3
    res = CliRunner().invoke(app, ["bench", "--scale", "wales", "--json"])
    assert res.exit_code == 2 and "allowed: district, england" in res.output


def test_a_partitioned_area_is_not_built_as_one_model(tmp_path):
    from actlocally.model.locality import LocalityModel

    with pytest.raises(InputError, match="partitioned into 3 localities"):
        LocalityModel(load_scenario(tiny_england(tmp_path)))


def test_locality_rule_on_an_area_without_localities_is_an_input_error(tmp_path):
    path = tmp_path / "club.toml"
    path.write_text('name = "club"\narea = "keighley_central"\n' + CLUB.format(rule="fsm_share >= 0.3"))
    with pytest.raises(InputError, match=r"interventions\[0\].localities.*not partitioned"):
        load_scenario(path)
