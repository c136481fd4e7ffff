"""`actlocally area new`: a new area's three files, started from a built-in area's numbers with every source empty.

The profile lists every field of the area schema (`model/area.py`) with its unit; each figure has `source = ""` and
`year = ""`, so it does not validate until the researcher gives each number its source and year (or marks it
`estimate = true` with a `reason`). Beside it: a baseline scenario on the profile (by path) and a targets file with
the profile's observed outcomes, their uncertainty and, again, empty sources.
"""

from __future__ import annotations

import json
from pathlib import Path

from actlocally.calibration.statistics import STATISTICS
from actlocally.calibration.targets import TARGETS_DIR
from actlocally.model.area import AreaProfile, Figure, load_area, read_toml
from actlocally.model.errors import InputError
from pydantic import BaseModel

PUPILS = "pupils (children living in the area)"
HOUSEHOLDS = "share of households with children, 0-1"
WEEKLY = "new cases per calendar week"
UNITS = {
    "pupils.primary": f"{PUPILS}, Reception to Year 6",
    "pupils.secondary": f"{PUPILS}, Year 7 to Year 11",
    "schools.primary": "primary schools serving the area (count)",
    "schools.secondary": "secondary schools serving the area (count)",
    "shares.fsm": "share of pupils eligible for free school meals, 0-1",
    "shares.eal": "share of pupils with English as an additional language, 0-1",
    "shares.sen_support": "share of pupils on SEN support, 0-1",
    "shares.ehcp": "share of pupils with an education, health and care plan, 0-1",
    "shares.low_income_households": HOUSEHOLDS + ", low income",
    "shares.food_insecure_households": HOUSEHOLDS + ", food insecure",
    "shares.parent_depression": "share of main carers (mothers) with depression, 0-1",
    "capacity.mhst_teams": "Mental Health Support Teams in place (teams, may be fractional)",
    "capacity.mhst_schools_covered_share": "share of the area's schools an MHST covers, 0-1",
    "capacity.camhs_new_cases_per_week": f"CAMHS, {WEEKLY}",
    "capacity.early_help_new_cases_per_week": f"Early Help / family support, {WEEKLY}",
    "capacity.food_support_new_cases_per_week": f"food support (vouchers, pantry), {WEEKLY}",
    "capacity.talking_therapies_new_cases_per_week": f"adult talking therapies, {WEEKLY}",
    "capacity.youth_service_new_cases_per_week": f"youth service, {WEEKLY} (optional)",
    "neighbourhood.crime_index": "recorded crime relative to the district average (1.0 = average)",
    "neighbourhood.asb_index": "antisocial behaviour relative to the district average (1.0 = average; optional)",
    "observed.attendance_rate": "share of possible sessions attended, 0-1",
    "observed.persistent_absence_rate": "share of pupils missing 10% or more of sessions, 0-1",
    "observed.persistent_absence_rate_disadvantaged": "the same for FSM pupils, 0-1 (optional)",
    "observed.severe_absence_rate": "share of pupils missing 50% or more of sessions, 0-1",
    "observed.ks2_expected_disadvantaged": "share of FSM Year 6 pupils at the KS2 expected standard, 0-1",
    "observed.ks2_expected_other": "share of other Year 6 pupils at the KS2 expected standard, 0-1",
    "observed.probable_disorder_share": "share of pupils with a probable mental disorder, 0-1",
    "observed.mhst_reach_share": "share of pupils in schools an MHST covers, 0-1 (optional)",
    "observed.ks2_gap_absence_0": "KS2 expected share of pupils with no absence over KS2 minus all pupils (optional)",
    "observed.ks2_gap_absence_0_1": "the same for pupils with >0 to <1% absence over KS2 (optional)",
    "observed.ks2_gap_absence_1_2": "the same for pupils with 1 to <2% absence over KS2 (optional)",
}
SECTIONS = ("pupils", "schools", "shares", "capacity", "neighbourhood", "observed")
HEADER = """# {display}: area profile for actlocally, started from '{source}' by `actlocally area new`.
# Every number is {source}'s until you replace it. Give each figure its `source` and `year`, or write
# `estimate = true, reason = "how it was derived"` instead; an optional `range = [low, high]` (a plausible 90%
# range) or `se` records its uncertainty. `actlocally validate {file}` says what is still missing.
# Units are in the comment after each line.
"""


