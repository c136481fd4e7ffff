"""A researcher's own area: the README walkthrough from an empty folder outside the repository, and its parts."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from actlocally.calibration.summary import summarise, weighted_quantile, write_summary
from actlocally.experiments.area_template import UNITS, figure_fields, new_area
from actlocally.experiments.cli import app
from actlocally.experiments.file_kinds import KINDS, FileKind, register, validate_file
from actlocally.model.area import load_area
from actlocally.model.errors import InputError
from typer.testing import CliRunner

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent
BREAKFAST = """name = "tong_breakfast"
description = "Universal free breakfast clubs in every primary school of Tong."
area = "tong.toml"
years = 1
seed = 20261123

[[interventions]]
type = "breakfast_club"
schools = "phase == 'primary'"
offer = "universal"
"""


def cli(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, (args, res.output)
    return res.output


def fill_sources(folder: Path) -> None:
    """What the researcher does by hand: give every figure and target its source and year (here, made up)."""
    profile = folder / "tong.toml"
    profile.write_text(profile.read_text().replace('source = "", year = ""', 'source = "made up for a test", '
                                                   'year = 2024'))
    targets = folder / "targets_tong.toml"
    text = targets.read_text().replace('year = ""', 'year = "2023/24"')
    # a 300-pupil test area has too few Year 6 pupils in each KS2 absence band for those targets (NaN): drop them
    kept, dropping = [], False
    for line in text.splitlines():
        if line.startswith("["):
            dropping = line.startswith("[targets.ks2_gap_absence_")
        if not dropping:
            kept.append(line)
    text = "\n".join(kept) + "\n"
    targets.write_text(text.replace('source = ""', 'source = "made up for a test"'))


def start_area(folder: Path) -> None:
    cli("area", "new", "tong", "--from", "keighley_central", "--out", str(folder))
    fill_sources(folder)


def walkthrough(folder: Path, skip: tuple[str, ...] = (), generations: str = "2") -> None:
    """Every command of README "Your own area", in order, at tiny sizes, on a made-up area in `folder`."""
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Your own area", 1)[1].split("\n## ", 1)[0]
    shown = re.findall(r"^actlocally (.+)$", section, re.M)
    assert len(shown) == 10  # area new, 4 x validate, calibrate, posterior summary, calibrate report, compare, brief
    cli("area", "new", "tong", "--from", "keighley_central", "--out", ".")
    fill_sources(folder)
    (folder / "tong_breakfast.toml").write_text(BREAKFAST)
    fast = {"calibrate": ["--populations", generations, "--particles", "10", "--pupils", "300", "--workers", "0",
                          "--screen-trajectories", "2", "--draws", "5"],
            "calibrate report": ["--draws", "5", "--workers", "0"],
            "compare": ["--replicates", "2", "--pupils", "300", "--workers", "0"]}
    for line in shown:
        args = line.split()
        key = "calibrate report" if args[:2] == ["calibrate", "report"] else args[0]
        if args[:2] == ["area", "new"] or key in skip:
            continue  # area new: done above (then the sources were filled in)
        for flag in fast.get(key, [])[::2]:  # the README's sizes are for a real area; the test's are tiny
            if flag in args:
                i = args.index(flag)
                del args[i:i + 2]
        cli(*args, *fast.get(key, []))


@pytest.mark.slow
def test_the_readme_walkthrough_from_an_empty_folder(tmp_path, monkeypatch):
    """The whole walkthrough, to a funder brief that names the calibration (~75 s on the shared 2 cores)."""
    assert REPO not in tmp_path.parents
    monkeypatch.chdir(tmp_path)
    np.random.seed(123)
    state = np.random.get_state()[1].copy()
    walkthrough(tmp_path)
    assert np.array_equal(np.random.get_state()[1], state)  # calibrating left numpy's global generator alone
    post = xr.open_dataset(tmp_path / "calibration" / "tong.nc")
    assert post.attrs["area"] == "tong" and "area_profile_json" in post.attrs
    assert (tmp_path / "calibration" / "report" / "report.html").is_file()
    briefs = list(tmp_path.glob("outputs/*/brief_tong_breakfast.html"))
    assert briefs and "A calibration for Tong exists" in briefs[0].read_text()
    assert not list(REPO.glob("**/tong*"))  # nothing was written into the repository


def test_the_readme_walkthrough_to_a_comparison(tmp_path, monkeypatch):
    """The walkthrough's commands up to the comparison (report and brief in the slow test), one ABC generation."""
    assert REPO not in tmp_path.parents
    monkeypatch.chdir(tmp_path)
    np.random.seed(123)
    state = np.random.get_state()[1].copy()
    walkthrough(tmp_path, skip=("calibrate report", "brief"), generations="1")
    assert np.array_equal(np.random.get_state()[1], state)  # calibrating left numpy's global generator alone
    summary = pd.read_csv(tmp_path / "outputs" / "posteriors" / "tong_summary.csv")
    assert "attendance.a0" in set(summary["parameter"]) and summary["q05"].le(summary["q95"]).all()
    cmp = xr.open_dataset(tmp_path / "outputs" / "tong_breakfast_vs_baseline_tong" / "comparison.nc")
    assert cmp.sizes["replicate"] == 2 and str(cmp["posterior_path"].values[0]).endswith("tong.nc")


