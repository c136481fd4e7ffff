"""The Compare tab's cards for other commands' results: the portfolio's Pareto set and the evidence page's verdicts.

Both are found in the outputs folder by their files (`found.py`), re-scanned every few seconds so a portfolio or an
evidence page written from a terminal while the app runs appears without a restart. They are narrowed to the area
of the comparison's selected scenario; evidence trial rows to the trials anchoring its interventions. A missing or
damaged file is one line in its card, never a traceback.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from actlocally.experiments.explorer import found, results
from shiny import reactive, render, req, ui

POLL_SECONDS = 3.0


def others_ui() -> ui.Tag:
    """The portfolio card and the evidence card."""
    portfolio = ui.card(
        ui.card_header("Portfolio: the Pareto set (from actlocally portfolio)"),
        ui.input_select("portfolio", "portfolio in outputs/ for this area", []),
        ui.div(ui.output_text("portfolio_note"), id="portfolio-note", class_="field-help"),
        ui.output_ui("pareto_chart"),
        ui.output_table("table_front"),
        ui.div(*[ui.download_button(i, label, class_="btn-sm me-2") for i, label in (
            ("csv_front", "Pareto set as CSV"), ("dl_portfolio_csv", "portfolio.csv (every allocation)"),
            ("dl_pareto_png", "pareto chart"))]),
        id="card_portfolio")
    evidence = ui.card(
        ui.card_header("Evidence: the model against published figures (from actlocally evidence)"),
        ui.div(ui.output_text("evidence_note"), id="evidence-note", class_="field-help"),
        ui.output_table("table_evidence"),
        ui.div(*[ui.download_button(i, label, class_="btn-sm me-2") for i, label in (
            ("csv_evidence", "Verdicts as CSV"), ("dl_evidence_csv", "evidence.csv (whole page)"),
            ("dl_evidence_html", "evidence page (HTML)"))]),
        id="card_evidence")
    return ui.div(portfolio, evidence)


def _scan_key(outputs: Path) -> tuple:
    """What changes when a portfolio or evidence page is written, replaced or removed."""
    return tuple((str(f.table), f.table.stat().st_mtime) for f in
                 (*found.portfolios(outputs), *found.evidence_pages(outputs)) if f.table.exists())


def others_server(input, output, outputs: Path, finished: Callable[[], results.Finished],
                  arm: Callable[[], str]) -> None:
    """Serve the two cards for the comparison `finished()` and its scenario `arm()`."""

    @reactive.poll(lambda: _scan_key(outputs), POLL_SECONDS)
    def scanned() -> tuple[list[found.Found], list[found.Found]]:
        return found.portfolios(outputs), found.evidence_pages(outputs)

    @reactive.calc
    def area() -> str:
        return results.area_of(finished(), arm())

    @reactive.calc
    def area_portfolios() -> list[found.Found]:
        return found.for_area(scanned()[0], area())

    @reactive.effect
    def _portfolio_choices():
        choices = {str(f.folder): f.label for f in area_portfolios()}
        with reactive.isolate():
            keep = input.portfolio()
        ui.update_select("portfolio", choices=choices,
                         selected=keep if keep in choices else next(iter(choices), None))

    @reactive.calc
    def portfolio() -> found.Found | None:
        by_folder = {str(f.folder): f for f in area_portfolios()}
        return by_folder.get(input.portfolio() or "") if by_folder else None

    @reactive.calc
    def front() -> tuple[pd.DataFrame | None, str]:
        f = portfolio()
        if f is None:
            return None, (f"No portfolio for {area()} in {outputs} yet: `actlocally portfolio {area()} --budget "
                          f"... --out NAME --root {outputs}` writes one.")
        try:
            table = found.pareto_front(f)
        except found.Damaged as err:
            return None, str(err)
        return table, (f"{f.folder}: {len(table)} allocation(s) on the Pareto set (no other allocation evaluated is "
                       "as cheap and at least as good on every objective); ringed in the chart: those that stay "
                       "there in the worst decile.")

    @render.text
    def portfolio_note():
        return front()[1]

    @render.ui
    def pareto_chart():
        f = portfolio()
        req(f is not None and front()[0] is not None)
        try:
            path = found.pareto_image(f)
        except found.Damaged as err:
            return ui.p(str(err), class_="field-help")
        mime = "image/svg+xml" if path.suffix == ".svg" else "image/png"
        src = f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"
        return ui.img(src=src, alt="Pareto chart: planned cost against each objective", style="max-width:100%",
                      id="pareto-img")

    @render.table(index=False)
    def table_front():
        table = front()[0]
        req(table is not None)
        return found.shown_front(table)

    @render.download_button(filename=lambda: f"{portfolio().folder.name}_pareto_set.csv")
    def csv_front():
        table = front()[0]
        req(table is not None)
        yield table.to_csv(index=False)

    @render.download_button(filename=lambda: f"{portfolio().folder.name}_portfolio.csv")
    def dl_portfolio_csv():
        req(front()[0] is not None)
        return str(portfolio().table)

    @render.download_button(filename=lambda: f"{portfolio().folder.name}_{found.pareto_image(portfolio()).name}")
    def dl_pareto_png():
        req(front()[0] is not None)
        return str(found.pareto_image(portfolio()))

    @reactive.calc
    def verdicts() -> tuple[pd.DataFrame | None, str, found.Found | None]:
        pages = [f for f in scanned()[1] if f.area == area()]
        if not pages:
            return None, (f"No evidence page for {area()} in {outputs} yet: `actlocally evidence {area()} --out "
                          f"{outputs}` writes one."), None
        kinds = results.kinds_of(finished(), arm())
        try:
            rows, left_out = found.verdicts(pages[0], kinds)
        except found.Damaged as err:
            return None, str(err), pages[0]
        passed = int((rows["verdict"] == "pass").sum())
        note = (f"{pages[0].folder}: the model passes {passed} of {len(rows)} checks shown (area figures of "
                f"{area()}, and trials anchoring {', '.join(sorted(kinds)) or 'no intervention'})")
        return rows, note + (f"; {left_out} trial row(s) for other interventions are on the full page." if left_out
                             else "."), pages[0]

    @render.text
    def evidence_note():
        return verdicts()[1]

    @render.table(index=False)
    def table_evidence():
        rows = verdicts()[0]
        req(rows is not None)
        return found.shown_verdicts(rows)

    @render.download_button(filename=lambda: f"evidence_{area()}_{arm()}.csv")
    def csv_evidence():
        rows = verdicts()[0]
        req(rows is not None)
        yield rows.to_csv(index=False)

    @render.download_button(filename=lambda: f"evidence_{area()}.csv")
    def dl_evidence_csv():
        page = verdicts()[2]
        req(page is not None)
        return str(page.table)

    @render.download_button(filename=lambda: f"evidence_{area()}.html")
    def dl_evidence_html():
        page = verdicts()[2]
        req(page is not None and (page.folder / "evidence.html").is_file())
        return str(page.folder / "evidence.html")
