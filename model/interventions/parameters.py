"""Intervention parameters by dotted name (`breakfast_club.p_enrol`), beside the model's table rows.

Each numeric field an intervention declares with `param(...)` (a prior, a unit and a source) is a parameter named
`<type>.<field>` (its registry type) when the scenario has one intervention of that type, else `<label>.<field>`.
An override named by type sets the field of every intervention of that type; one named by label, that one only.
Overrides by either name (a scenario's `[parameters]` table, a sensitivity sample, a calibration particle) replace
the field's value for that run, checked against the field's own bounds, so interventions are swept and fitted like
the model's own parameters. A run without an intervention of the named type ignores it (a sweep of an effect sets
the same values on the baseline, which has nothing to set).
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from ..errors import InputError
from ..params import DEFAULTS, Param
from .base import REGISTRY, InterventionParams

MODEL_GROUPS = frozenset(k.split(".")[0] for k in DEFAULTS.rows)


def declared_fields(params: InterventionParams | type[InterventionParams]) -> dict[str, dict]:
    """The fields of an intervention's parameters (an instance or its class) that carry a prior, unit and source:
    {field: schema extra}."""
    out = {}
    for name, field in (params if isinstance(params, type) else type(params)).model_fields.items():
        extra = field.json_schema_extra
        if isinstance(extra, dict) and "prior" in extra:
            out[name] = extra
    return out


def label_of(params: InterventionParams) -> str:
    return params.label or params.type


def parameter_prefix(params: InterventionParams, interventions: list[InterventionParams]) -> str:
    """The name an intervention's parameters are listed under: its type if unique in the scenario, else its label."""
    return params.type if sum(p.type == params.type for p in interventions) == 1 else label_of(params)


def intervention_rows(interventions: list[InterventionParams]) -> dict[str, Param]:
    """One `Param` row per declared field of each intervention, valued at the scenario's setting.

    The value may lie outside the prior (a scenario may set it so), so rows are built without that check.
    """
    rows = {}
    for p in interventions:
        for name, extra in declared_fields(p).items():
            rows[f"{parameter_prefix(p, interventions)}.{name}"] = Param.model_construct(
                value=float(getattr(p, name)), prior=tuple(map(float, extra["prior"])), unit=extra["unit"],
                source=extra["source"], calibrate=False, doc="")
    return rows


def parameter_rows(interventions: list[InterventionParams]) -> dict[str, Param]:
    """The model's table rows and the interventions' rows: every name a run, a sweep or a fit may set."""
    return {**DEFAULTS.rows, **intervention_rows(interventions)}


def split_overrides(overrides: Mapping[str, float], interventions: list[InterventionParams],
                    path: object = None) -> tuple[dict[str, float], list[InterventionParams]]:
    """(the model-table overrides, the interventions with their overridden fields applied).

    Unknown names are left in the first part (the model table rejects them by name); a value outside a field's
    bounds raises an InputError naming the parameter.
    """
    model_part: dict[str, float] = {}
    updates: dict[int, dict[str, float]] = {}
    names: dict[tuple[int, str], str] = {}
    for key, value in overrides.items():
        head, _, field = key.partition(".")
        matches = [i for i, p in enumerate(interventions)
                   if head in (p.type, label_of(p)) and field in declared_fields(p)]
        if not matches and head not in REGISTRY:
            model_part[key] = value
        for i in matches:
            updates.setdefault(i, {})[field] = value
            names[(i, field)] = key
    out = list(interventions)
    for i, fields in updates.items():
        p = interventions[i]
        try:
            out[i] = type(p).model_validate({**p.model_dump(), **fields})
        except ValidationError as err:
            e = err.errors()[0]
            field = str(e["loc"][0])
            raise InputError(path, f"parameters.{names.get((i, field), field)}", e["msg"]) from None
    return model_part, out


def yield_to_scenario(draw: Mapping[str, float], parameters: Mapping[str, float],
                      interventions: list[InterventionParams]) -> dict[str, float]:
    """A posterior draw without the values the scenario sets itself: its `[parameters]` and the fields written in
    its intervention tables win over the draw (a strategist's "what if older pupils came as often" must not be
    replaced, silently, by the fitted value).

    A draw named by type (`breakfast_club.enrol_ratio_older`) still reaches the interventions of that type that do
    not set the field, by their labels (unique within a scenario).
    """
    out: dict[str, float] = {}
    for name, value in draw.items():
        if name in parameters:
            continue
        head, _, field = name.partition(".")
        same = [p for p in interventions if p.type == head and field in declared_fields(p)]
        own = [field in p.model_fields_set or f"{label_of(p)}.{field}" in parameters for p in same]
        if not any(own):
            out[name] = value
            continue
        for p, fixed in zip(same, own, strict=True):
            if not fixed:
                out[f"{label_of(p)}.{field}"] = value
    return out


def registered_rows() -> dict[str, Param]:
    """One row per declared field of every registered intervention type, named `<type>.<field>` at its default.

    These are the names a posterior may carry for an intervention (a fitted route such as
    `service_hub.engagement_gain`), whatever interventions a later scenario has; a run without that type ignores it.
    """
    from . import registry  # noqa: F401 - registers every intervention type

    rows = {}
    for type_name, cls in REGISTRY.items():
        for name, extra in declared_fields(cls.Params).items():
            rows[f"{type_name}.{name}"] = Param.model_construct(
                value=float(cls.Params.model_fields[name].default), prior=tuple(map(float, extra["prior"])),
                unit=extra["unit"], source=extra["source"], calibrate=False, doc="")
    return rows


def known_rows() -> dict[str, Param]:
    """The model's table rows and every registered intervention's rows: every name a posterior may carry."""
    return {**DEFAULTS.rows, **registered_rows()}
