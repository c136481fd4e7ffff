"""Run metadata for results files, and the end-of-run child microdata."""

from __future__ import annotations

import json
import platform
import subprocess
from functools import lru_cache
from pathlib import Path

import actlocally
import numpy as np
import xarray as xr


@lru_cache(maxsize=1)
def git_commit() -> str:
    """The checkout's commit (with '+dirty' if it has uncommitted changes), or 'unknown'."""
    root = Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                             timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return (sha + ("+dirty" if dirty else "")) or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def run_attrs(model) -> dict:
    """Attributes every results file carries: version, commit, seed, parameters, area profile, scenario."""
    return {
        "title": f"actlocally results: {model.scenario.name}",
        "actlocally_version": actlocally.__version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "scenario": model.scenario.name,
        "scenario_json": model.scenario.model_dump_json(),
        "area": model.area.name,
        "area_profile_json": model.area.model_dump_json(),
        "seed": model.seed,
        "pupils_simulated": int(model.children.n),
        "population_scale": float(model.scale),
        "parameters_json": json.dumps(model.params.as_dict(), sort_keys=True),
        "interventions": ", ".join(iv.label for iv in model.interventions) or "none",
    }


def child_microdata(model) -> xr.Dataset:
    """One row per child at the end of the run: characteristics, sessions, attainment and wellbeing."""
    from scipy.special import ndtri

    from .results import ASSESSED_YEARS

    c = model.children
    expected = np.full(c.n, -1, np.int8)
    for yg, key in ASSESSED_YEARS.items():
        m = c.year_group == yg
        expected[m] = c.attainment_z[m] >= ndtri(1.0 - model.params[f"attainment.{key}"])
    cols = {
        "school": (c.school.astype(np.int32), "1", "school index (see school_name)"),
        "year_group": (c.year_group.astype(np.int8), "1", "year group: 0 = Reception ... 11 = Year 11"),
        "sex": (np.where(c.female, 1, 0).astype(np.int8), "1", "sex: 1 = girl, 0 = boy"),
        "fsm": (c.fsm.astype(np.int8), "1", "eligible for free school meals (disadvantaged)"),
        "send": (c.send, "1", "SEND: 0 none, 1 SEN support, 2 EHC plan"),
        "eal": (c.eal.astype(np.int8), "1", "English as an additional language"),
        "sessions_possible": (c.sessions_possible.astype(np.int32), "sessions",
                              "possible sessions, last academic year"),
        "sessions_attended": (c.sessions_attended.astype(np.int32), "sessions",
                              "sessions attended, last academic year"),
        "illness_sessions": (c.illness_sessions.astype(np.int32), "sessions", "sessions missed through illness"),
        "attainment_z": (c.attainment_z, "z-score", "attainment against the national distribution"),
        "expected_standard": (expected, "1", "at expected standard (1/0) for Years 2, 6 and 11; -1 not assessed"),
        "wellbeing": (np.where(c.difficulty, 1, 0).astype(np.int8), "1", "1 = in emotional difficulty, 0 = well"),
        "service_days": (c.service_days.astype(np.int32), "school days", "school days in support from a child service"),
        "family": (c.family.astype(np.int32), "1", "family index"),
    }
    ds = xr.Dataset({k: xr.DataArray(v, dims=("child",), attrs={"units": u, "long_name": ln})
                     for k, (v, u, ln) in cols.items()},
                    coords={"child": np.arange(c.n),
                            "school_name": ("school_index", [s.name for s in model.school_agents])})
    ds["expected_standard"].attrs["flag_values"] = "-1 0 1"
    ds.attrs.update(run_attrs(model))
    return ds
