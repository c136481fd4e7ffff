"""Everything a funder brief says, read from a finished comparison: no number in a brief is typed by hand.

`brief_data(path, scenario)` opens `comparison.nc`, recomputes the paired effects and their summary with the same
code as `actlocally compare` (experiments/effects.py), and gathers reach, sources, calibration, sensitivity and run
metadata into one `Brief`, which the template only formats.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from actlocally.experiments.brief.anchors import Anchor, EvidenceLink, find_anchors, find_evidence, stage_of
from actlocally.experiments.brief.evidence import Calibration, Sensitivity, find_calibration, find_sensitivity
from actlocally.experiments.brief.meta import plain_meta, scenario_title
from actlocally.experiments.brief.sources import (
    AreaFigure,
    InterventionInfo,
    ParamRow,
    area_figures,
    interventions_of,
    load_scenario_json,
    model_assumption_count,
    parameter_overrides,
)
from actlocally.experiments.compare.comparison import scenario_slice
from actlocally.experiments.compare.effects import (
    COST_METRICS,
    METRIC,
    METRICS,
    Metric,
    cost_per_pupil,
    outcomes,
    paired_effects,
    summary_table,
)
from actlocally.experiments.compare.report import fmt
from actlocally.model.area import AreaProfile, load_area
from actlocally.model.eef import impact_words
from actlocally.model.errors import InputError
from actlocally.model.outcomes import DEFAULT_HEADLINE, SERVICE_LABELS, parse_headline

COST_NAMES = {m.name for m in COST_METRICS.values()}
HEADLINES = tuple(m.name for m in METRICS) + tuple(sorted(COST_NAMES))
BY_GROUP = ("days_attended", "persistent_absence_pp", "months_of_progress", "child_difficulty_pp",
            "mothers_depression_pp")
GROUP_WORDS = {"all": "all pupils", "disadvantaged": "disadvantaged (FSM)", "other": "not disadvantaged",
               "girls": "girls", "boys": "boys"}
_REQUIRED = ("baseline", "area", "scenario_json", "parameters_json", "population_scale", "attendance_rate_year")


@dataclasses.dataclass(frozen=True)
class Number:
    """A mean with its 90% interval over replicates, formatted the way the comparison table formats it."""

    metric: str
    label: str
    unit: str
    mean: float
    low: float
    high: float
    signed: bool = True
    scenario: str = ""
    group: str = "all"

    def text(self, value: float) -> str:
        return fmt(value, self.unit, self.signed)

    @property
    def mean_text(self) -> str:
        return self.text(self.mean)

    @property
    def low_text(self) -> str:
        return self.text(self.low)

    @property
    def high_text(self) -> str:
        return self.text(self.high)

    @property
    def spans_zero(self) -> bool:
        return bool(np.isfinite(self.low) and np.isfinite(self.high) and self.low <= 0 <= self.high)

    @property
    def no_change(self) -> bool:
        """Exactly zero in every simulated year (the 90% range is the single point 0)."""
        return bool(self.low == 0 and self.high == 0)

    @property
    def priced(self) -> bool:
        return bool(np.isfinite(self.mean))

    @property
    def verdict(self) -> str:
        """Plain words on the direction: better, worse, or not told from no change (the range reaches zero)."""
        if not np.isfinite(self.mean):
            return "not estimated"
        if self.no_change:
            return "no change"
        if self.spans_zero:
            return "the model cannot tell this from no change"
        good = (self.mean > 0) == (METRIC[self.metric].better == "higher")
        return "an improvement" if good else "a worsening"


@dataclasses.dataclass(frozen=True)
class Lead:
    """One headline outcome the brief leads with: the change, for whom, and its cost per unit (if it has a unit)."""

    number: Number
    group_words: str
    cost: Number | None


@dataclasses.dataclass(frozen=True)
class ServiceRow:
    """Change in one service's mean wait and in the people starting support with it."""

    label: str
    wait: Number | None
    helped: Number | None


@dataclasses.dataclass(frozen=True)
class Reach:
    """Who one intervention reaches at the start of the run, scaled to the whole area."""

    label: str
    schools: tuple[str, ...]
    pupils: float
    disadvantaged_share: float
    girls_share: float


