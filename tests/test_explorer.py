"""The explorer's logic without a browser: the form checks as the CLI does, share links and TOML round-trip, runs
resume from the store and can be cancelled, and the Compare tables are summary.csv's numbers."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from actlocally.experiments.cli import app
from actlocally.experiments.explorer import results
from actlocally.experiments.explorer.compose import input_for, replicates_or_error
from actlocally.experiments.explorer.form import (
    check,
    decode_query,
    encode_query,
    intervention_entry,
    intervention_fields,
    parse_parameters,
    to_toml,
)
from actlocally.experiments.explorer.runs import Cancelled, Progress, RunSettings, baseline_for, run_scenario
from actlocally.experiments.explorer.schools import area_schools, matching
from actlocally.model.errors import InputError
from actlocally.model.interventions.registry import REGISTRY
from actlocally.model.scenario import builtin_scenarios, load_scenario
from typer.testing import CliRunner

BAD = [  # (scenario file text, the field the message must name)
    ("name = 'x'\narea = 'nowhere'\n", "area"),
    ("name = 'x y'\narea = 'keighley_central'\n", "name"),
    ("name = 'x'\narea = 'keighley_central'\nyears = 0\n", "years"),
    ("name = 'x'\narea = 'keighley_central'\npupils = 50\n", "pupils"),
    ("name = 'x'\narea = 'keighley_central'\n[parameters]\n'attendance.b_hungr' = 0.3\n", "parameters"),
    ("name = 'x'\narea = 'keighley_central'\n[[interventions]]\ntype = 'breakfast_clubs'\n", "iv0"),
    ("name = 'x'\narea = 'keighley_central'\n[[interventions]]\ntype = 'breakfast_club'\np_enrol = 1.5\n",
     "iv0_p_enrol"),
    ("name = 'x'\narea = 'keighley_central'\n[[interventions]]\ntype = 'breakfast_club'\nschools = 'phase = 1'\n",
     "iv0_schools"),
    ("name = 'x'\narea = 'keighley_central'\n[[interventions]]\ntype = 'breakfast_club'\nofer = 'universal'\n",
     "iv0"),
]


@pytest.mark.parametrize("text,field", BAD)
def test_the_form_gives_the_clis_message_for_the_field_it_names(tmp_path, text, field):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as cli:
        load_scenario(path)
    checked = check(tomllib.loads(text), source=str(path))
    assert checked.scenario is None
    assert checked.message == str(cli.value)
    slots = [(0, "breakfast_club")]
    assert field in {input_for(p, slots) for p in checked.fields}
    assert cli.value.problem in checked.fields.values() or len(checked.fields) > 1


def test_every_builtin_scenario_passes_through_the_form_unchanged():
    for path in builtin_scenarios():
        data = tomllib.loads(path.read_text())
        again = tomllib.loads(to_toml(data))
        assert again == data
        checked = check(again)
        assert checked.scenario is not None, (path.name, checked.message)
        assert checked.scenario.model_dump() == load_scenario(path).model_dump()
        back, reps = decode_query(encode_query(data, 7))
        assert back == data and reps == 7


def test_widgets_come_from_the_registry_with_units_and_sources():
    for kind, cls in REGISTRY.items():
        specs = {s.name: s for s in intervention_fields(kind)}
        assert set(specs) == set(cls.Params.model_fields) - {"type"}
        for name, info in cls.Params.model_fields.items():
            extra = info.json_schema_extra
            if isinstance(extra, dict) and "unit" in extra:
                assert extra["unit"] in specs[name].help and extra["source"] in specs[name].help
    assert {s.name: s.kind for s in intervention_fields("breakfast_club")}["schools"] == "schools"
    entry = intervention_entry("breakfast_club", {"schools": ["A"], "p_enrol": "0.3", "offer": "universal"})
    assert entry == {"type": "breakfast_club", "schools": ["A"], "p_enrol": 0.3}  # defaults left out
    assert parse_parameters("attendance.b_hunger = 0.3  # note\n\n") == {"attendance.b_hunger": 0.3}
    assert replicates_or_error("0")[1] and replicates_or_error("2.5")[1] and replicates_or_error("3") == (3, "")
    assert decode_query("?s=%%%not-base64") == (None, None)


def test_schools_match_as_the_model_selects_them():
    schools = area_schools("keighley_central", 2000, 1)
    assert schools and all(s.phase in ("primary", "secondary") for s in schools)
    picked, problem = matching("phase == 'secondary'", schools)
    assert not problem and [s.name for s in picked] == [s.name for s in schools if s.phase == "secondary"]
    rich = matching("disadvantaged_share >= 0.4 and phase == 'primary'", schools)[0]
    assert all(s.disadvantaged_share >= 0.4 for s in rich)
    assert "cannot read rule clause" in matching("phase = primary", schools)[1]
    assert "unknown school" in matching(["No Such School"], schools)[1]
    assert matching([schools[0].name], schools) == ([schools[0]], "")


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One small run from the explorer's code path, and what a rerun of the same inputs did."""
    outputs = tmp_path_factory.mktemp("outputs")
    data = {"name": "club", "area": "keighley_central", "pupils": 500, "seed": 3,
            "interventions": [{"type": "breakfast_club", "schools": "all"}]}
    scenario = check(data).scenario
    settings = RunSettings(outputs=outputs, workers=0, posterior="none")
    cancelled = Progress()
    cancelled.cancel.set()
    with pytest.raises(Cancelled):
        run_scenario(scenario, to_toml(data), 2, settings, cancelled)
    folder = run_scenario(scenario, to_toml(data), 2, settings, Progress())
    calls = []
    again = Progress()
    again.update = lambda done, total: calls.append((done, total))
    run_scenario(scenario, to_toml(data), 2, settings, again)
    return results.load(folder), calls


