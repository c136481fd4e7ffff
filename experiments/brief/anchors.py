"""What the brief's "how sure we are" says about published evidence: the evidence page's summary for the area, and,
for each intervention, the trials that anchor it and how well the model reproduces them.

Both are **read, never generated**: the evidence page and the virtual trials take minutes of simulation, which a
brief must not start behind the reader's back. The brief looks in the outputs folder its comparison sits in
(`<outputs>/<comparison>/`): the evidence page at `<outputs>/evidence/<area>/evidence.csv` (what `actlocally evidence
AREA --out <outputs>` writes), a trial's results at `<outputs>/trials/<name>/trial.csv` (`actlocally trial NAME --out
<outputs>`), falling back to that trial's rows on the evidence page, then to the trial stage's own check stored in the
posterior the comparison drew from (`calibration/trial_record.py`). Where none exists the brief says the trial has
not been run and names the command. A trial anchors an intervention when its spec (`calibration/trials/*.toml`) lists
the intervention's type in `anchors`, or treats with it. Each anchor also says whether calibration fitted the
intervention's routes to that trial (its trial stage, own or carried) or the trial only checks the model.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from actlocally.calibration.trial_record import TrialStage, trial_stage
from actlocally.calibration.trial_spec import load_trial, trial_names
from actlocally.model.errors import InputError

EVIDENCE_COLUMNS = ("kind", "name", "pass")
TRIAL_COLUMNS = ("outcome", "label", "published", "model", "model_lo", "model_hi", "inside")


@dataclasses.dataclass(frozen=True)
class EvidenceLink:
    """The evidence page's summary: checks passed of each kind, and where the page is."""

    found: bool
    area: str
    html: str = ""  # the page's path, as found
    link: str = ""  # the page relative to the comparison folder (where the brief is written by default)
    targets: tuple[int, int] = (0, 0)  # (passed, checked)
    trials: tuple[int, int] = (0, 0)
    problem: str = ""


@dataclasses.dataclass(frozen=True)
class TrialOutcome:
    """One outcome of an anchoring trial: published against the model's median and 5%-95% range."""

    label: str
    published: float
    model: float
    model_lo: float
    model_hi: float
    inside: bool


@dataclasses.dataclass(frozen=True)
class Anchor:
    """A trial behind one of the brief's interventions, with its results if they have been run."""

    intervention: str
    trial: str
    title: str
    source: str
    outcomes: tuple[TrialOutcome, ...] = ()
    where: str = ""  # the file read, relative to the outputs folder; '' when the trial has not been run
    problem: str = ""
    fitted: str = ""  # how calibration used the trial: "fitted ..." or "checked only"; '' when not known


    @property
    def reproduced(self) -> int:
        return sum(o.inside for o in self.outcomes)


def anchoring_trials(kinds: set[str]) -> dict[str, list[str]]:
    """Shipped trial specs that anchor any of these intervention types: {trial name: [types it anchors]}."""
    out = {}
    for name in trial_names():
        try:
            spec = load_trial(name)
        except InputError:
            continue
        hit = [k for k in dict.fromkeys([*spec.anchors, str(spec.treatment.get("type", ""))]) if k in kinds]
        if hit:
            out[name] = hit
    return out


def _csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    table = pd.read_csv(path)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"no column(s) {', '.join(missing)}")
    return table


def _true(x) -> bool:
    return str(x).strip().lower() == "true"


def find_evidence(area: str, comparison_folder: Path) -> EvidenceLink:
    """The evidence page for `area` in the comparison's outputs folder, summarised; `found=False` when absent."""
    folder = comparison_folder.parent / "evidence" / area
    csv, html = folder / "evidence.csv", folder / "evidence.html"
    if not csv.is_file():
        return EvidenceLink(found=False, area=area)
    link = os.path.relpath(html, comparison_folder)
    try:
        table = _csv(csv, EVIDENCE_COLUMNS)
    except (OSError, ValueError, pd.errors.ParserError) as err:
        return EvidenceLink(found=True, area=area, html=str(html), link=link,
                            problem=f"{csv} could not be read ({type(err).__name__}: {err})")
    counts = {}
    for kind in ("target", "trial"):
        rows = table[table["kind"] == kind]
        counts[kind] = (int(sum(_true(p) for p in rows["pass"])), len(rows))
    return EvidenceLink(found=True, area=area, html=str(html) if html.is_file() else "", link=link,
                        targets=counts["target"], trials=counts["trial"])