@dataclasses.dataclass(frozen=True)
class CostRow:
    """One scenario of the comparison in the cost-per-outcome table."""

    scenario: str
    title: str
    area: str
    cost: Number
    per: tuple[Number, ...]  # cost per unit of each of the brief's cost measures, in order
    this: bool


@dataclasses.dataclass
class Brief:
    """The content of one funder brief."""

    comparison: str
    comparison_title: str
    scenario: str
    title: str
    baseline: str
    description: str
    area_name: str
    area_display: str
    area: AreaProfile | None
    year_labels: list[str]
    interventions: list[InterventionInfo]
    reach: list[Reach]
    reach_problem: str
    pupils: float
    disadvantaged_share: float
    headlines: dict[str, Number]
    lead: list[Lead]
    cost_measures: list[Metric]
    services: list[ServiceRow]
    baseline_levels: dict[str, float]
    by_group: dict[str, dict[str, Number]]
    costs: list[CostRow]
    calibration: Calibration
    sensitivity: Sensitivity
    params: list[ParamRow]
    overrides: list[ParamRow]
    figures: list[AreaFigure]
    model_params: tuple[int, int]
    meta: dict[str, str]
    effects: xr.Dataset = dataclasses.field(repr=False)
    summary: pd.DataFrame = dataclasses.field(repr=False)
    evidence: EvidenceLink | None = None  # the area's evidence page, if made (experiments/brief/anchors.py)
    anchors: list[Anchor] = dataclasses.field(default_factory=list)  # trials behind each intervention

    @property
    def months_words(self) -> str:
        return impact_words(self.headlines["months_of_progress"].mean)

    @property
    def gap_words(self) -> str:
        return impact_words(self.headlines["disadvantage_gap_months"].mean)


def open_comparison(path: str | Path) -> tuple[xr.Dataset, Path]:
    """The comparison Dataset and its folder, from `outputs/<name>` or `outputs/<name>/comparison.nc`."""
    path = Path(path)
    nc = path / "comparison.nc" if path.is_dir() else path
    if not nc.is_file():
        raise InputError(path, None, "no comparison found: give a comparison folder (outputs/<name>) or its "
                         "comparison.nc, as written by `actlocally compare`")
    try:
        with xr.open_dataset(nc) as ds:
            ds = ds.load()
    except (OSError, ValueError) as err:
        raise InputError(nc, None, f"not a readable NetCDF file ({err})") from None
    missing = [k for k in _REQUIRED if k not in ds.variables]
    if missing or "scenario" not in ds.dims:
        raise InputError(nc, missing[0] if missing else "scenario", "not a comparison file from `actlocally compare` "
                         f"(missing {', '.join(missing) or 'the scenario dimension'})")
    return ds, nc.parent


def choose_scenario(ds: xr.Dataset, scenario: str | None, where: Path) -> str:
    """The scenario to brief on: the one named, or the comparison's first non-baseline scenario."""
    arms = [str(s) for s, b in zip(ds["scenario"].values, ds["baseline"].values, strict=True) if s != b]
    if scenario is None:
        if not arms:
            raise InputError(where, "scenario", "the comparison has only baselines; nothing to brief on")
        return arms[0]
    if scenario not in arms:
        why = "is a baseline" if scenario in ds["scenario"].values else "is not in this comparison"
        raise InputError(where, "--scenario", f"'{scenario}' {why}; choose one of: {', '.join(arms)}")
    return scenario


def _number(table: pd.DataFrame, scenario: str, metric: Metric, group: str = "all") -> Number:
    row = table[(table["scenario"] == scenario) & (table["group"] == group) & (table["metric"] == metric.name)].iloc[0]
    signed = metric.name != "cost_gbp" and metric.name not in COST_NAMES
    return Number(metric.name, metric.label, metric.unit, float(row["mean"]), float(row["low_5pct"]),
                  float(row["high_95pct"]), signed, scenario, group)


def _metric(name: str) -> Metric:
    return {m.name: m for m in COST_METRICS.values()}.get(name) or METRIC[name]


