"""Funder briefs: every headline number equals the NetCDF's, user text is escaped, the HTML is self-contained and
the PDF is real (2-4 pages, with the brief's text)."""

from __future__ import annotations

import dataclasses
import html as htmllib
import re

import numpy as np
import pypdf
import pytest
import xarray as xr
from actlocally.experiments.brief.data import Reach, brief_data
from actlocally.experiments.brief.render import render_html
from actlocally.experiments.cli import app
from actlocally.experiments.compare.report import fmt
from actlocally.model.eef import months_of_progress
from actlocally.model.outcomes import SERVICE_LABELS as KINDS
from typer.testing import CliRunner

runner = CliRunner()
EVIL = "<script>alert('x')</script>"
SCENARIO = """
name = "{name}"
description = "{description}"
area = "keighley_central"
pupils = 700
{extra}
"""
COMPARISON = """
name = "brief_cmp"
baselines = ["base.toml"]
scenarios = ["club.toml", "hub.toml"]
replicates = 3
seed = 5
"""
CLUB = f"""[[interventions]]
type = "breakfast_club"
label = "clubs {EVIL}"
offer = "universal"
schools = "phase == 'primary'"
"""
HUB = """[[interventions]]
type = "service_hub"
schools = ["Keighley Central primary 1"]
services = ["food_support", "early_help"]
"""


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A small comparison (baseline, breakfast clubs, a hub; 3 replicates) and the brief on the clubs."""
    root = tmp_path_factory.mktemp("brief")
    (root / "base.toml").write_text(SCENARIO.format(name="base", description="no change", extra=""))
    (root / "club.toml").write_text(SCENARIO.format(name="club", description=f"Clubs {EVIL} & more", extra=CLUB))
    (root / "hub.toml").write_text(SCENARIO.format(name="hub", description="a hub", extra=HUB))
    (root / "cmp.toml").write_text(COMPARISON)
    res = runner.invoke(app, ["compare", str(root / "cmp.toml"), "--workers", "0", "--out", str(root / "out"),
                              "--posterior", "none"])
    assert res.exit_code == 0, res.output
    folder = root / "out" / "brief_cmp"
    res = runner.invoke(app, ["brief", str(folder), "--scenario", "club", "--out", str(root / "club_brief")])
    assert res.exit_code == 0, res.output
    return folder, (root / "club_brief.html").read_text(encoding="utf-8"), root / "club_brief.pdf"


def expected_numbers(ds: xr.Dataset, scenario: str, group: str) -> dict[str, np.ndarray]:
    """Per-replicate effects recomputed straight from comparison.nc, independently of experiments/effects.py."""
    base = str(ds["baseline"].sel(scenario=scenario).values)

    def level(name: str) -> xr.Dataset:
        one = ds.sel(scenario=name)
        scale = float(one["population_scale"])
        year, term, terms = one.isel(year=-1), one.isel(term=-1), one.isel(term=slice(-3, None))
        offered = (terms["started"] + terms["did_not_attend"])
        z = term["mean_attainment_z"]
        return xr.Dataset({
            "days": 190 * year["attendance_rate_year"].sel(group=group),
            "pa": year["persistent_absence_rate_year"].sel(group=group),
            "pa_pupils": year["persistent_absence_rate_year"].sel(group=group) * term["pupils"].sel(group=group)
            / scale,
            "es": year["expected_standard_share_year"].sel(group=group),
            "z": z.sel(group=group), "gap": z.sel(group="other") - z.sel(group="disadvantaged"),
            "wait": (terms["waiting_days_mean"].fillna(0) * offered).sum(["term", "service"])
            / offered.sum(["term", "service"]),
            "cost": terms["cost_gbp"].sum(["term", "intervention"]) / scale,
            "difficulty": term["child_difficulty_prevalence"].sel(group=group),
            "mothers": term["parent_depression_prevalence"].sel(group=group),
            **{f"wait_{k}": (terms["waiting_days_mean"].fillna(0) * offered).where(one["service_kind"] == k).sum(
                ["term", "service"]) / offered.where(one["service_kind"] == k).sum(["term", "service"])
               for k in KINDS},
            **{f"helped_{k}": terms["started"].where(one["service_kind"] == k).sum(["term", "service"]) / scale
               for k in KINDS},
        })

    d = level(scenario) - level(base)
    out = {"days_attended": d["days"].values, "persistent_absence_pp": 100 * d["pa"].values,
           "pupils_out_of_persistent_absence": -d["pa_pupils"].values,
           "expected_standard_pp": 100 * d["es"].values, "months_of_progress": months_of_progress(d["z"].values),
           "child_difficulty_pp": 100 * d["difficulty"].values, "mothers_depression_pp": 100 * d["mothers"].values}
    if group == "all":
        out.update({f"wait_days_{k}": d[f"wait_{k}"].values for k in KINDS})
        out.update({f"helped_{k}": d[f"helped_{k}"].values for k in KINDS})
        out.update({"disadvantage_gap_months": months_of_progress(d["gap"].values), "waiting_days": d["wait"].values,
                    "cost_gbp": d["cost"].values})
    return out


def stat(values: np.ndarray, which: str) -> float:
    values = values[np.isfinite(values)]  # a service that offered no place in a year has no wait that year
    return {"mean": values.mean(), "low": np.quantile(values, 0.05), "high": np.quantile(values, 0.95)}[which]


def ratio(cost: np.ndarray, outcome: np.ndarray, which: str) -> float:
    """Mean cost over the mean outcome; the interval from the outcome's interval (n/a when nothing moves on average)."""
    c, m, lo, hi = cost.mean(), outcome.mean(), np.quantile(outcome, 0.05), np.quantile(outcome, 0.95)
    if m <= 0:
        return np.nan
    return {"mean": c / m, "low": c / hi if hi > 0 else np.nan, "high": c / lo if lo > 0 else np.inf}[which]


