"""A scenario's headline outcomes lead its brief (with their cost per unit), every range that reaches zero says so
where it is stated, and the body carries no internal file names or stamps."""

from __future__ import annotations

import html as htmllib
import re

import pytest
from actlocally.experiments.brief.data import brief_data
from actlocally.experiments.cli import app
from typer.testing import CliRunner

runner = CliRunner()
BASE = 'name = "base"\narea = "manningham_girlington"\npupils = 400\n'
MH = '''name = "mh"
title = "Mental health support for girls and mothers"
headline = ["children_out_of_difficulty.girls", "mothers_out_of_depression"]
description = "One more MHST for every school."
area = "manningham_girlington"
pupils = 400

[[interventions]]
type = "mental_health_support_team"
schools = "all"
'''
CMP = 'name = "mh_cmp"\nbaselines = ["base.toml"]\nscenarios = ["mh.toml"]\nreplicates = 4\nseed = 11\n'
RANGE = re.compile(r'data-group="([^"]*)" data-metric="([^"]*)" data-stat="low">([^<]*)</span> to <span class="num" '
                   r'data-scenario="[^"]*" data-group="[^"]*" data-metric="[^"]*" data-stat="high">([^<]*)</span>'
                   r'(, <span class="zero">([^<]*)</span>)?')


@pytest.fixture(scope="module")
def brief(tmp_path_factory):
    root = tmp_path_factory.mktemp("headline")
    for name, text in (("base.toml", BASE), ("mh.toml", MH), ("cmp.toml", CMP)):
        (root / name).write_text(text)
    res = runner.invoke(app, ["compare", str(root / "cmp.toml"), "--workers", "0", "--out", str(root / "out"),
                              "--posterior", "none"])
    assert res.exit_code == 0, res.output
    folder = root / "out" / "mh_cmp"
    res = runner.invoke(app, ["brief", str(folder), "--out", str(root / "b")])
    assert res.exit_code == 0, res.output
    return folder, (root / "b.html").read_text(encoding="utf-8")


def test_the_headline_leads_the_brief_with_its_cost_per_unit(brief):
    folder, html = brief
    assert "<h1>Mental health support for girls and mothers</h1>" in html  # the title, not the file name
    summary = html[html.index('id="in-short"'):html.index('id="what"')]
    first = re.search(r'data-group="([^"]*)" data-metric="([^"]*)"', summary.split("</li>", 1)[1])
    assert first.groups() == ("girls", "children_out_of_difficulty")
    assert summary.index("Children moved out of emotional difficulty") < summary.index("Mothers moved out of")
    assert "child out of emotional difficulty" in summary  # priced per child, or said why not
    table = html[html.index('id="changes"'):]
    rows = re.findall(r"<tr( class=\"headline\")?><td>([^<(]*)", table)
    assert [label.strip() for _, label in rows[:2]] == ["Children moved out of emotional difficulty, girls",
                                                         "Mothers moved out of depression"]
    assert rows[0][0] and rows[1][0] and not rows[2][0]
    data = brief_data(folder)
    assert [x.number.metric for x in data.lead] == ["children_out_of_difficulty", "mothers_out_of_depression"]
    assert data.cost_measures[0].name == "children_out_of_difficulty"
    assert data.costs[0].per[0].metric == "cost_per_child_out_of_difficulty"


def test_every_range_that_reaches_zero_says_so_where_it_is_stated(brief):
    folder, html = brief
    data = brief_data(folder)
    numbers = {(n.group, n.metric): n for n in [*data.headlines.values(), *(x.number for x in data.lead),
                                                *(n for row in data.by_group.values() for n in row.values())]}
    found = RANGE.findall(html)
    assert len(found) > 15
    said = 0
    for group, metric, low, high, _, words in found:
        n = numbers.get((group, metric))
        if n is None or metric.startswith(("cost", "wait_days_", "helped_")):
            continue
        assert htmllib.unescape(low) == n.low_text and htmllib.unescape(high) == n.high_text
        if n.spans_zero:
            assert words in ("a range that reaches zero", "reaches zero", "no change in any simulated year",
                             "no change"), (metric, group, low, high)
            said += 1
        else:
            assert words == "", (metric, low, high)
    assert said > 0


def test_the_body_has_no_file_names_seeds_or_stamps(brief):
    _, html = brief
    body = html[html.index("<main>"):html.index('class="sources"')]
    text = re.sub(r"<[^>]+>", " ", body)
    for bad in (r"\.txt", r"\+dirty", r"\d{4}-\d{2}-\d{2}T\d", r"\bseed\b", r"\.toml", r"\.nc\b", "mh_cmp"):
        assert not re.search(bad, text), bad


@pytest.mark.parametrize(("headline", "problem"), [
    ('["wellbeing"]', "unknown outcome 'wellbeing'"),
    ('["child_difficulty_pp.teachers"]', "unknown group 'teachers'"),
    ('["cost_gbp.girls"]', "reported for all pupils only"),
])
def test_a_bad_headline_is_one_clear_message(tmp_path, headline, problem):
    path = tmp_path / "bad.toml"
    path.write_text(MH.replace('headline = ["children_out_of_difficulty.girls", "mothers_out_of_depression"]',
                               f"headline = {headline}"))
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 2
    flat = re.sub(r"\s+", " ", res.output)
    assert "headline[0]" in flat and problem in flat and "Traceback" not in flat