def _outcomes(table: pd.DataFrame) -> tuple[TrialOutcome, ...]:
    return tuple(TrialOutcome(str(r["label"]), float(r["published"]), float(r["model"]), float(r["model_lo"]),
                              float(r["model_hi"]), _true(r["inside"])) for _, r in table.iterrows())


def _from_evidence(name: str, comparison_folder: Path, area: str) -> tuple[tuple[TrialOutcome, ...], str]:
    """The trial's rows on the area's evidence page (same code as `actlocally trial`), if there are any."""
    csv = comparison_folder.parent / "evidence" / area / "evidence.csv"
    try:
        table = _csv(csv, (*EVIDENCE_COLUMNS, "description", "published", "model", "model_lo", "model_hi"))
    except (OSError, ValueError, pd.errors.ParserError):
        return (), ""
    rows = table[(table["kind"] == "trial") & table["name"].astype(str).str.startswith(name + ".")]
    if rows.empty:
        return (), ""
    rows = rows.rename(columns={"description": "label", "pass": "inside"})
    return _outcomes(rows), str(csv.relative_to(comparison_folder.parent))


def _from_stage(name: str, stage: TrialStage | None) -> tuple[tuple[TrialOutcome, ...], str]:
    """The trial's outcomes in the posterior's trial-stage check (fitted statistic, stored draws), if it has them."""
    fits = stage.of(name) if stage is not None else ()
    if not fits:
        return (), ""
    spec = {o.name: o.label for o in load_trial(name).outcomes}
    return (tuple(TrialOutcome(spec.get(f.outcome, f.outcome), f.published, f.model, f.model_lo, f.model_hi,
                               f.inside) for f in fits), f"the posterior's trial-stage check ({stage.area})")


def how_used(name: str, stage: TrialStage | None) -> str:
    """Whether calibration fitted the routes to this trial ('fitted ...'), or it only checks the model."""
    if stage is None or stage.problem:
        return ""
    if name not in stage.fitted_trials():
        return "checked only"
    return "fitted in calibration" + ("" if stage.how == "fitted" else f" (carried from {stage.area})")


def find_anchors(interventions: list[tuple[str, str]], comparison_folder: Path, area: str,
                 stage: TrialStage | None = None) -> list[Anchor]:
    """For each (label, type) of the brief's interventions, the trials that anchor it and their results if run;
    `stage` is the trial-stage record of the posterior the comparison drew from, if any."""
    out = []
    for label, kind in interventions:
        for name in anchoring_trials({kind}):
            spec = load_trial(name)
            base = dict(intervention=label, trial=name, title=spec.title, source=spec.source,
                        fitted=how_used(name, stage))
            rel = Path("trials") / name / "trial.csv"
            csv = comparison_folder.parent / rel
            if csv.is_file():
                try:
                    out.append(Anchor(**base, outcomes=_outcomes(_csv(csv, TRIAL_COLUMNS)), where=str(rel)))
                except (OSError, ValueError, pd.errors.ParserError) as err:
                    out.append(Anchor(**base, problem=f"{csv} could not be read ({type(err).__name__})"))
                continue
            outcomes, where = _from_evidence(name, comparison_folder, area)
            if not outcomes:
                outcomes, where = _from_stage(name, stage)
            out.append(Anchor(**base, outcomes=outcomes, where=where))
    return out


def figure(x: float) -> str:
    """A trial figure for the brief: three significant figures, '-' when missing."""
    return "-" if x is None or not np.isfinite(x) else f"{x:.3g}"


def stage_of(posterior_path: str | Path) -> TrialStage | None:
    """The trial-stage record of a stored posterior (None when it cannot be read: the brief then says nothing)."""
    try:
        with xr.open_dataset(posterior_path) as post:
            post = post.load()
    except (OSError, ValueError):
        return None
    post.attrs["source_path"] = str(Path(posterior_path).resolve())
    return trial_stage(post)
