"""The web explorer in a real browser (Playwright driving Debian's Chromium, headless), on a 500-pupil area.

One flow: load the app, compose a small scenario, run it in-process, see the table and a chart, download the CSV and
check it against summary.csv, open the share URL in a new page and see the same form, type invalid values and see
the CLI's messages. Screenshots of each page go to the test's temporary folder. Skipped (with the reason) when no
Chromium is found, except in CI (CI=true), where it must run.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from actlocally.experiments.cli import app
from actlocally.experiments.explorer.app import make_app
from actlocally.experiments.explorer.runs import RunSettings
from actlocally.model.errors import InputError
from actlocally.model.scenario import load_scenario
from typer.testing import CliRunner

IN_CI = os.environ.get("CI", "").lower() == "true"
NAME = "tiny_club"


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI must run the browser tests: .ci/run installs Debian's chromium)")
    pytest.skip(f"{reason}; browser tests skipped (install Debian's chromium: apt-get install chromium)")


def chromium() -> str:
    """The system Chromium's path (Playwright's own browser download is not used)."""
    for candidate in (os.environ.get("ACTLOCALLY_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if candidate and Path(candidate).exists():
            return candidate
    _unavailable("no Chromium found on PATH (chromium, chromium-browser, google-chrome) or in ACTLOCALLY_CHROMIUM")


@pytest.fixture(scope="module")
def strategist_outputs(tmp_path_factory):
    """An outputs folder holding what a strategist's other commands write there: a portfolio and an evidence page
    for Keighley Central, from the real commands on a small population."""
    outputs = tmp_path_factory.mktemp("outputs")
    runner = CliRunner()
    res = runner.invoke(app, ["portfolio", "keighley_central", "--budget", "120000", "--out", "kc_small",
                              "--interventions", "breakfast_club,service_hub", "--schools", "phase == 'primary'",
                              "--objective", "persistent_absence_pp,child_difficulty_pp", "--replicates", "2",
                              "--seed", "5", "--pupils", "300", "--population", "4", "--generations", "2",
                              "--workers", "0", "--posterior", "none", "--root", str(outputs)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["evidence", "keighley_central", "--draws", "5", "--pupils", "800", "--trials",
                              "magic_breakfast,place2be_counselling", "--trial-replicates", "2", "--trial-pupils",
                              "8000", "--workers", "0", "--out", str(outputs)])
    assert res.exit_code == 0, res.output
    return outputs


@pytest.fixture(scope="module")
def server(strategist_outputs):
    """The explorer on a free localhost port, in a thread of this process; stopped after the module."""
    import uvicorn

    outputs = strategist_outputs
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = make_app(RunSettings(outputs=outputs, workers=0))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the explorer did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/", outputs
    srv.should_exit = True
    thread.join(15)


@pytest.fixture(scope="module")
def browser():
    path = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def _cli_problem(tmp_path: Path, toml: str) -> str:
    """The message `actlocally validate` gives for this scenario file (the part after the field)."""
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(InputError) as err:
        load_scenario(path)
    return err.value.problem


def test_compose_run_compare_share_and_bad_input(server, browser, tmp_path):
    base, outputs = server
    started = time.monotonic()
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((base, "data:", "blob:")) else outside.append(r.url))

    # Load and compose: a universal breakfast club in the primaries of a 500-pupil Keighley Central.
    page.goto(base)
    page.wait_for_selector("#slot0")
    assert "breakfast club" in page.inner_text("#slot0")
    assert "Pro Bono Economics 2021" in page.inner_text("#slot0")  # a parameter's source as help text
    page.fill("#name", NAME)
    page.fill("#pupils", "500")
    page.fill("#replicates", "2")
    page.fill("#iv0_schools_rule", "phase == 'primary'")
    page.wait_for_function("document.getElementById('iv0_schools_matches').textContent.includes('schools match')")
    page.wait_for_function("window.location.search.includes('replicates=2') && "
                           "document.querySelector('#toml').textContent.includes('pupils = 500')")
    page.screenshot(path=tmp_path / "compose.png", full_page=True)

    # Run in-process; the Compare tab shows the table and a chart.
    page.click("#run")
    page.wait_for_selector("#headline table", timeout=90_000)
    page.wait_for_selector("#chart_groups img", timeout=30_000)
    assert "Days attended per pupil" in page.inner_text("#headline")
    page.screenshot(path=tmp_path / "compare.png", full_page=True)
    folder = outputs / NAME
    summary = pd.read_csv(folder / "summary.csv")

    # The headline CSV holds summary.csv's numbers; the summary.csv button gives the file itself.
    with page.expect_download() as dl:
        page.click("#csv_headline")
    table = pd.read_csv(dl.value.path())
    mine = summary[(summary["scenario"] == NAME) & (summary["group"] == "all")].set_index("label")
    assert len(table) == len(mine)
    for _, row in table.iterrows():
        for col in ("mean", "low_5pct", "high_95pct"):
            want = mine.loc[row["outcome"], col]
            assert (pd.isna(want) and pd.isna(row[col])) or row[col] == pytest.approx(want, rel=1e-12, abs=1e-12)
    with page.expect_download() as dl:
        page.click("#dl_summary")
    assert Path(dl.value.path()).read_bytes() == (folder / "summary.csv").read_bytes()
    with page.expect_download(timeout=60_000) as dl:  # the funder brief, built by `write_brief` on first ask
        page.click("#dl_brief_html")
    assert "<html" in Path(dl.value.path()).read_text()[:500].lower() and (folder / f"brief_{NAME}.pdf").is_file()

    # The portfolio's Pareto set and the evidence verdicts for this area, found in outputs/ by their files.
    _portfolio_and_evidence(page, outputs, tmp_path)

    # The share link opens the same form in a new page.
    shared = page.url
    other = context.new_page()
    other.goto(shared)
    other.wait_for_selector("#slot0")
    other.wait_for_function("document.getElementById('name').value === 'tiny_club'")
    assert other.input_value("#pupils") == "500"
    assert other.input_value("#replicates") == "2"
    assert other.input_value("#iv0_schools_rule") == "phase == 'primary'"
    assert other.input_value("#iv0_offer") == "universal"
    other.wait_for_function("document.querySelector('#toml').textContent.includes('tiny_club')")
    other.screenshot(path=tmp_path / "share.png", full_page=True)

    # An uploaded scenario file fills the form; its bad field gets the CLI's message.
    upload = tmp_path / "upload.toml"
    upload.write_text("name = 'from_file'\narea = 'holme_wood'\nyears = 0\n\n[[interventions]]\n"
                      "type = 'glasses_in_classes'\n")
    other.set_input_files("#upload", str(upload))
    other.wait_for_function("document.getElementById('name').value === 'from_file'")
    other.wait_for_selector("#slot1[data-kind='glasses_in_classes']")
    other.wait_for_function("document.getElementById('err-years').textContent.length > 0")
    assert other.inner_text("#err-years") == _cli_problem(tmp_path, upload.read_text())
    other.goto(shared)  # back to the shared scenario
    other.wait_for_function("document.getElementById('name').value === 'tiny_club'")
    other.wait_for_selector("#iv0_p_enrol")

    # Invalid values: the CLI's own messages beside the fields, and Run refuses.
    other.fill("#iv0_p_enrol", "1.5")
    other.fill("#pupils", "50")
    want_p = _cli_problem(tmp_path, "name='x'\narea='keighley_central'\n[[interventions]]\ntype='breakfast_club'\n"
                          "p_enrol=1.5\n")
    want_pupils = _cli_problem(tmp_path, "name='x'\narea='keighley_central'\npupils=50\n")
    other.wait_for_function("document.getElementById('err-pupils').textContent.length > 0")
    assert other.inner_text("#err-pupils") == want_pupils
    other.fill("#pupils", "500")
    other.wait_for_function("document.getElementById('err-iv0_p_enrol').textContent.length > 0")
    assert other.inner_text("#err-iv0_p_enrol") == want_p
    other.click("#run")
    other.wait_for_function("document.getElementById('run-status').textContent.includes('cannot run')")
    assert "p_enrol" in other.inner_text("#run-status")
    other.screenshot(path=tmp_path / "invalid.png", full_page=True)

    assert outside == [], f"the page fetched from outside the app: {outside}"
    links = page.evaluate("""Array.from(document.querySelectorAll('script[src], link[href], img[src], iframe[src]'))
                             .map(e => e.src || e.href)""")
    assert links and all(u.startswith((base, "data:")) for u in links), links  # no CDN: every asset is the app's
    context.close()
    print(f"browser flow {time.monotonic() - started:.1f} s; screenshots in {tmp_path}")


def _portfolio_and_evidence(page, outputs: Path, tmp_path: Path) -> None:
    """The Pareto chart and set, and the evidence verdicts, appear with their downloads; a damaged file is a message."""
    page.wait_for_selector("#pareto-img", timeout=30_000)
    page.wait_for_selector("#table_front table")
    portfolio = pd.read_csv(outputs / "kc_small" / "portfolio.csv")
    front = portfolio[portfolio["pareto"]].sort_values(["cost_gbp_planned", "allocation"])
    with page.expect_download() as dl:
        page.click("#csv_front")
    got = pd.read_csv(dl.value.path())
    assert list(got["allocation"]) == list(front["allocation"])
    assert got["cost_gbp_planned"].tolist() == pytest.approx(front["cost_gbp_planned"].tolist(), rel=1e-12)
    for name in front["allocation"]:
        assert name in page.inner_text("#table_front")
    with page.expect_download() as dl:
        page.click("#dl_pareto_png")
    assert Path(dl.value.path()).read_bytes() == (outputs / "kc_small" / "pareto.png").read_bytes()

    page.wait_for_selector("#table_evidence table")
    evidence = pd.read_csv(outputs / "evidence" / "keighley_central" / "evidence.csv")
    targets = evidence[evidence["kind"] == "target"]
    club = evidence[evidence["name"].str.startswith("magic_breakfast.")]  # anchors breakfast_club: shown
    shown = page.inner_text("#table_evidence")
    assert "place2be" not in shown.lower()  # anchors the MHST, which this scenario does not use
    with page.expect_download() as dl:
        page.click("#csv_evidence")
    got = pd.read_csv(dl.value.path())
    assert list(got["name"]) == list(targets["name"]) + list(club["name"])
    assert list(got["verdict"]) == ["pass" if p else "fail" for p in pd.concat([targets, club])["pass"]]
    passed = int(got["verdict"].eq("pass").sum())
    assert f"passes {passed} of {len(got)} checks shown" in page.inner_text("#evidence-note")
    assert "2 trial row(s) for other interventions" in page.inner_text("#evidence-note")
    assert all(u in ("calibration", "checked only") or u.startswith("fitted in calibration (trial stage)")
               for u in got["used"]) and "EEF project page" in shown
    page.screenshot(path=tmp_path / "compare_portfolio_evidence.png", full_page=True)

    # A damaged evidence file: one line in the card, the rest of the page stays.
    path = outputs / "evidence" / "keighley_central" / "evidence.csv"
    good = path.read_bytes()
    path.write_text("kind,name\ntarget,x\n")
    page.wait_for_function("document.getElementById('evidence-note').textContent.includes('no column')",
                           timeout=15_000)
    assert "Traceback" not in page.inner_text("body") and page.is_visible("#pareto-img")
    path.write_bytes(good)