def test_template_lists_every_field_with_its_unit_and_validates_only_once_sourced(tmp_path):
    assert set(figure_fields()) <= set(UNITS)
    new_area("tong", "holme_wood", tmp_path)
    text = (tmp_path / "tong.toml").read_text()
    for key in figure_fields():
        assert re.search(rf"^(# )?{key.split('.')[1]} = .*# {re.escape(UNITS[key])}$", text, re.M), key
    with pytest.raises(InputError) as err:
        validate_file(tmp_path / "tong.toml")
    assert str(err.value).split(": ", 1)[1].startswith("give 'source' and 'year'") and "'shares.fsm'" in str(err.value)
    assert str(err.value).count("give 'source'") == 1  # one clause for every unsourced figure
    with pytest.raises(InputError, match="give the figure's `year`.*'targets.attendance_rate'"):
        validate_file(tmp_path / "targets_tong.toml")
    half = tmp_path / "half.toml"
    half.write_text((tmp_path / "tong.toml").read_text().replace('source = ""', 'source = "a survey"'))
    with pytest.raises(InputError, match="'pupils.primary'"):  # a source without its year is not enough
        load_area(half)
    half.unlink()
    fill_sources(tmp_path)
    new, old = load_area(tmp_path / "tong.toml"), load_area("holme_wood")
    assert new.shares.fsm.value == old.shares.fsm.value and new.neighbourhood.crime_index.value == \
        old.neighbourhood.crime_index.value
    assert validate_file(tmp_path / "targets_tong.toml")[0].name == "calibration targets"
    kind, summary = validate_file(tmp_path / "baseline_tong.toml")
    assert kind.name == "scenario" and "on area 'tong'" in summary
    with pytest.raises(InputError, match="already exists"):
        new_area("tong", "holme_wood", tmp_path)
    with pytest.raises(InputError, match="not an area name"):
        new_area("Tong Village", "holme_wood", tmp_path)


def test_validate_judges_each_kind_by_its_own_schema_and_a_new_kind_slots_in(tmp_path):
    comparison = REPO / "scenarios" / "comparisons" / "act_locally_priorities.toml"
    assert "comparison 'act_locally_priorities'" in cli("validate", str(comparison))
    assert "calibration targets for area 'holme_wood'" in cli("validate", str(REPO / "calibration" / "targets" /
                                                                              "holme_wood.toml"))
    assert "trial spec 'magic_breakfast'" in cli("validate", str(REPO / "calibration" / "trials" /
                                                                   "magic_breakfast.toml"))
    odd = tmp_path / "odd.toml"
    odd.write_text('colour = "red"\n')
    res = runner.invoke(app, ["validate", str(odd)])
    assert res.exit_code == 2 and "not a file actlocally knows" in res.output and "targets" in res.output
    trial = tmp_path / "trial.toml"
    trial.write_text('[trial]\nname = "magic breakfast"\n')

    def check(path: Path) -> str:
        spec = tomllib.loads(path.read_text())["trial"]
        if "name" not in spec:
            raise InputError(path, "trial.name", "required")
        return f"trial spec '{spec['name']}'"

    register(FileKind("trial spec", ("trial",), check))
    try:
        assert "trial spec 'magic breakfast'" in cli("validate", str(trial))
    finally:
        KINDS[:] = [k for k in KINDS if k.name != "trial spec"]


def posterior(x: np.ndarray, w: np.ndarray, lo: float = 3.3, hi: float = 5.0) -> xr.Dataset:
    return xr.Dataset({"attendance.a0": ("particle", x, {"units": "log-odds", "prior_low": lo, "prior_high": hi}),
                       "weight": ("particle", w / w.sum())},
                      attrs={"parameters": "attendance.a0", "area": "nowhere", "seed": 1})


