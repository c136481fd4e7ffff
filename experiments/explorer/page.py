"""The explorer's page layout (Shiny UI): the Compose tab, the Compare tab and one card per intervention.

Every field has an error line beside it (`#err-<input id>`), filled with the CLI's message by the server through
one small inline script; nothing is loaded from outside the app (Shiny serves its own JS and CSS).
"""

from __future__ import annotations

from typing import Any

from actlocally.experiments.explorer.form import FieldSpec, format_parameters, intervention_fields
from actlocally.experiments.explorer.others import others_ui
from actlocally.model.area import available_areas
from actlocally.model.interventions.registry import REGISTRY
from shiny import ui

SCRIPT = """
Shiny.addCustomMessageHandler('explorer', function(msg) {
  document.querySelectorAll('.field-error').forEach(function(el) {
    var text = (msg.errors || {})[el.id.slice(4)] || '';
    el.textContent = text;
    el.style.display = text ? 'block' : 'none';
  });
  Object.entries(msg.matches || {}).forEach(function([id, text]) {
    var el = document.getElementById(id); if (el) { el.textContent = text; }
  });
  if (msg.query !== undefined && window.location.search !== msg.query) {
    window.history.replaceState(null, '', window.location.pathname + msg.query);
  }
  var link = document.getElementById('share-link');
  if (link && msg.query !== undefined) {
    link.href = window.location.pathname + msg.query; link.textContent = window.location.href;
  }
});
"""

CSS = """
.field-error { color: #b00020; font-size: 0.85em; display: none; margin-top: -0.6em; margin-bottom: 0.6em; }
.field-help { color: #555; font-size: 0.8em; margin-top: -0.7em; margin-bottom: 0.6em; }
.matches { font-size: 0.8em; color: #1b5e20; white-space: pre-line; max-height: 8em; overflow-y: auto; }
#interventions .card { margin-bottom: 0.8em; }
pre.toml { font-size: 0.8em; }
"""


def error_line(input_id: str) -> ui.Tag:
    return ui.div(id=f"err-{input_id}", class_="field-error")


def help_line(text: str) -> ui.Tag | str:
    return ui.div(text, class_="field-help") if text else ""


def _text_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # a yes/no setting's select shows "true" / "false"
        return str(value).lower()
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _field(slot: int, spec: FieldSpec, value: Any, school_names: list[str]) -> ui.Tag:
    """One setting's widget, its help text (unit; prior; source) and its error line."""
    iid = f"iv{slot}_{spec.name}"
    label = spec.name.replace("_", " ")
    if spec.kind == "schools":
        by_list = isinstance(value, list)
        widgets = [
            ui.input_radio_buttons(f"{iid}_mode", "schools", {"rule": "by rule", "list": "from the list"},
                                   selected="list" if by_list else "rule", inline=True),
            ui.panel_conditional(f"input.{iid}_mode === 'rule'",
                                 ui.input_text(f"{iid}_rule", None, "" if by_list else _text_value(value),
                                               placeholder="phase == 'primary' and disadvantaged_share >= 0.35",
                                               width="100%")),
            ui.panel_conditional(f"input.{iid}_mode === 'list'",
                                 ui.input_selectize(f"{iid}_list", None, school_names,
                                                    selected=value if by_list else [], multiple=True, width="100%")),
            help_line("a rule over phase, name, disadvantaged_share, eal_share, roll joined by 'and'; or 'all'"),
            ui.div(id=f"{iid}_matches", class_="matches"),
        ]
        return ui.div(*widgets, error_line(iid))
    if spec.kind == "select":
        widget = ui.input_select(iid, label, list(spec.choices), selected=_text_value(value or spec.default))
    elif spec.kind == "multi":
        chosen = [str(v) for v in (value or spec.default or [])]  # year groups arrive as numbers from a file
        widget = ui.input_selectize(iid, label, list(spec.choices), selected=chosen, multiple=True)
    else:
        widget = ui.input_text(iid, label, _text_value(value if value is not None else spec.default),
                               placeholder="blank: default" if spec.optional else None)
    return ui.div(widget, help_line(spec.help), error_line(iid))


def slot_card(slot: int, kind: str, values: dict[str, Any], school_names: list[str]) -> ui.Tag:
    """One intervention: its settings from the registry and a Remove button."""
    doc = (REGISTRY[kind].__doc__ or "").strip().splitlines()[0]
    remove = ui.tags.button("Remove", id=f"remove-{slot}", class_="btn btn-sm btn-outline-danger", type="button",
                            onclick=f"Shiny.setInputValue('remove_slot', {slot}, {{priority: 'event'}})")
    return ui.div(
        ui.card(ui.card_header(ui.tags.b(kind.replace("_", " ")), " ", remove),
                ui.p(doc, class_="field-help"),
                *[_field(slot, spec, values.get(spec.name), school_names) for spec in intervention_fields(kind)],
                error_line(f"iv{slot}")),
        id=f"slot{slot}", class_="iv-slot", **{"data-kind": kind})


def _top(input_id: str, widget: ui.Tag, help_text: str = "") -> ui.Tag:
    return ui.div(widget, help_line(help_text), error_line(input_id))


