"""Scenarios set against one another: the difference of two scenarios' paired effects, replicate by replicate.

`compare --against B` reports, for every other scenario A of B's area, (A - baseline) - (B - baseline) within each
replicate: both effects come from the same seed, streams and posterior draw, so the difference is A against B
with the baseline's noise cancelled twice over, not two noisy summaries subtracted.
"""

from __future__ import annotations

import xarray as xr
from actlocally.model.errors import InputError


def against_effects(effects: xr.Dataset, against: str) -> xr.Dataset:
    """Effects of every other scenario of `against`'s area minus the effects of `against`, per replicate."""
    names = [str(s) for s in effects["scenario"].values]
    if against not in names:
        raise InputError(None, "--against", f"'{against}' is not a scenario of this comparison; scenarios: "
                         f"{', '.join(names) or 'none'} (a baseline is already what every scenario is set against)")
    base = str(effects["baseline"].sel(scenario=against).values)
    others = [s for s in names if s != against and str(effects["baseline"].sel(scenario=s).values) == base]
    if not others:
        raise InputError(None, "--against", f"no other scenario of the same area as '{against}' to set against it")
    ref = effects.sel(scenario=against, drop=True).drop_vars("baseline", errors="ignore")
    out = effects.sel(scenario=others).drop_vars("baseline") - ref
    out = out.assign_coords(baseline=("scenario", [against] * len(others)))
    for name, var in out.data_vars.items():
        attrs = dict(effects[name].attrs)
        if "long_name" in attrs:
            attrs["long_name"] = attrs["long_name"].replace("against the baseline", f"against {against}")
        var.attrs = attrs
    out.attrs = dict(effects.attrs) | {"against": against,
                                       "pairing": f"each scenario's paired effect minus {against}'s, per replicate"}
    return out
