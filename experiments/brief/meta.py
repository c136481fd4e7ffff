"""A brief's titles and run record in plain words: no file names, ISO stamps or '+dirty' in what a funder reads."""

from __future__ import annotations

import json
import re
from datetime import datetime

import xarray as xr


def _words(name: str) -> str:
    text = str(name).replace("_", " ")
    return text[:1].upper() + text[1:]


def scenario_title(ds: xr.Dataset, scenario: str) -> str:
    """The scenario file's `title`; else its description's first sentence, if short; else its name in words."""
    title = str(ds["scenario_title"].sel(scenario=scenario).values) if "scenario_title" in ds.variables else ""
    if not title and "scenario_json" in ds.variables:
        title = json.loads(str(ds["scenario_json"].sel(scenario=scenario).values)).get("title", "")
    if title:
        return title
    description = str(ds["description"].sel(scenario=scenario).values) if "description" in ds.variables else ""
    first = re.split(r"(?<=[.!?])\s", description.strip(), maxsplit=1)[0].rstrip(".")
    return first if 0 < len(first) <= 90 else _words(scenario)


def plain_date(stamp: str) -> str:
    """'2026-12-02T18:44:01+00:00' -> '2 December 2026' (the text itself if it is not an ISO time)."""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return f"{when.day} {when:%B %Y}"


def plain_revision(commit: str) -> str:
    """A git commit stamp ('<sha>' or '<sha>+dirty') as words."""
    sha, _, dirty = commit.partition("+")
    if not sha or sha == "unknown":
        return "code revision not recorded"
    return f"code revision {sha[:10]}" + (" with changes not yet committed" if dirty else "")


def plain_meta(ds: xr.Dataset, scenario: str) -> dict[str, str]:
    """The run record for the sources page, in words."""
    attrs = ds.attrs
    return {"version": str(attrs.get("actlocally_version", "unknown")),
            "revision": plain_revision(str(attrs.get("git_commit", ""))),
            "seed": str(attrs.get("seed", "")), "replicates": str(int(ds.sizes["replicate"])),
            "made": plain_date(str(attrs.get("created", ""))),
            "pupils_simulated": f"{int(ds['pupils_simulated'].sel(scenario=scenario)):,}",
            "population_scale": f"{float(ds['population_scale'].sel(scenario=scenario)):.3f}"}