def figure_fields(model: type[BaseModel] = AreaProfile, prefix: str = "") -> list[str]:
    """Dotted names of every figure (value with provenance) in the area schema."""
    out = []
    for name, field in model.model_fields.items():
        kind = next((a for a in (field.annotation, *getattr(field.annotation, "__args__", ()))
                     if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if kind is None:
            continue
        if issubclass(kind, Figure):
            out.append(prefix + name)
        elif name in SECTIONS:
            out += figure_fields(kind, prefix + name + ".")
    return out


def _toml(value: object) -> str:
    return json.dumps(value) if isinstance(value, str) else repr(value) if isinstance(value, (int, float)) else \
        "[" + ", ".join(_toml(v) for v in value) + "]"


def _figure_line(key: str, fig: Figure | None) -> str:
    unit = UNITS[key]
    name = key.split(".")[1]
    if fig is None:
        return f'# {name} = {{ value = 0, source = "", year = "" }}  # {unit}'
    parts = [f"value = {_toml(fig.value)}", 'source = ""', 'year = ""']
    if fig.range is not None:
        parts.append(f"range = {_toml(list(fig.range))}")
    return f"{name} = {{ {', '.join(parts)} }}  # {unit}"


def profile_text(name: str, source: AreaProfile, file: str) -> str:
    """The new profile's TOML: every field with its unit, values from `source`, sources empty."""
    display = name.replace("_", " ").title()
    lines = [HEADER.format(display=display, source=source.name, file=file),
             f"name = {_toml(name)}", f"display_name = {_toml(display)}",
             f"kind = {_toml(source.kind)}  # locality or district",
             'description = ""  # a few sentences: where, who lives there, why it matters',
             'deprivation_rank_note = ""  # optional: the area\'s deprivation rank, with its source']
    current = None
    for key in figure_fields():
        section, field = key.split(".")
        if section != current:
            current = section
            optional = section == "neighbourhood"
            present = getattr(source, section) is not None
            lines.append("")
            if optional and not present:
                lines.append("# optional: crime and antisocial behaviour (Holme Wood-style exposure)")
            lines.append(("" if present or not optional else "# ") + f"[{section}]")
        block = getattr(source, section)
        fig = getattr(block, field) if block is not None else None
        line = _figure_line(key, fig)
        lines.append(line if block is not None or line.startswith("#") else "# " + line)
        if key == "schools.secondary":
            lines.append('# named = [{ name = "School A", phase = "primary" }]  # optional: schools by name')
    return "\n".join(lines) + "\n"


def baseline_text(name: str, profile_file: str) -> str:
    return (f"# {name} as it is: the baseline every scenario of the area is compared against, and the one the\n"
            "# calibration runs. The area is the profile beside this file (a path is read relative to this file).\n"
            f'name = "baseline_{name}"\ndescription = "{name} with today\'s services and no new intervention."\n'
            f'area = "{profile_file}"\nyears = 1\nseed = 20261123\n')


def targets_text(name: str, source: AreaProfile) -> str:
    """Targets from the source's observed outcomes: value, uncertainty, year and source to fill."""
    fit = {}
    builtin = TARGETS_DIR / f"{source.name}.toml"
    if builtin.is_file():
        fit = {k: t.get("fit", True) for k, t in read_toml(builtin).get("targets", {}).items()}
    lines = [f"# Calibration targets for {name}: observed statistics the model is fitted to (`actlocally "
             "calibrate`).", "# Each: value; uncertainty as `se` or `range` (a plausible range, read as a 90% "
             "interval); year;", "# `source`, or `estimate = true` with a `reason`. `fit = false` keeps a target out "
             "of the distance. Allowed names:",
             "# " + ", ".join(STATISTICS), "", f'area = "{name}"']
    for key in figure_fields():
        section, stat = key.split(".")
        fig = getattr(source.observed, stat, None) if section == "observed" else None
        if fig is None or stat not in STATISTICS:
            continue
        lines += ["", f"[targets.{stat}]  # {UNITS[key]}", f"value = {_toml(fig.value)}"]
        if fig.range is not None:
            lines.append(f"range = {_toml(list(fig.range))}")
        else:
            lines.append(f"se = {_toml(fig.se or round(max(0.01, 0.1 * fig.value), 4))}  # placeholder: the real "
                         "uncertainty")
        lines += ['year = ""', 'source = ""']
        if not fit.get(stat, True):
            lines.append("fit = false  # set by the profile's MHST coverage, which no free parameter moves")
    return "\n".join(lines) + "\n"


def new_area(name: str, source: str, out: Path, force: bool = False) -> list[Path]:
    """Write `<name>.toml`, `baseline_<name>.toml` and `targets_<name>.toml` into `out`; never overwrite unasked."""
    import re

    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise InputError(None, "NAME", f"'{name}' is not an area name: lower-case letters, digits and '_', starting "
                         "with a letter (e.g. tong_village)")
    profile = load_area(source)
    files = {out / f"{name}.toml": profile_text(name, profile, f"{name}.toml"),
             out / f"baseline_{name}.toml": baseline_text(name, f"{name}.toml"),
             out / f"targets_{name}.toml": targets_text(name, profile)}
    existing = [p for p in files if p.exists()]
    if existing and not force:
        raise InputError(existing[0], None, "already exists; choose another --out folder or name, or pass --force")
    out.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)
