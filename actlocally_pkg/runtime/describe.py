"""Units and long names for the coordinates and labels every actlocally NetCDF shares (scenario, term, school, ...).

Data variables carry their own `units` and `long_name` where they are made (model/results.py, effects, sweeps);
coordinates and per-scenario labels are the project's common vocabulary, so they are described once here and filled
in by `write_netcdf_atomic` wherever a variable of that name has no description of its own.
"""

from __future__ import annotations

import xarray as xr

_TEXT = "1"  # CF: dimensionless; used for labels and indices
COMMON = {
    # dimensions and their labels
    "scenario": (_TEXT, "scenario name (from its scenario file)"),
    "replicate": (_TEXT, "replicate number: a simulated year's luck, shared by every scenario (common random numbers)"),
    "term": (_TEXT, "term of the run, counted from 0"),
    "term_label": (_TEXT, "term name and academic year"),
    "year": (_TEXT, "academic year of the run, counted from 0"),
    "year_label": (_TEXT, "academic year"),
    "group": (_TEXT, "pupil group: all, disadvantaged (FSM), other, girls, boys"),
    "school": (_TEXT, "school name"),
    "school_phase": (_TEXT, "school phase (primary, secondary, ...)"),
    "school_name": (_TEXT, "school name, by school index"),
    "service": (_TEXT, "service name"),
    "service_kind": (_TEXT, "kind of service (mhst, camhs, talking_therapies, early_help, food_support, ...)"),
    "intervention": (_TEXT, "intervention label (from the scenario file)"),
    "parameter": (_TEXT, "model parameter name (see `actlocally params`)"),
    "child": (_TEXT, "child index"),
    "output": (_TEXT, "model output analysed"),
    "particle": (_TEXT, "posterior particle (accepted parameter set)"),
    "target": (_TEXT, "calibration target name"),
    "sample": (_TEXT, "sample number"),
    "parameter_2": (_TEXT, "second model parameter of a pair (Sobol' second-order index)"),
    "outcome": (_TEXT, "outcome name (see `actlocally compare` table)"),
    "output_units": (_TEXT, "units of each output"),
    "parameter_units": (_TEXT, "units of each parameter"),
    "generation": (_TEXT, "ABC-SMC generation"),
    "screen_parameter": (_TEXT, "parameter screened (Morris) before calibration"),
    "fitted_target": (_TEXT, "calibration target fitted"),
    # per-scenario labels of a comparison
    "baseline": (_TEXT, "the scenario's baseline: the same area with no change"),
    "area": (_TEXT, "area profile name"),
    "description": (_TEXT, "the scenario's description, from its file"),
    "scenario_title": (_TEXT, "the scenario's plain-language title, from its file"),
    "headline": (_TEXT, "outcomes the scenario file names as its headline, comma-separated"),
    "years": ("years", "academic years simulated"),
    "population_scale": (_TEXT, "pupils simulated per real pupil (results are divided by it for area totals)"),
    "pupils_simulated": ("pupils", "pupils in the simulated population"),
    "interventions": (_TEXT, "intervention labels, comma-separated ('none' for a baseline)"),
    "scenario_json": (_TEXT, "the scenario as run, JSON"),
    "parameters_json": (_TEXT, "every model parameter value the run used, JSON"),
    "posterior": (_TEXT, "posterior the parameters were drawn from ('none': the defaults)"),
    "posterior_path": (_TEXT, "file of the posterior the parameters were drawn from (empty: the defaults)"),
    "area_profile_json": (_TEXT, "the area profile as run, JSON (its figures with their sources)"),
    "posterior_draw": ("mixed (see each parameter's unit in `actlocally params`)",
                       "parameter values drawn from the posterior"),
}


def describe(ds: xr.Dataset) -> xr.Dataset:
    """`ds` with `units` and `long_name` filled in from COMMON for every variable of a known name that lacks them."""
    ds = ds.copy()
    for name in ds.variables:
        known = COMMON.get(str(name))
        if known is None:
            continue
        attrs = dict(ds[name].attrs)
        attrs.setdefault("units", known[0])
        attrs.setdefault("long_name", known[1])
        ds[name].attrs = attrs
    return ds
