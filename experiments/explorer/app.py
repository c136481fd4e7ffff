"""The Shiny app: Compose (form, share link, TOML), Run (an extended task with progress and cancel), Compare.

`make_app(settings)` builds one app for a server; each browser session gets its own form and its own run. A run's
failure is shown as one line and the app stays up.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from actlocally.experiments.explorer import charts, results
from actlocally.experiments.explorer.compose import Composer
from actlocally.experiments.explorer.form import decode_query, default_data, from_toml, to_toml
from actlocally.experiments.explorer.others import others_server
from actlocally.experiments.explorer.page import first_cards, page
from actlocally.experiments.explorer.runs import Cancelled, Progress, RunSettings, one_line, run_scenario
from actlocally.experiments.explorer.schools import schools_or_error
from actlocally.model.errors import InputError
from actlocally.model.interventions.registry import REGISTRY
from shiny import App, reactive, render, req, ui


def make_app(settings: RunSettings) -> App:
    """The explorer for one outputs folder and one way of running batches."""

    def server(input, output, session):
        form = Composer(input, session)
        run_status = reactive.value("")
        run_progress = reactive.value(Progress())
        started = reactive.value(False)

        @reactive.effect
        def _start():
            if started():
                return
            started.set(True)
            with reactive.isolate():
                data, _ = first_form(session.clientdata.url_search())
                form.adopt(first_cards(data, []))
                unknown = [e.get("type") for e in data.get("interventions") or []
                           if not (isinstance(e, dict) and e.get("type") in REGISTRY)]
                if unknown:
                    form.upload_error.set(f"unknown intervention(s) {unknown} in the link; allowed: "
                                          f"{', '.join(sorted(REGISTRY))}")
                names = results.finished_comparisons(settings.outputs)
                ui.update_select("comparison", choices=names, selected=names[0] if names else None)

        @reactive.effect
        @reactive.event(input.add)
        def _add():
            form.add(input.add_kind(), {})

        @reactive.effect
        @reactive.event(input.remove_slot)
        def _remove():
            form.remove(int(input.remove_slot()))

        @reactive.effect
        @reactive.event(input.upload)
        def _upload():
            info = input.upload()[0]
            form.upload_error.set("")
            try:
                data = from_toml(Path(info["datapath"]).read_text(encoding="utf-8", errors="replace"), info["name"])
            except InputError as err:
                form.upload_error.set(str(err))
                return
            form.fill(data)

        @reactive.effect
        def _school_choices():
            """A new area, population or seed has other schools: offer them in every card's list."""
            names = [sc.name for sc in schools_or_error(*form.area_key())[0]]
            with reactive.isolate():
                for slot, kind in form.slots():
                    if "schools" in REGISTRY[kind].Params.model_fields:
                        picked = form.slot_values(slot, kind)["schools"]
                        keep = [n for n in picked if n in names] if isinstance(picked, list) else []
                        ui.update_selectize(f"iv{slot}_schools_list", choices=names, selected=keep)

        @reactive.calc
        def state():
            return form.read()

        @reactive.effect
        async def _push():
            s = state()
            await session.send_custom_message("explorer", {"errors": s["errors"], "matches": s["matches"],
                                                           "query": s["query"]})

        @render.code
        def toml():
            return to_toml(state()["data"])

        @render.download_button(filename=lambda: f"{state()['data'].get('name') or 'scenario'}.toml")
        def dl_toml():
            yield to_toml(state()["data"])

        @ui.bind_task_button(button_id="run")
        @reactive.extended_task
        async def run_task(scenario, scenario_toml, replicates, p):
            try:
                out = await asyncio.to_thread(run_scenario, scenario, scenario_toml, replicates, settings, p)
            except Cancelled as err:
                return "cancelled", one_line(err)
            except Exception as err:  # a failed run is one line on the page; the app stays up
                return "error", one_line(err)
            return "ok", out.name

        @reactive.effect
        @reactive.event(input.run)
        def _run():
            s = state()
            if s["checked"].scenario is None or s["errors"]:
                first = s["checked"].message or "; ".join(f"{k}: {v}" for k, v in s["errors"].items())
                run_status.set(f"cannot run: {first}")
                return
            p = Progress()
            run_progress.set(p)
            run_status.set(f"running {s['data']['name']} and its baseline, {s['replicates']} replicates each")
            run_task.invoke(s["checked"].scenario, to_toml(s["data"]), s["replicates"], p)

        @reactive.effect
        @reactive.event(input.cancel)
        def _cancel():
            run_progress().cancel.set()
            run_status.set("cancelling after the run in progress...")

        @reactive.effect
        def _finished():
            if run_task.status() != "success":
                return
            kind, value = run_task.result()
            if kind != "ok":
                run_status.set(f"run {'failed' if kind == 'error' else 'stopped'}: {value}")
                return
            run_status.set(f"finished: {settings.outputs / value} (results in the Compare tab)")
            ui.update_select("comparison", choices=results.finished_comparisons(settings.outputs), selected=value)
            ui.update_navset("tabs", selected="compare")

        @render.ui
        def progress():
            if run_task.status() != "running":
                return None
            reactive.invalidate_later(0.3)
            p = run_progress()
            return ui.div(ui.tags.progress(value=str(p.done), max=str(max(p.total, 1)), style="width: 100%"),
                          f"{p.done} of {p.total} runs ({p.stage})", id="progress-bar")

        @render.text
        def status():
            return run_status()

        compare_server(input, output, settings)

    def first_page(request):
        """The page for this request's URL: a share link's scenario is already in the form when it loads."""
        data, reps = first_form(request.url.query)
        schools, _ = schools_or_error(*area_key(data))
        return page(data, reps, [s.name for s in schools])

    return App(first_page, server)


