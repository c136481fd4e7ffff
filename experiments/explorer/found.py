"""Results other commands leave in the outputs folder: portfolios (`actlocally portfolio`) and evidence pages
(`actlocally evidence`), found by their files, whatever the runs were called.

A portfolio is any folder holding `portfolio.csv` (beside its `pareto.png`/`.svg`); an evidence page is any folder
holding `evidence.csv` (beside `evidence.html`). Both are looked for at most `DEPTH` folders below the outputs root,
so `outputs/<name>/portfolio.csv` and `outputs/evidence/<area>/evidence.csv` are found without naming them. A file
that cannot be read, or lacks the columns its command writes, becomes a `Damaged` with one line for the page.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
from actlocally.experiments.brief.anchors import anchoring_trials

DEPTH = 3
PORTFOLIO_COLUMNS = ("allocation", "interventions", "placements", "cost_gbp_planned", "pareto", "robust")
EVIDENCE_COLUMNS = ("kind", "name", "description", "published", "model", "model_lo", "model_hi", "pass", "used",
                    "source")


class Damaged(Exception):
    """A result file that is there but cannot be shown; the message names the file and what is wrong."""


@dataclasses.dataclass(frozen=True)
class Found:
    """One portfolio or evidence page: its folder, its table file and the area it is about ('' if unrecorded)."""

    folder: Path
    table: Path
    area: str

    @property
    def label(self) -> str:
        return f"{self.folder.name} ({self.area or 'area not recorded'})"


def _files(outputs: Path, name: str) -> list[Path]:
    """Files called `name` at most DEPTH folders below `outputs`, newest first (skipping run stores)."""
    if not outputs.is_dir():
        return []
    hits = []
    for depth in range(1, DEPTH + 1):
        for p in outputs.glob("/".join(["*"] * depth) + "/" + name):
            if p.is_file() and not any(part.endswith(".zarr") for part in p.relative_to(outputs).parts):
                hits.append(p)
    return sorted(hits, key=lambda p: (-p.stat().st_mtime, str(p)))


def _first_value(path: Path, column: str) -> str:
    try:
        col = pd.read_csv(path, usecols=lambda c: c == column, nrows=1)
    except (OSError, ValueError, pd.errors.ParserError):
        return ""
    return str(col[column].iloc[0]) if column in col and len(col) else ""


def portfolios(outputs: Path) -> list[Found]:
    """Every portfolio under `outputs` (its area from portfolio.csv's `area` column where the run recorded it)."""
    return [Found(p.parent, p, _first_value(p, "area")) for p in _files(outputs, "portfolio.csv")]


def evidence_pages(outputs: Path) -> list[Found]:
    """Every evidence page under `outputs`; `actlocally evidence` names its folder after the area."""
    return [Found(p.parent, p, p.parent.name) for p in _files(outputs, "evidence.csv")]


def for_area(found: list[Found], area: str) -> list[Found]:
    """Those about `area`, then those whose area was not recorded."""
    return [f for f in found if f.area == area] + [f for f in found if not f.area]


def _read(path: Path, columns: tuple[str, ...], command: str) -> pd.DataFrame:
    try:
        table = pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise Damaged(f"{path}: cannot be read as CSV ({type(err).__name__}); rerun `{command}`") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise Damaged(f"{path}: no column(s) {', '.join(missing)}; not a file `{command}` wrote, or damaged")
    return table


def pareto_front(f: Found) -> pd.DataFrame:
    """The portfolio's Pareto set: allocations no other beats on cost and every objective (means), cheapest first."""
    table = _read(f.table, PORTFOLIO_COLUMNS, "actlocally portfolio")
    front = table[table["pareto"].astype(str).str.lower() == "true"]
    keep = [c for c in table.columns if c in PORTFOLIO_COLUMNS or c.endswith(("_mean", "_low_5pct", "_high_95pct",
                                                                               "_worst_decile"))]
    return front[keep].sort_values(["cost_gbp_planned", "allocation"]).reset_index(drop=True)


def pareto_image(f: Found) -> Path:
    """The Pareto chart the portfolio wrote beside its table (PNG, else SVG)."""
    for name in ("pareto.png", "pareto.svg"):
        if (f.folder / name).is_file():
            return f.folder / name
    raise Damaged(f"{f.folder}: portfolio.csv without pareto.png or pareto.svg; rerun `actlocally portfolio`")


def verdicts(f: Found, kinds: set[str]) -> tuple[pd.DataFrame, int]:
    """The evidence page's rows for this area and interventions: every area figure, and the trial rows of the
    trials that anchor the interventions used; with the number of other trial rows left out."""
    table = _read(f.table, EVIDENCE_COLUMNS, "actlocally evidence")
    trials = anchoring_trials(kinds)
    is_trial = table["kind"] == "trial"
    mine = is_trial & table["name"].astype(str).str.split(".").str[0].isin(list(trials))
    rows = table[~is_trial | mine].copy()
    rows["verdict"] = ["pass" if str(v).lower() == "true" else "fail" for v in rows["pass"]]
    rows["anchors"] = [", ".join(trials.get(str(n).split(".")[0], [])) if k == "trial" else ""
                       for k, n in zip(rows["kind"], rows["name"], strict=True)]
    return rows.reset_index(drop=True), int(is_trial.sum() - mine.sum())


def shown_verdicts(rows: pd.DataFrame) -> pd.DataFrame:
    """The verdict table as the page shows it (the CSV keeps every column at full precision)."""
    def g(x: float) -> str:
        return "-" if pd.isna(x) else f"{x:.3g}"

    return pd.DataFrame({
        "kind": rows["kind"], "figure": rows["description"], "published": [g(x) for x in rows["published"]],
        "model (90% range)": [f"{g(m)} ({g(lo)} to {g(hi)})" for m, lo, hi in
                              zip(rows["model"], rows["model_lo"], rows["model_hi"], strict=True)],
        "verdict": rows["verdict"], "used": rows["used"], "anchors": rows["anchors"], "source": rows["source"]})


def shown_front(front: pd.DataFrame) -> pd.DataFrame:
    """The Pareto set as the page shows it: cost, interventions and each objective's mean (the search's objectives
    are the effects with a worst-decile column)."""
    objectives = [c.removesuffix("_worst_decile") for c in front.columns if c.endswith("_worst_decile")]
    means = [f"{o}_mean" for o in objectives if f"{o}_mean" in front.columns]
    out = front[["allocation", "interventions", "placements", "cost_gbp_planned", *means, "robust"]].copy()
    out["cost_gbp_planned"] = [f"£{x:,.0f}" for x in out["cost_gbp_planned"]]
    for c in means:
        out[c] = [f"{x:+.3g}" for x in out[c]]
    return out.rename(columns={"cost_gbp_planned": "planned cost a year",
                               **{c: c.removesuffix("_mean") for c in means}})
