"""How sure we are, beyond the replicates: the calibration posterior and sensitivity results a brief reports if present.

Issues 5 (calibration) and 6 (sensitivity) write these files; a brief only needs the small contract below, so either
can change its internals freely. Absent files are normal and the brief says so plainly.

**Calibration**: ``calibration/posteriors/<area>.nc`` (in the package's calibration folder, or ``posteriors_dir``).
Read: attrs ``created`` and ``method`` if present; the size of a ``particle`` or ``sample`` dimension; and, for
"how well it fits", optional variables ``target_observed`` (dim ``target``) and ``target_simulated`` (dims
``target`` and ``particle``/``sample``): a target fits when its observed value lies within the 5th-95th percentile of
the posterior predictive.

**Sensitivity**: ``outputs/<comparison>/sensitivity*.nc``. Read the first variable found of ``ST`` (Sobol total
order), ``mu_star`` (Morris) or ``S1`` (Sobol first order), with a ``parameter`` dimension; optional ``scenario`` and
``output`` dimensions are narrowed to the brief's scenario and to the first of the brief's headline outputs present.
The parameters with the largest index "drive the uncertainty".
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import xarray as xr
from actlocally.calibration.posterior import POSTERIORS_DIR

SENSITIVITY_VARS = (("ST", "Sobol total-order index"), ("mu_star", "Morris mu*"), ("S1", "Sobol first-order index"))
PREFERRED_OUTPUTS = ("months_of_progress", "days_attended", "pupils_out_of_persistent_absence",
                     "persistent_absence_pp", "attendance_rate")


@dataclasses.dataclass(frozen=True)
class Calibration:
    """What the brief says about calibration for one area."""

    found: bool
    path: str = ""
    created: str = ""
    method: str = ""
    draws: int = 0
    targets_fitted: int = 0
    targets_total: int = 0
    problem: str = ""


@dataclasses.dataclass(frozen=True)
class Sensitivity:
    """The parameters that drive the uncertainty of one output, largest index first."""

    found: bool
    path: str = ""
    index_name: str = ""
    output: str = ""
    drivers: tuple[tuple[str, float], ...] = ()
    problem: str = ""


def find_calibration(area: str, posteriors_dir: Path | None = None) -> Calibration:
    """Look for ``<posteriors_dir>/<area>.nc`` and summarise it; ``found=False`` when there is none."""
    path = (posteriors_dir or POSTERIORS_DIR) / f"{area}.nc"
    if not path.is_file():
        return Calibration(found=False)
    try:
        with xr.open_dataset(path) as post:
            draws = next((post.sizes[d] for d in ("particle", "sample") if d in post.sizes), 0)
            fitted = total = 0
            if "target_observed" in post and "target_simulated" in post:
                dim = next(d for d in ("particle", "sample") if d in post["target_simulated"].dims)
                sim = post["target_simulated"]
                lo, hi = sim.quantile(0.05, dim=dim), sim.quantile(0.95, dim=dim)
                obs = post["target_observed"]
                inside = ((obs >= lo) & (obs <= hi)).values
                fitted, total = int(np.sum(inside)), int(inside.size)
            return Calibration(found=True, path=str(path), created=str(post.attrs.get("created", "")),
                               method=str(post.attrs.get("method", "")), draws=int(draws), targets_fitted=fitted,
                               targets_total=total)
    except (OSError, ValueError, KeyError, StopIteration) as err:
        return Calibration(found=True, path=str(path), problem=f"could not be read ({type(err).__name__}: {err})")


def find_sensitivity(folder: Path, scenario: str, top: int = 3) -> Sensitivity:
    """Look for ``folder/sensitivity*.nc`` and return the `top` parameters by index; ``found=False`` when none."""
    files = sorted(folder.glob("sensitivity*.nc"))
    if not files:
        return Sensitivity(found=False)
    path = files[0]
    try:
        with xr.open_dataset(path) as sens:
            name, label = next(((v, lab) for v, lab in SENSITIVITY_VARS if v in sens), (None, ""))
            if name is None or "parameter" not in sens[name].dims:
                return Sensitivity(found=True, path=str(path), problem="no ST, mu_star or S1 variable with a "
                                   "'parameter' dimension")
            idx = sens[name]
            if "scenario" in idx.dims:
                if scenario not in idx["scenario"].values:
                    return Sensitivity(found=True, path=str(path), problem=f"no results for scenario '{scenario}'")
                idx = idx.sel(scenario=scenario)
            output = ""
            if "output" in idx.dims:
                outputs = [str(o) for o in idx["output"].values]
                output = next((o for o in PREFERRED_OUTPUTS if o in outputs), outputs[0])
                idx = idx.sel(output=output)
            idx = idx.mean([d for d in idx.dims if d != "parameter"])
            order = np.argsort(-np.nan_to_num(idx.values, nan=-np.inf))[:top]
            drivers = tuple((str(idx["parameter"].values[i]), float(idx.values[i])) for i in order)
            return Sensitivity(found=True, path=str(path), index_name=label, output=output, drivers=drivers)
    except (OSError, ValueError, KeyError) as err:
        return Sensitivity(found=True, path=str(path), problem=f"could not be read ({type(err).__name__}: {err})")