UNITS = {"days_attended": "days per pupil per year", "persistent_absence_pp": "percentage points",
         "pupils_out_of_persistent_absence": "pupils per year", "expected_standard_pp": "percentage points",
         "months_of_progress": "months", "disadvantage_gap_months": "months", "waiting_days": "school days",
         "cost_gbp": "GBP per year", "cost_per_pupil_out_of_pa": "GBP per pupil",
         "cost_per_month_of_progress": "GBP per month", "child_difficulty_pp": "percentage points",
         "mothers_depression_pp": "percentage points", **{f"wait_days_{k}": "school days" for k in KINDS},
         **{f"helped_{k}": "people per year" for k in KINDS}}
NUM = re.compile(r'<span class="num" data-scenario="([^"]*)" data-group="([^"]*)" data-metric="([^"]*)" '
                 r'data-stat="([^"]*)">([^<]*)</span>')


def test_every_headline_number_equals_the_value_computed_from_the_netcdf(made):
    folder, html, _ = made
    ds = xr.open_dataset(folder / "comparison.nc").load()
    found = NUM.findall(html)
    assert len(found) > 40
    shown = {m for _, _, m, _, _ in found}
    per_service = {m for m in UNITS if m.startswith(("wait_days_", "helped_"))}
    assert shown - per_service == set(UNITS) - per_service
    assert {f"{w}_{k}" for w in ("wait_days", "helped") for k in ("early_help", "food_support")} <= shown
    assert {s for s, _, _, _, _ in found} == {"club", "hub"}  # the cost table sets the other scenario beside it
    for scenario, group, metric, which, text in found:
        values = expected_numbers(ds, scenario, group)
        unsigned = metric.startswith("cost")
        if metric == "cost_per_pupil_out_of_pa":
            value = ratio(values["cost_gbp"], values["pupils_out_of_persistent_absence"], which)
        elif metric == "cost_per_month_of_progress":
            value = ratio(values["cost_gbp"], values["months_of_progress"], which)
        else:
            value = stat(values[metric], which)
        assert htmllib.unescape(text) == fmt(float(value), UNITS[metric], not unsigned), (scenario, group, metric,
                                                                                           which)


