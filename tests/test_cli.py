"""The CLI end to end: a real run writes a real NetCDF file; bad input exits 2 with one message and no output."""

import numpy as np
import pytest
import xarray as xr
from actlocally.experiments.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def write(path, text):
    path.write_text(text)
    return path


GOOD = """
name = "tiny"
area = "keighley_central"
pupils = 800
seed = 3
[[interventions]]
type = "breakfast_club"
schools = "phase == 'primary'"
"""


def test_run_writes_results_and_microdata(tmp_path):
    sc = write(tmp_path / "tiny.toml", GOOD)
    out, kids = tmp_path / "res.nc", tmp_path / "kids.nc"
    res = runner.invoke(app, ["run", str(sc), "--replicates", "2", "--out", str(out), "--children", str(kids)])
    assert res.exit_code == 0, res.output
    ds = xr.open_dataset(out)
    assert ds.sizes["replicate"] == 2 and ds.sizes["term"] == 3
    assert set(ds["group"].values) == {"all", "disadvantaged", "other", "girls", "boys"}
    for name, var in ds.data_vars.items():
        assert "units" in var.attrs and "long_name" in var.attrs, name
    att = ds["attendance_rate"].sel(group="all").values
    assert np.all((att > 0.7) & (att < 1.0))
    assert ds["cost_gbp"].sum() > 0
    for key in ("actlocally_version", "git_commit", "seed", "parameters_json", "area_profile_json"):
        assert key in ds.attrs
    mi = xr.open_dataset(kids)
    assert mi.sizes["child"] == ds.attrs["pupils_simulated"]
    for v in ("school", "year_group", "sex", "fsm", "send", "eal", "sessions_possible", "sessions_attended",
              "attainment_z", "expected_standard", "wellbeing", "service_days"):
        assert v in mi
    assert mi["year_group"].min() == 0 and mi["year_group"].max() == 11
    assessed = mi["expected_standard"].values >= 0
    assert set(np.unique(mi["year_group"].values[assessed])) == {2, 6, 11}
    # microdata agree with the results file: overall attendance over the year
    rate = mi["sessions_attended"].sum("child") / mi["sessions_possible"].sum("child")
    np.testing.assert_allclose(rate.values, ds["attendance_rate_year"].sel(group="all").isel(year=0).values)
    # the replicates ran on a LocalCluster; one after another in this process gives the very same numbers
    serial = tmp_path / "serial.nc"
    res = runner.invoke(app, ["run", str(sc), "--replicates", "2", "--workers", "0", "--out", str(serial)])
    assert res.exit_code == 0, res.output
    xr.testing.assert_identical(xr.open_dataset(serial).drop_attrs(), ds.drop_attrs())


@pytest.mark.parametrize("body, field, allowed", [
    (GOOD.replace('type = "breakfast_club"', 'type = "breakfast_clubb"'), "interventions[0].type", "breakfast_club"),
    (GOOD.replace('area = "keighley_central"', 'area = "keighly"'), "area", "keighley_central"),
    (GOOD + "colour = 3\n", "colour", "unknown field"),
    (GOOD + "places_per_school = -5\n", "interventions[0].places_per_school", "greater than or equal to 0"),
    (GOOD + "p_enrol = 1.5\n", "interventions[0].p_enrol", "less than or equal to 1"),
    (GOOD.replace("phase == 'primary'", "colour == 'red'"), "interventions[0].schools", "allowed: phase"),
    ("name = 'x'\narea = \n", None, "malformed TOML"),
    (GOOD + "[parameters]\n\"hunger.p_hungry\" = 0.3\n", "parameters.hunger.p_hungry", "did you mean"),
])
def test_bad_scenarios_rejected_clearly(tmp_path, body, field, allowed):
    sc = write(tmp_path / "bad.toml", body)
    out = tmp_path / "out.nc"
    for cmd in (["validate", str(sc)], ["run", str(sc), "--out", str(out)]):
        res = runner.invoke(app, cmd)
        assert res.exit_code == 2, res.output
        msg = " ".join(res.output.split())
        assert "bad.toml" in msg and allowed in msg, msg
        if field:
            assert field in msg, msg
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [sc]  # no temp files either


def test_bad_area_profile_rejected(tmp_path):
    from actlocally.model.area import AREAS_DIR

    text = (AREAS_DIR / "holme_wood.toml").read_text()
    bad = write(tmp_path / "area.toml", text.replace("fsm = { value = 0.44", "fsm = { value = 1.44"))
    res = runner.invoke(app, ["validate", str(bad)])
    assert res.exit_code == 2 and "shares.fsm" in res.output and "less than or equal to 1" in res.output


def test_unknown_school_name_fails_before_writing(tmp_path):
    body = GOOD.replace("schools = \"phase == 'primary'\"", 'schools = ["No Such School"]')
    sc = write(tmp_path / "s.toml", body)
    res = runner.invoke(app, ["run", str(sc), "--out", str(tmp_path / "o.nc")])
    assert res.exit_code == 2 and "No Such School" in res.output
    assert not (tmp_path / "o.nc").exists()


def test_areas_and_params_commands():
    res = runner.invoke(app, ["areas"])
    assert res.exit_code == 0 and "holme_wood" in res.output and "bradford" in res.output
    res = runner.invoke(app, ["params", "hunger"], env={"COLUMNS": "250"})
    assert res.exit_code == 0 and "p_hungry_if_insecure" in res.output


def test_params_lists_intervention_settings_unfolded_and_as_csv():
    """Interventions' settings are parameters too (swept and fitted by name); piped output stays readable."""
    import csv
    import io

    res = runner.invoke(app, ["params", "breakfast_club"])  # not a terminal: Rich would fold to 80 columns
    assert res.exit_code == 0 and "breakfast_club.p_enrol" in res.output and "p_hungry" not in res.output
    res = runner.invoke(app, ["params", "--csv"])
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(res.output))}
    assert rows["breakfast_club.p_enrol"]["kind"] == "intervention"
    assert rows["breakfast_club.p_enrol"]["fitted"] == "setting"
    assert rows["service_hub.engagement_gain"]["fitted"] == "trials"
    assert rows["hunger.p_hungry_if_insecure"]["kind"] == "model"
    assert float(rows["breakfast_club.p_enrol"]["prior_lo"]) <= float(rows["breakfast_club.p_enrol"]["value"])
    assert {"area data", "fixed"} <= {r["fitted"] for r in rows.values()}
    res = runner.invoke(app, ["params", "breakfst_club"])
    assert res.exit_code == 2 and "breakfast_club" in res.output


def test_bench_json_has_the_documented_keys():
    import json

    res = runner.invoke(app, ["bench", "--pupils", "2000", "--reference-sample", "200", "--repeats", "1", "--json"])
    assert res.exit_code == 0, res.output
    fig = json.loads(res.output)
    for key in ("pupils", "days", "build_s", "run_s", "ns_per_child_day", "reference_ns_per_child_day",
                "speedup_vs_reference", "bytes_per_child", "run_s_contended", "run_s_one_thread_contended"):
        assert key in fig
    assert fig["days"] == 190 and 1900 <= fig["pupils"] <= 2100
    assert fig["bytes_per_child"] < 200
    assert fig["speedup_vs_reference"] > 1