def test_a_finished_run_is_never_recomputed(finished):
    f, calls = finished
    assert calls == [(4, 4)]  # all four runs (2 scenarios x 2 replicates) found in runs.zarr, none run again
    assert tomllib.loads((f.folder / "scenario.toml").read_text())["name"] == "club"
    assert list(f.ds["scenario"].values) == ["baseline_keighley_central", "club"]
    assert results.finished_comparisons(f.folder.parent) == ["club"]


def test_compare_tables_are_summary_csv_numbers(finished):
    f, _ = finished
    head = results.headline(f, "club").set_index("outcome")
    summary = f.summary[(f.summary["scenario"] == "club") & (f.summary["group"] == "all")].set_index("label")
    assert len(head) == len(summary)
    for label, row in head.iterrows():
        assert row["mean"] == summary.loc[label, "mean"] or np.isnan(row["mean"])
    groups = results.by_group(f, "club")
    assert set(groups["group"]) == {"all", "disadvantaged", "other", "girls", "boys"}
    wide = results.shown(groups)
    assert list(wide.columns[:2]) == ["outcome", "unit"] and len(wide) == groups["outcome"].nunique()
    cost = results.cost_per_outcome(f)
    assert cost.loc[cost["outcome"] == "Cost", "mean"].item() == pytest.approx(
        f.summary.query("scenario == 'club' and metric == 'cost_gbp' and group == 'all'")["mean"].item())


def test_per_school_effects_are_paired_differences(finished):
    f, _ = finished
    table = results.school_effects(f, "club")
    school = table["school"].iloc[0]
    var = f.ds["attendance_rate_school"].sel(school=school).isel(term=slice(-3, None)).mean("term")
    d = 100 * (var.sel(scenario="club") - var.sel(scenario="baseline_keighley_central")).values
    row = table[(table["school"] == school) & (table["outcome"] == "attendance")].iloc[0]
    assert row["mean"] == pytest.approx(d.mean())
    assert row["mean"] > 0  # a universal breakfast club in every school raises attendance a little
    waits = results.waits(f, "club")
    assert set(waits["run"]) == {"baseline", "scenario"}
    assert isinstance(results.terms(f, "club"), pd.DataFrame)


def test_baseline_keeps_everything_but_the_interventions():
    sc = check({"name": "x", "area": "holme_wood", "pupils": 400, "years": 2, "seed": 9,
                "parameters": {"attendance.b_hunger": -0.3},
                "interventions": [{"type": "breakfast_club"}]}).scenario
    base = baseline_for(sc)
    assert (base.area, base.pupils, base.years, base.seed, base.parameters) == ("holme_wood", 400, 2, 9,
                                                                              {"attendance.b_hunger": -0.3})
    assert base.interventions == [] and base.name == "baseline_holme_wood"


def test_serve_refuses_a_file_for_outputs(tmp_path):
    bad = tmp_path / "file.txt"
    bad.write_text("x")
    result = CliRunner().invoke(app, ["serve", "--outputs", str(bad)])
    assert result.exit_code == 2
    assert "--outputs" in result.output and "Traceback" not in result.output
    assert "serve" in CliRunner().invoke(app, ["--help"]).output