def test_user_strings_are_escaped(made):
    folder, html, _ = made
    assert "<script" not in html
    assert "&lt;script&gt;" in html and "Clubs &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in html
    brief = brief_data(folder, "club")
    evil_school = dataclasses.replace(brief, reach=[Reach(EVIL, (f"School {EVIL}",), 10.0, 0.5, 0.5)])
    again = render_html(evil_school, made="now")
    assert "<script" not in again and "School &lt;script&gt;" in again


def test_the_html_is_self_contained_and_accessible(made):
    _, html, _ = made
    assert not re.search(r"https?://", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 3
    for img in images:
        assert 'src="data:image/svg+xml;base64,' in img
        alt = re.search(r'alt="([^"]+)"', img)
        assert alt and len(alt.group(1)) > 60
    headings = re.findall(r"<h([1-3])", html)
    assert headings[0] == "1" and headings.count("1") == 1 and headings.count("2") >= 6
    assert '<html lang="en-GB">' in html and "<th scope=\"col\">" in html


def test_the_pdf_is_a_real_brief_of_two_to_four_pages(made):
    _, html, pdf = made
    reader = pypdf.PdfReader(pdf)
    assert 2 <= len(reader.pages) <= 4
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"\s+", " ", text)
    for words in ("What it costs", "How sure we are", "not yet calibrated", "No sensitivity analysis was run",
                  "Where the numbers come from", "Keighley Central", "Pro Bono Economics 2021"):
        assert words in flat, words
    cost = htmllib.unescape(NUM.search(html[html.index("What it costs"):]).group(5))
    assert cost.startswith("£") and cost in flat


def test_calibration_and_sensitivity_are_read_when_present(made, tmp_path):
    folder, _, _ = made
    cmp_dir = tmp_path / "cmp"
    cmp_dir.mkdir()
    ds = xr.open_dataset(folder / "comparison.nc").load()  # as if this comparison had drawn from a posterior
    ds.assign_coords(posterior=("scenario", ["keighley_central:test"] * ds.sizes["scenario"])).to_netcdf(
        cmp_dir / "comparison.nc")
    xr.Dataset({"ST": (("scenario", "output", "parameter"), np.array([[[0.1, 0.7, 0.2]]]))},
               coords={"scenario": ["club"], "output": ["months_of_progress"],
                       "parameter": ["hunger.p_hungry_if_insecure", "learning.b_hunger", "attendance.b_fsm"]},
               ).to_netcdf(cmp_dir / "sensitivity_sobol.nc")
    posteriors = tmp_path / "posteriors"
    posteriors.mkdir()
    rng = np.random.default_rng(1)
    xr.Dataset({"target_observed": ("target", [0.9, 0.3]),
                "target_simulated": (("target", "particle"), np.stack([rng.normal(0.9, 0.01, 50),
                                                                      rng.normal(0.5, 0.01, 50)]))},
               attrs={"method": "ABC-SMC", "created": "2026-01-01"}).to_netcdf(posteriors / "keighley_central.nc")
    brief = brief_data(cmp_dir, "club", posteriors_dir=posteriors)
    assert brief.sensitivity.drivers[0] == ("learning.b_hunger", pytest.approx(0.7))
    assert brief.calibration.draws == 50 and (brief.calibration.targets_fitted, brief.calibration.targets_total) == (
        1, 2)
    text = re.sub(r"\s+", " ", render_html(brief, made="now"))
    assert "learning.b_hunger (0.70)" in text and "Sobol total-order index for months_of_progress" in text
    assert "ABC-SMC, 50 posterior draws" in text and "1 of 2 observed figures" in text
    assert "not yet calibrated" not in text and "No sensitivity analysis" not in text
    assert "across the parameter values that fit the area's data" in text  # the ranges carry parameter uncertainty


