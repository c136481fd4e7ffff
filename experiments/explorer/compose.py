"""The Compose tab's server side: intervention cards added and removed, the form read, checked and shared.

The form is read into a scenario dict, checked by the CLI's validation (`form.check`), and every message is sent
to the field it names; the share URL and the TOML preview follow every keystroke.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from actlocally.experiments.explorer.form import (
    TOP_FIELDS,
    check,
    encode_query,
    format_parameters,
    intervention_entry,
    intervention_fields,
    parse_number,
    scenario_data,
)
from actlocally.experiments.explorer.page import slot_card
from actlocally.experiments.explorer.schools import describe, matching, schools_or_error
from actlocally.model.interventions.registry import REGISTRY
from shiny import reactive, ui

MAX_REPLICATES = 100_000
_SLOT_FIELD = re.compile(r"interventions(?:\[(\d+)\]|\.(\d+))(?:\.([A-Za-z_]+))?.*", re.S)


def input_for(path: str, slots: list[tuple[int, str]]) -> str:
    """The input id beside which a validation message about `path` (e.g. 'interventions[0].p_enrol') is shown."""
    if path in TOP_FIELDS or path == "parameters" or path.startswith("parameters."):
        return path.split(".")[0]
    m = _SLOT_FIELD.fullmatch(path)
    if m and slots:
        i = int(m.group(1) or m.group(2))
        if i < len(slots):
            slot, kind = slots[i]
            field = m.group(3)
            names = {s.name for s in intervention_fields(kind)}
            return f"iv{slot}_{field}" if field in names else f"iv{slot}"
    return "interventions" if path.startswith("interventions") else "name"


def replicates_or_error(text: str) -> tuple[int | None, str]:
    value = parse_number(text)
    if isinstance(value, int) and 1 <= value <= MAX_REPLICATES:
        return value, ""
    return None, f"replicates is a whole number from 1 to {MAX_REPLICATES:,}"


class Composer:
    """One session's form: which intervention cards exist, their first values, and the form read as a scenario."""

    def __init__(self, input, session) -> None:
        self.input = input
        self.session = session
        self.slots = reactive.value([])  # [(slot id, intervention type)] in scenario order
        self.first_values: dict[int, dict[str, Any]] = {}  # until the browser reports a new card's inputs
        self._ids = itertools.count()
        self.upload_error = reactive.value("")

    def area_key(self) -> tuple[str, int | None, int]:
        pupils, seed = parse_number(self.input.pupils()), parse_number(self.input.seed())
        return (self.input.area(), pupils if isinstance(pupils, int) and pupils >= 100 else None,
                seed if isinstance(seed, int) and seed >= 0 else 0)

    def school_names(self) -> list[str]:
        with reactive.isolate():
            return [s.name for s in schools_or_error(*self.area_key())[0]]

    def add(self, kind: str, values: dict[str, Any]) -> None:
        slot = next(self._ids)
        self.first_values[slot] = values
        ui.insert_ui(slot_card(slot, kind, values, self.school_names()), selector="#interventions", where="beforeEnd")
        with reactive.isolate():
            self.slots.set([*self.slots(), (slot, kind)])

    def remove(self, slot: int) -> None:
        ui.remove_ui(selector=f"#slot{slot}")
        with reactive.isolate():
            self.slots.set([s for s in self.slots() if s[0] != slot])

    def fill(self, data: dict[str, Any], replicates: int | None = None) -> None:
        """Set the whole form from a scenario dict (a share link or an uploaded file)."""
        with reactive.isolate():
            for slot, _ in self.slots():
                ui.remove_ui(selector=f"#slot{slot}")
            self.slots.set([])
        for key in TOP_FIELDS:
            if key == "area":
                ui.update_select("area", selected=str(data.get("area", "")))
            else:
                ui.update_text(key, value="" if data.get(key) is None else str(data[key]))
        ui.update_text_area("parameters", value=format_parameters(data.get("parameters") or {}))
        if replicates is not None:
            ui.update_text("replicates", value=str(replicates))
        for i, entry in enumerate(data.get("interventions") or []):
            kind = entry.get("type") if isinstance(entry, dict) else None
            if kind in REGISTRY:
                self.add(kind, entry)
            else:
                self.upload_error.set(f"interventions[{i}].type: unknown intervention '{kind}'; allowed: "
                                      f"{', '.join(sorted(REGISTRY))}")

    def adopt(self, cards: list[tuple[str, dict[str, Any]]]) -> None:
        """Take over the cards the first page was rendered with (slots 0..n-1), without re-inserting them."""
        for slot, (_, values) in enumerate(cards):
            self.first_values[slot] = values
        self._ids = itertools.count(len(cards))
        with reactive.isolate():
            self.slots.set([(slot, kind) for slot, (kind, _) in enumerate(cards)])

    def _value(self, slot: int, input_id: str, name: str, default: Any) -> Any:
        """A card's input, or its first value until the browser has reported it."""
        value = self.input[input_id]
        if value.is_set():
            return value()
        return self.first_values.get(slot, {}).get(name, default)

    def slot_values(self, slot: int, kind: str) -> dict[str, Any]:
        out = {}
        first = self.first_values.get(slot, {})
        for spec in intervention_fields(kind):
            iid = f"iv{slot}_{spec.name}"
            if spec.kind == "schools":
                given = first.get(spec.name, spec.default)
                mode = self._value(slot, f"{iid}_mode", "", "list" if isinstance(given, list) else "rule")
                if mode == "list":
                    out[spec.name] = list(self._value(slot, f"{iid}_list", "", given if isinstance(given, list)
                                                      else []) or [])
                else:
                    out[spec.name] = self._value(slot, f"{iid}_rule", "", "" if isinstance(given, list) else given)
            else:
                out[spec.name] = self._value(slot, iid, spec.name, spec.default)
        return out

    def read(self) -> dict[str, Any]:
        """The form as a scenario dict, its check, each field's message, the schools each card picks."""
        slots = self.slots()
        entries = [intervention_entry(kind, self.slot_values(slot, kind)) for slot, kind in slots]
        data = scenario_data({k: self.input[k]() for k in TOP_FIELDS}, entries, self.input.parameters())
        checked = check(data)
        errors = {input_for(path, slots): problem for path, problem in checked.fields.items()}
        replicates, rep_error = replicates_or_error(self.input.replicates())
        if rep_error:
            errors["replicates"] = rep_error
        if self.upload_error():
            errors["upload"] = self.upload_error()
        schools, area_problem = schools_or_error(*self.area_key())
        if area_problem and "area" not in errors and "pupils" not in errors:
            errors["area"] = area_problem
        matches = {}
        for (slot, kind), entry in zip(slots, entries, strict=True):
            if "schools" not in REGISTRY[kind].Params.model_fields:
                continue
            iid = f"iv{slot}_schools"
            picked, problem = matching(entry.get("schools", ""), schools)
            if problem and iid not in errors:
                errors[iid] = problem
            matches[f"{iid}_matches"] = (f"{len(picked)} of {len(schools)} schools match:\n"
                                         + "\n".join(describe(s) for s in picked)) if schools and not problem else ""
        return {"data": data, "checked": checked, "errors": errors, "matches": matches, "replicates": replicates,
                "query": encode_query(data, replicates or 1)}