def _cost_per(effects: xr.Dataset, scenario: str, metric: Metric, group: str) -> Number:
    """Cost per unit of `metric` gained by `group` (the same rule as the summary table's cost rows)."""
    one = effects.sel(scenario=scenario)
    gain = one[metric.name].sel(group=group).values * (1 if metric.better == "higher" else -1)
    cm = COST_METRICS[metric.name]
    return Number(cm.name, cm.label, cm.unit, *cost_per_pupil(one["cost_gbp"].sel(group="all").values, gain), False,
                  scenario, group)


def headline_of(ds: xr.Dataset, scenario: str) -> list[str]:
    """The outcomes the scenario file names as its headline (as stored in the comparison), else the default three."""
    text = str(ds["headline"].sel(scenario=scenario).values) if "headline" in ds.variables else ""
    if not text:
        text = ", ".join(json.loads(str(ds["scenario_json"].sel(scenario=scenario).values)).get("headline", []))
    return [h.strip() for h in text.split(",") if h.strip()] or list(DEFAULT_HEADLINE)


def _lead(ds: xr.Dataset, effects: xr.Dataset, table: pd.DataFrame, scenario: str) -> list[Lead]:
    out = []
    for entry in headline_of(ds, scenario):
        try:
            m, group = parse_headline(entry)
        except ValueError:
            continue  # a comparison made by another version; the scenario file itself was checked when loaded
        cost = _cost_per(effects, scenario, m, group) if m.per else None
        out.append(Lead(_number(table, scenario, m, group), GROUP_WORDS[group], cost))
    return out


def _cost_measures(lead: list[Lead]) -> list[Metric]:
    """Outcomes to price: the headline's (those with a unit of gain) first, then persistent absence and progress."""
    names = [x.number.metric for x in lead if x.cost is not None] + ["pupils_out_of_persistent_absence",
                                                                      "months_of_progress"]
    return [METRIC[n] for n in dict.fromkeys(names)][:3]


def _services(table: pd.DataFrame, scenario: str) -> list[ServiceRow]:
    present = set(table.loc[table["scenario"] == scenario, "metric"])
    rows = []
    for kind, label in SERVICE_LABELS.items():
        wait, helped = METRIC[f"wait_days_{kind}"], METRIC[f"helped_{kind}"]
        if wait.name in present or helped.name in present:
            rows.append(ServiceRow(label, _number(table, scenario, wait) if wait.name in present else None,
                                   _number(table, scenario, helped) if helped.name in present else None))
    return rows


def reach_of(ds: xr.Dataset, scenario: str) -> tuple[list[Reach], str]:
    """Rebuild replicate 1's population from the stored scenario and seed, and ask each intervention whom it reaches.

    Building a model is deterministic in (scenario, seed, replicate, pupils), so this is the population the runs
    started from; no day is simulated. Returns ([], reason) if the scenario cannot be rebuilt here.
    """
    from actlocally.model.locality import LocalityModel

    try:
        sc = load_scenario_json(str(ds["scenario_json"].sel(scenario=scenario).values))
        model = LocalityModel(sc, seed=int(ds.attrs["seed"]), replicate=0,
                              pupils=int(ds.attrs.get("pupils_override", 0)) or None)
    except (InputError, ValueError, KeyError) as err:
        return [], f"the scenario could not be rebuilt here ({err})"
    kids, names = model.children, [s.name for s in model.school_agents]
    out = []
    for iv in model.interventions:
        mask = np.asarray(iv.reached(model), bool)
        n = int(mask.sum())
        schools = tuple(names[i] for i in np.unique(kids.school[mask]))
        out.append(Reach(iv.label, schools, n / model.scale, float(kids.fsm[mask].mean()) if n else np.nan,
                         float(kids.female[mask].mean()) if n else np.nan))
    model.release()
    return out, ""


def _area_profile(ds, name: str, area_name: str) -> AreaProfile | None:
    """The scenario's area profile: as stored in the comparison, else the built-in (or file) it names."""
    if "area_profile_json" in ds.coords:
        return AreaProfile.model_validate_json(str(ds["area_profile_json"].sel(scenario=name).values))
    try:
        return load_area(area_name)
    except InputError:
        return None