def test_posterior_summary_in_natural_units_with_a_warning_at_a_prior_bound(tmp_path):
    rng = np.random.default_rng(4)
    x, w = rng.uniform(3.3, 5.0, 500), rng.uniform(0.2, 1.0, 500)
    row = summarise(posterior(x, w)).iloc[0]
    assert row["parameter"] == "attendance.a0" and row["unit"] == "log-odds"
    assert np.isclose(row["mean"], np.sum(w * x) / w.sum())
    assert (row["q05"], row["median"], row["q95"]) == tuple(
        np.quantile(x, [0.05, 0.5, 0.95], weights=w, method="inverted_cdf"))
    assert abs(row["shift_prior_sd"]) < 0.2 and 0.8 < row["sd_ratio"] < 1.2 and row["warning"] == ""
    piled = np.where(rng.random(500) < 0.6, rng.uniform(4.95, 5.0, 500), x)  # 60% in the top 5% of the range
    row = summarise(posterior(piled, w)).iloc[0]
    assert row["mass_at_high_bound"] > 0.5 and row["shift_prior_sd"] > 0.5
    assert "upper 5%" in row["warning"] and "widen" in row["warning"] and "mechanism" in row["warning"]
    table, paths = write_summary(posterior(piled, w), tmp_path, "p")
    assert [p.name for p in paths] == ["p_summary.csv", "p_summary.nc", "p_particles.csv"]
    assert xr.open_dataset(paths[1])["q95"].sel(parameter="attendance.a0") == table["q95"].iloc[0]
    assert list(pd.read_csv(paths[2]).columns) == ["particle", "weight", "attendance.a0"]
    np.testing.assert_array_equal(weighted_quantile(np.arange(101.0), np.ones(101), (0.05, 0.95)), [5.0, 95.0])


def test_posterior_summary_command_and_its_bad_input(tmp_path):
    rng = np.random.default_rng(5)
    posterior(rng.uniform(3.5, 4.8, 200), rng.uniform(0.5, 1.0, 200)).to_netcdf(tmp_path / "keighley_central.nc",
                                                                               engine="h5netcdf")
    out = cli("posterior", "summary", str(tmp_path / "keighley_central.nc"), "--out", str(tmp_path))
    assert "attendance.a0" in out and "[3.3," in out and (tmp_path / "keighley_central_summary.nc").is_file()
    csv = pd.read_csv(tmp_path / "keighley_central_summary.csv").set_index("parameter")
    assert tuple(csv.loc["attendance.a0", ["prior_low", "prior_high"]]) == (3.3, 5.0)
    res = runner.invoke(app, ["posterior", "summary", str(tmp_path / "keighley_central_summary.nc")])
    assert res.exit_code == 2 and "keighley_central_summary.nc" in " ".join(res.output.split())
    assert "Traceback" not in res.output


def test_calibrate_refuses_targets_of_another_area(tmp_path):
    res = runner.invoke(app, ["calibrate", str(REPO / "scenarios" / "areas" / "holme_wood.toml"), "--targets",
                              str(REPO / "calibration" / "targets" / "bradford.toml"), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "'bradford'" in res.output and "'holme_wood'" in res.output
    assert not list(tmp_path.iterdir())


def test_params_no_match_suggests_and_ranges_read_as_intervals():
    res = runner.invoke(app, ["params", "hungr"])
    assert res.exit_code == 2 and "no parameter matches 'hungr'" in res.output and "did you mean hunger" in res.output
    out = runner.invoke(app, ["params", "attendance"], terminal_width=200).output
    assert "[-1.2, -0.2]" in out and "-1.2--0.2" not in out


def test_help_has_no_type_noise_for_flags():
    for cmd in ([], ["run"], ["calibrate", "fit"], ["calibrate", "report"], ["area", "new"], ["posterior", "summary"]):
        out = cli(*cmd, "--help")
        assert "<bool>" not in out and "--help" in out


def test_sensitivity_tables_name_their_group():
    from actlocally.experiments.sensitivity.report import rich_table
    from rich.console import Console

    rows = pd.DataFrame([{"output": f"days_attended[{g}]", "outcome": "days_attended", "group": g, "rank": 1,
                          "parameter": "attendance.a0", "lower": 3.3, "upper": 5.0, "mu_star": 1.0,
                          "mu_star_conf": 0.1, "mu": 1.0, "sigma": 0.2} for g in ("all", "disadvantaged")])
    titles = []
    for out in rows["output"]:
        console = Console(record=True, width=200)
        console.print(rich_table(rows, out, "morris", "morris level: x"))
        titles.append(console.export_text().splitlines()[0].strip())
    assert titles == ["morris level: x: days_attended, all pupils", "morris level: x: days_attended, disadvantaged "
                      "pupils"]


def test_library_modules_leave_the_matplotlib_backend_to_the_caller():
    offenders = [p for d in ("model", "calibration", "experiments") for p in (REPO / d).rglob("*.py")
                 if "matplotlib.use(" in p.read_text() and p != REPO / "experiments" / "cli" / "__init__.py"]
    assert offenders == []