def first_form(query: str) -> tuple[dict, int]:
    """The scenario and replicates a page opens with: the link's, or the default scenario and 20."""
    data, reps = decode_query(query)
    return (data if data is not None else default_data()), (reps or 20)


def area_key(data: dict) -> tuple[str, int | None, int]:
    """(area, pupils, seed) of a scenario dict, as `Composer.area_key` reads them from the form."""
    pupils, seed = data.get("pupils"), data.get("seed", 20261123)
    return (str(data.get("area", "")), pupils if isinstance(pupils, int) and pupils >= 100 else None,
            seed if isinstance(seed, int) and seed >= 0 else 0)


def compare_server(input, output, settings: RunSettings) -> None:
    """The Compare tab: a finished comparison's tables, charts and downloads."""
    cache: dict[tuple[str, float], results.Finished] = {}

    @reactive.calc
    def finished() -> results.Finished:
        name = input.comparison()
        req(name and name in results.finished_comparisons(settings.outputs))
        folder = settings.outputs / name
        key = (name, (folder / "summary.csv").stat().st_mtime)
        if key not in cache:
            cache.clear()
            cache[key] = results.load(folder)
        return cache[key]

    @reactive.effect
    def _arms():
        arms = finished().arms
        ui.update_select("arm", choices=arms, selected=arms[0] if arms else None)

    @reactive.calc
    def arm() -> str:
        a = input.arm()
        req(a and a in finished().arms)
        return a

    @render.text
    def compare_status():
        f = finished()
        reps = int(f.summary["replicates"].iloc[0]) if len(f.summary) else 0
        return f"{f.folder}: {len(f.ds['scenario'])} scenarios x {reps} replicates ({', '.join(f.arms)} against " \
               f"their baselines)"

    tables = {
        "headline": lambda: results.headline(finished(), arm(), input.group()),
        "groups": lambda: results.by_group(finished(), arm()),
        "schools": lambda: results.school_effects(finished(), arm()),
        "waits": lambda: results.waits(finished(), arm()),
        "terms": lambda: results.terms(finished(), arm()),
        "cost": lambda: results.cost_per_outcome(finished()),
    }
    for key, make in tables.items():
        _csv_download(output, key, make)
        if key != "terms":
            _table(output, key, make)

    @render.plot(alt="effect by pupil group")
    def chart_groups():
        return charts.effect_by_group(tables["groups"]())

    @render.plot(alt="effect by school")
    def chart_schools():
        return charts.schools(tables["schools"]())

    @render.plot(alt="waits per service")
    def chart_waits():
        return charts.waits(tables["waits"]())

    @render.plot(alt="persistent absence by term")
    def chart_terms():
        return charts.terms(tables["terms"]())

    def _brief(ext: str) -> str:
        from actlocally.experiments.brief.render import write_brief

        f = finished()
        html, pdf = f.folder / f"brief_{arm()}.html", f.folder / f"brief_{arm()}.pdf"
        nc = f.folder / "comparison.nc"
        if not (pdf.is_file() and html.is_file() and pdf.stat().st_mtime >= nc.stat().st_mtime):
            write_brief(f.folder, arm())
        return str(html if ext == "html" else pdf)

    @render.download_button(filename=lambda: f"brief_{input.arm()}.html")
    def dl_brief_html():
        return _brief("html")

    @render.download_button(filename=lambda: f"brief_{input.arm()}.pdf")
    def dl_brief_pdf():
        return _brief("pdf")

    @render.download_button(filename=lambda: f"{input.comparison()}_summary.csv")
    def dl_summary():
        return str(finished().folder / "summary.csv")

    @render.download_button(filename=lambda: f"{input.comparison()}_comparison.nc")
    def dl_nc():
        return str(finished().folder / "comparison.nc")

    others_server(input, output, settings.outputs, finished, arm)


def _table(output, key: str, make) -> None:
    """A table output for one of the Compare tab's DataFrames (text columns; the CSV has the numbers)."""

    @output(id="headline" if key == "headline" else f"table_{key}")
    @render.table(index=False)
    def _render():
        return results.shown(make())


def _csv_download(output, key: str, make) -> None:
    """A "data as CSV" button: exactly the DataFrame its table or chart is drawn from."""

    @output(id=f"csv_{key}")
    @render.download_button(filename=lambda: f"{key}.csv")
    def _dl():
        yield make().to_csv(index=False)