def compose_tab(data: dict[str, Any], replicates: int, cards: list[ui.Tag]) -> ui.Tag:
    """The form, filled from `data` (a share link's scenario, or the default) so the first page is already right."""
    def text(key: str, default: str = "") -> str:
        return default if data.get(key) is None else str(data[key])

    areas = available_areas()
    scenario = ui.card(
        ui.card_header("Scenario"),
        _top("name", ui.input_text("name", "name", text("name")), "letters, digits, _ and -; also the output folder"),
        _top("area", ui.input_select("area", "area", areas, selected=text("area") if text("area") in areas else None)),
        _top("years", ui.input_text("years", "years", text("years", "1")), "academic years, 1 to 10"),
        _top("seed", ui.input_text("seed", "seed", text("seed", "20261123"))),
        _top("pupils", ui.input_text("pupils", "pupils", text("pupils"), placeholder="blank: the whole area"),
             "rescale the area to this many pupils (quick looks); at least 100"),
        _top("replicates", ui.input_text("replicates", "replicates", str(replicates)),
             "runs of each scenario, 1 to 100,000"),
        _top("parameters", ui.input_text_area("parameters", "parameter overrides",
                                              format_parameters(data.get("parameters") or {}), rows=2,
                                              placeholder="attendance.b_hunger = 0.3"),
             "one `name = value` per line; names as in `actlocally params`"),
        ui.input_file("upload", "Fill from a scenario file", accept=[".toml"], multiple=False),
        error_line("upload"),
    )
    interventions = ui.card(
        ui.card_header("Interventions"),
        ui.layout_columns(ui.input_select("add_kind", None, sorted(REGISTRY)),
                          ui.input_action_button("add", "Add intervention", class_="btn-sm"), col_widths=(8, 4)),
        error_line("interventions"),
        ui.div(*cards, id="interventions"),
    )
    run = ui.card(
        ui.card_header("Run against the area's baseline"),
        ui.layout_columns(ui.input_task_button("run", "Run", label_busy="Running..."),
                          ui.input_action_button("cancel", "Cancel", class_="btn-outline-secondary"),
                          col_widths=(6, 6)),
        ui.output_ui("progress"),
        ui.div(ui.output_text("status"), id="run-status"),
        ui.p("Share this scenario: ", ui.tags.a("", id="share-link", href="#")),
    )
    toml = ui.card(ui.card_header("Scenario file"), ui.output_code("toml", placeholder=False),
                   ui.download_button("dl_toml", "Download scenario.toml", class_="btn-sm"))
    return ui.layout_columns(ui.div(scenario, run), ui.div(interventions, toml), col_widths=(5, 7))


def first_cards(data: dict[str, Any], school_names: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """The intervention cards a scenario starts with, slot i for its i-th (registered) intervention."""
    entries = data.get("interventions") or []
    return [(e["type"], e) for e in entries if isinstance(e, dict) and e.get("type") in REGISTRY]


def _chart(name: str, title: str, height: str, table: bool = True) -> ui.Tag:
    parts = [ui.card_header(title), ui.output_plot(f"chart_{name}", height=height)]
    if table:
        parts.append(ui.output_table(f"table_{name}"))
    parts.append(ui.download_button(f"csv_{name}", "Chart data as CSV", class_="btn-sm"))
    return ui.card(*parts, id=f"card_{name}")


def compare_tab() -> ui.Tag:
    pick = ui.layout_columns(
        ui.input_select("comparison", "comparison in outputs/", []),
        ui.input_select("arm", "scenario", []),
        ui.input_select("group", "pupil group (headline table)", ["all", "disadvantaged", "other", "girls", "boys"]),
        col_widths=(4, 4, 4))
    downloads = ui.div(*[ui.download_button(i, label, class_="btn-sm me-2") for i, label in (
        ("dl_brief_html", "Brief (HTML)"), ("dl_brief_pdf", "Brief (PDF)"), ("dl_summary", "summary.csv"),
        ("dl_nc", "comparison.nc"))], class_="mb-3")
    return ui.div(
        pick, downloads, ui.output_text("compare_status"),
        ui.card(ui.card_header("Headline: change against the baseline in the last year (mean, 90% interval)"),
                ui.output_table("headline"),
                ui.download_button("csv_headline", "Table as CSV", class_="btn-sm"), id="card_headline"),
        _chart("groups", "Effect by pupil group", "320px"),
        _chart("schools", "Effect by school", "480px"),
        _chart("waits", "Waits per service", "360px"),
        _chart("terms", "Persistent absence by term", "320px", table=False),
        ui.card(ui.card_header("Cost per outcome (all scenarios of the comparison)"), ui.output_table("table_cost"),
                ui.download_button("csv_cost", "Table as CSV", class_="btn-sm"), id="card_cost"),
        others_ui(),
    )


def page(data: dict[str, Any], replicates: int, school_names: list[str]) -> ui.Tag:
    """The whole page, its form filled from `data`."""
    cards = [slot_card(i, kind, entry, school_names) for i, (kind, entry) in enumerate(first_cards(data, school_names))]
    return ui.page_navbar(
        ui.nav_panel("Compose and run", compose_tab(data, replicates, cards), value="compose"),
        ui.nav_panel("Compare", compare_tab(), value="compare"),
        title="actlocally explorer", id="tabs",
        header=ui.tags.head(ui.tags.style(CSS)), footer=ui.tags.script(SCRIPT))