def test_bad_input_gives_one_clear_message(made, tmp_path):
    folder, _, _ = made
    res = runner.invoke(app, ["brief", str(folder), "--scenario", "base"])
    assert res.exit_code == 2 and "'--scenario'" in res.output and "is a baseline" in res.output
    assert "club, hub" in res.output
    res = runner.invoke(app, ["brief", str(tmp_path)])
    assert res.exit_code == 2 and "no comparison found" in res.output
    (tmp_path / "comparison.nc").write_text("not netcdf")
    res = runner.invoke(app, ["brief", str(tmp_path / "comparison.nc")])
    assert res.exit_code == 2 and "not a readable NetCDF file" in res.output
    assert not list(tmp_path.glob("brief_*"))


def test_how_sure_links_the_evidence_page_and_the_trials_behind_the_intervention(made, tmp_path):
    """Numbers in the brief's evidence and trial lines are recomputed from the evidence and trial files."""
    import shutil

    import pandas as pd

    folder, html, _ = made
    flat = re.sub(r"\s+", " ", html)
    assert "No evidence page has been made for Keighley Central" in flat  # nothing in the outputs folder yet
    assert "not yet run (actlocally trial magic_breakfast)" in flat
    assert "not yet run (actlocally trial breakfast_in_the_classroom)" in flat
    assert "nyc_community_schools" not in flat  # anchors the hub, not this scenario's clubs

    out = tmp_path / "out"
    shutil.copytree(folder, out / folder.name, ignore=shutil.ignore_patterns("runs.zarr"))
    res = runner.invoke(app, ["trial", "magic_breakfast", "--replicates", "2", "--pupils", "8000", "--workers", "0",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["evidence", "keighley_central", "--draws", "5", "--pupils", "800", "--trials",
                              "breakfast_in_the_classroom", "--trial-replicates", "2", "--trial-pupils", "8000",
                              "--workers", "0", "--out", str(out)])
    assert res.exit_code == 0, res.output
    brief = brief_data(out / folder.name, "club")
    text = re.sub(r"\s+", " ", render_html(brief, made="now"))

    evidence = pd.read_csv(out / "evidence" / "keighley_central" / "evidence.csv")
    targets, trials = evidence[evidence["kind"] == "target"], evidence[evidence["kind"] == "trial"]
    assert (f"The model reproduces {int(targets['pass'].sum())} of {len(targets)} of Keighley Central's observed "
            f"figures and {int(trials['pass'].sum())} of {len(trials)} published trial results") in text
    assert 'href="../evidence/keighley_central/evidence.html"' in text
    assert (out / folder.name / "../evidence/keighley_central/evidence.html").resolve().is_file()

    def cells(row) -> str:
        g = lambda x: f"{x:.3g}"  # noqa: E731
        return (f'<td class="n">{g(row["published"])}</td> <td class="n">{g(row["model"])} ({g(row["model_lo"])} to '
                f'{g(row["model_hi"])})</td><td>{"yes" if row["inside"] else "no"}</td>')

    mb = pd.read_csv(out / "trials" / "magic_breakfast" / "trial.csv")  # from `actlocally trial`
    bic = trials.rename(columns={"pass": "inside"})  # from the evidence page: that trial has no trial.csv
    for _, row in pd.concat([mb, bic]).iterrows():
        assert cells(row) in text, cells(row)
    reproduced = int(mb["inside"].sum() + bic["inside"].sum())
    assert f"{reproduced} of {len(mb) + len(bic)} trial outcomes reproduced" in text
    assert "trials/magic_breakfast/trial.csv" in text and "evidence/keighley_central/evidence.csv" in text
    assert [a.trial for a in brief.anchors] == ["breakfast_in_the_classroom", "magic_breakfast"]

    (out / "evidence" / "keighley_central" / "evidence.csv").write_text("kind\ntarget\n")
    damaged = re.sub(r"\s+", " ", render_html(brief_data(out / folder.name, "club"), made="now"))
    assert "An evidence page was found but" in damaged and "no column(s) name, pass" in damaged