def _calibration(ds, name: str, area_name: str, posteriors_dir: Path | None) -> Calibration:
    """The posterior the comparison drew from: its file if recorded and still there, else the area's stored one."""
    path = str(ds["posterior_path"].sel(scenario=name).values) if "posterior_path" in ds.coords else ""
    if path and Path(path).is_file():
        return find_calibration(Path(path).stem, Path(path).parent)
    return find_calibration(area_name, posteriors_dir)


def brief_data(path: str | Path, scenario: str | None = None, posteriors_dir: Path | None = None) -> Brief:
    """Read a finished comparison and assemble the brief on one of its scenarios."""
    ds, folder = open_comparison(path)
    name = choose_scenario(ds, scenario, folder)
    effects = paired_effects(ds)
    table = summary_table(effects)
    base = str(ds["baseline"].sel(scenario=name).values)
    area_name = str(ds["area"].sel(scenario=name).values)
    area = _area_profile(ds, name, area_name)
    if area is not None:
        area_name = area.name
    base_out = outcomes(scenario_slice(ds, base)).mean("replicate")
    pupils_all = scenario_slice(ds, base)["pupils"].isel(term=-1).mean("replicate") / float(
        ds["population_scale"].sel(scenario=base))
    levels = {k: float(base_out[k].sel(group="all")) for k in
              ("days_attended", "persistent_absence_pp", "expected_standard_pp", "child_difficulty_pp",
               "mothers_depression_pp")}
    levels["waiting_days"] = float(base_out["waiting_days"])
    reach, reach_problem = reach_of(ds, name)
    arms = [str(s) for s in effects["scenario"].values]
    lead = _lead(ds, effects, table, name)
    measures = _cost_measures(lead)
    costs = [CostRow(s, scenario_title(ds, s), str(ds["area"].sel(scenario=s).values),
                     _number(table, s, METRIC["cost_gbp"]),
                     tuple(_number(table, s, COST_METRICS[m.name]) for m in measures), s == name) for s in arms]
    interventions = interventions_of(str(ds["scenario_json"].sel(scenario=name).values))
    attrs = ds.attrs
    meta = plain_meta(ds, name)
    # the scenario file's own overrides; parameters drawn from a posterior vary by replicate and are reported
    # under calibration, not as overrides
    overrides = parameter_overrides(json.dumps(json.loads(str(ds["scenario_json"].sel(scenario=name).values))
                                               .get("parameters", {})))
    used_posterior = "posterior" in ds.coords and str(ds["posterior"].sel(scenario=name).values) != "none"
    calibration = _calibration(ds, name, area_name, posteriors_dir) if used_posterior else Calibration(found=False)
    return Brief(
        comparison=str(attrs.get("comparison", folder.name)), comparison_title=str(attrs.get("comparison_title", "")),
        scenario=name, title=scenario_title(ds, name), baseline=base,
        description=str(ds["description"].sel(scenario=name).values) if "description" in ds.variables else "",
        area_name=area_name,
        area_display=area.display_name if area else area_name, area=area,
        year_labels=[str(y) for y in scenario_slice(ds, name)["year_label"].values], interventions=interventions,
        reach=reach, reach_problem=reach_problem, pupils=float(pupils_all.sel(group="all")),
        disadvantaged_share=float(pupils_all.sel(group="disadvantaged") / pupils_all.sel(group="all")),
        headlines={m: _number(table, name, _metric(m)) for m in HEADLINES}, baseline_levels=levels,
        lead=lead, cost_measures=measures, services=_services(table, name),
        by_group={m: {g: _number(table, name, METRIC[m], g) for g in GROUP_WORDS}
                  for m in dict.fromkeys([x.number.metric for x in lead if METRIC[x.number.metric].by_group]
                                         + list(BY_GROUP))},
        costs=costs,
        calibration=calibration,
        sensitivity=find_sensitivity(folder, name),
        params=[p for iv in interventions for p in iv.params],
        overrides=overrides,
        figures=area_figures(area) if area else [], model_params=model_assumption_count(), meta=meta,
        effects=effects.sel(scenario=name), summary=table, evidence=find_evidence(area_name, folder),
        anchors=find_anchors([(iv.label, iv.kind) for iv in interventions], folder, area_name,
                             stage_of(calibration.path) if calibration.found else None))
