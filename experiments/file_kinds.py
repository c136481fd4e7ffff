"""Which kind of file a .toml is, and its own schema's check: what `actlocally validate FILE` runs.

A kind is known by the top-level keys only it has (`FileKind.keys`), tried in order; the first match is validated
by that kind's loader, so a file is always judged by one schema and its messages name that schema's fields. To add
a kind, write its loader and add one `FileKind` to `KINDS` before the scenario row (or call `register`); the trial
specs of `calibration/trials/*.toml` came in that way (marked by `treatment`, `allocation` or `anchors`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from actlocally.model.area import read_toml
from actlocally.model.errors import InputError


@dataclasses.dataclass(frozen=True)
class FileKind:
    """One kind of input file: its name, the top-level keys that mark it, and a check returning a one-line summary."""

    name: str
    keys: tuple[str, ...]
    check: Callable[[Path], str]


def _area(path: Path) -> str:
    from actlocally.model.area import load_area

    a = load_area(path)
    return f"area profile '{a.name}' ({a.display_name}, {a.kind})"


def _scenario(path: Path) -> str:
    from actlocally.model.scenario import load_scenario

    sc = load_scenario(path)
    ivs = ", ".join(p.label or p.type for p in sc.intervention_params) or "none"
    return (f"scenario '{sc.name}' on area '{sc.area_profile.name}', {sc.years} year(s), interventions: {ivs}")


def _comparison(path: Path) -> str:
    from actlocally.experiments.compare.comparison import load_comparison

    plan = load_comparison(path)
    return (f"comparison '{plan.name}': {len(plan.arms)} scenario(s) against {len(plan.scenarios) - len(plan.arms)} "
            f"baseline(s), {plan.replicates} replicates")


def _targets(path: Path) -> str:
    from actlocally.calibration.targets import load_targets

    t = load_targets(path)
    fitted = sum(x.fit for x in t.targets.values())
    return f"calibration targets for area '{t.area}': {len(t.targets)} targets, {fitted} fitted"


def _trial(path: Path) -> str:
    from actlocally.calibration.trial_spec import load_trial

    t = load_trial(path)
    return f"trial spec '{t.name}' ({t.title}) on area '{t.area}', treatment: {t.treatment.get('type', '?')}"


KINDS: list[FileKind] = [
    FileKind("calibration targets", ("targets",), _targets),
    FileKind("comparison", ("baselines", "scenarios"), _comparison),
    FileKind("trial spec", ("treatment", "allocation", "anchors"), _trial),
    FileKind("area profile", ("shares", "schools", "capacity", "observed", "display_name"), _area),
    FileKind("scenario", ("area", "interventions", "years"), _scenario),
]


def register(kind: FileKind) -> None:
    """Add a kind, tried before the scenario row (the loosest marker)."""
    KINDS.insert(len(KINDS) - 1, kind)


def detect(path: Path, data: dict) -> FileKind:
    """The first kind whose marker keys the file has, or an InputError saying what each kind looks like."""
    for kind in KINDS:
        if any(k in data for k in kind.keys):
            return kind
    looks = "; ".join(f"{k.name}: {', '.join(k.keys)}" for k in KINDS)
    raise InputError(path, None, f"not a file actlocally knows; each kind has one of these top-level keys: {looks}")


def validate_file(path: Path) -> tuple[FileKind, str]:
    """Detect the file's kind and check it against that kind's schema (InputError if anything is wrong)."""
    kind = detect(path, read_toml(path))
    return kind, kind.check(path)