def test_a_failed_run_is_one_line():
    from actlocally.experiments.explorer.runs import one_line

    assert one_line(Cancelled()).startswith("cancelled")
    assert one_line(InputError("f.toml", "years", "too many")) == "f.toml: field 'years': too many"
    assert one_line(RuntimeError("worker died\nTraceback (most recent call last):\n  ...")) == \
        "RuntimeError: worker died"


def test_actlocally_serve_starts_and_refuses_a_busy_port(tmp_path):
    """The real command: it serves the page (all assets its own), and a port in use is exit 2 with one line."""
    import re
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.listen()
        busy = CliRunner().invoke(app, ["serve", "--port", str(port), "--outputs", str(tmp_path)])
        assert busy.exit_code == 2 and "--port" in busy.output and "Traceback" not in busy.output
    cmd = [str(Path(sys.executable).parent / "actlocally"), "serve", "--port", str(port), "--workers", "0",
           "--outputs", str(tmp_path / "out")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, html = time.monotonic() + 60, ""
        while time.monotonic() < deadline and not html:
            try:
                html = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
            except OSError:
                assert proc.poll() is None, proc.stdout.read().decode()
                time.sleep(0.3)
        assert "actlocally explorer" in html and 'id="slot0"' in html
        refs = re.findall(r'(?:src|href)="([^"]*)"', html)
        assert refs and not [r for r in refs if re.match(r"(https?:)?//", r)], refs  # every asset is the app's
    finally:
        proc.terminate()
        proc.wait(15)


def test_other_commands_results_are_found_by_their_files_and_damage_is_one_line(tmp_path):
    from actlocally.experiments.explorer import found

    pf = tmp_path / "any_name" / "portfolio.csv"
    pf.parent.mkdir()
    pd.DataFrame({"allocation": ["b", "a", "c"], "interventions": ["x", "y", "z"], "placements": [2, 1, 1],
                  "cost_gbp_planned": [20.0, 10.0, 30.0], "pareto": [True, True, False], "robust": [False, True, False],
                  "persistent_absence_pp_mean": [-0.2, -0.1, 0.0], "persistent_absence_pp_worst_decile": [0, 0, 0],
                  "days_attended_mean": [1.0, 2.0, 3.0], "area": "holme_wood"}).to_csv(pf, index=False)
    (pf.parent / "pareto.png").write_bytes(b"\x89PNG")
    ev = tmp_path / "evidence" / "holme_wood" / "evidence.csv"
    ev.parent.mkdir(parents=True)
    rows = [("target", "attendance", True), ("trial", "magic_breakfast.ks1_attainment", False),
            ("trial", "nyc_community_schools.chronic_absence", True)]
    pd.DataFrame([{"kind": k, "name": n, "description": n, "published": 1.0, "model": 1.0, "model_lo": 0.5,
                   "model_hi": 1.5, "pass": p, "used": "checked only", "source": "S"} for k, n, p in rows]
                 ).to_csv(ev, index=False)
    (pf, ev) = (found.portfolios(tmp_path)[0], found.evidence_pages(tmp_path)[0])
    assert (pf.area, ev.area) == ("holme_wood", "holme_wood") and found.for_area([pf], "bradford") == []
    front = found.pareto_front(pf)
    assert list(front["allocation"]) == ["a", "b"]  # the Pareto rows, cheapest first
    assert list(found.shown_front(front).columns) == ["allocation", "interventions", "placements",
                                                       "planned cost a year", "persistent_absence_pp", "robust"]
    shown, left_out = found.verdicts(ev, {"breakfast_club"})
    assert list(shown["name"]) == ["attendance", "magic_breakfast.ks1_attainment"] and left_out == 1
    assert list(shown["verdict"]) == ["pass", "fail"] and list(shown["anchors"]) == ["", "breakfast_club"]
    ev.table.write_text("kind,name\ntrial,x\n")
    with pytest.raises(found.Damaged, match="no column"):
        found.verdicts(ev, set())
    ev.table.write_bytes(b"\xff\x00\xfe")
    with pytest.raises(found.Damaged, match=str(ev.table)):
        found.verdicts(ev, set())
    (pf.folder / "pareto.png").unlink()
    with pytest.raises(found.Damaged, match="without pareto.png"):
        found.pareto_image(pf)
