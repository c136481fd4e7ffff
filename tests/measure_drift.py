"""Measure the 6-year baseline drift per area (mean z, FSM gap, KS1/KS2/KS4, PA, prevalence by phase, MHST starts
per team-year): a report, not a test.

Usage: .venv/bin/python tests/measure_drift.py [--pupils 6000] [--years 6] [AREA ...]
"""

from __future__ import annotations

import argparse

import numpy as np
from actlocally.model.locality import LocalityModel
from actlocally.model.scenario import Scenario
from actlocally.model.starting_attainment import assessed_z

AREAS = ("keighley_central", "holme_wood", "manningham_girlington", "bradford")


def run(area: str, pupils: int, years: int, seed: int = 7) -> list[dict]:
    """One run; a row of figures at each year end."""
    sc = Scenario.model_validate(dict(name="drift", area=area, years=years, seed=seed, pupils=pupils)).validate_all()
    m = LocalityModel(sc)
    rows: list[dict] = []
    orig = m.recorder.year_end

    def snap(model):
        orig(model)
        c = model.children
        t = model.recorder.thresholds
        az = assessed_z(model)
        prim = c.year_group < 7
        row = {"mean_z": float(c.attainment_z.mean()),
               "att": float(c.sessions_attended.sum() / c.sessions_possible.sum()),
               "gap_z": float(c.attainment_z[~c.fsm].mean() - c.attainment_z[c.fsm].mean()),
               "pa": float(model.recorder.yg["persistent_absence_rate_year"][model.today.year, 0]),
               "mh_prim": float(c.difficulty[prim].mean()), "mh_sec": float(c.difficulty[~prim].mean())}
        for name, yg, thr in (("ks1", 2, t[2]), ("ks2", 6, t[6]), ("ks4", 11, t[11])):
            row[name] = float((az[c.year_group == yg] >= thr).mean())
        rows.append(row)
    m.recorder.year_end = snap
    start_z = float(m.children.attainment_z.mean())
    m.run()
    ds = m.results()
    mhst = ds["service_kind"].values == "mhst"
    starts = ds["started"].values[:, mhst].sum(axis=1).reshape(years, -1).sum(axis=1)
    team_years = m.area.capacity.mhst_teams.value * m.capacity_scale
    for row, n in zip(rows, starts, strict=True):
        row["mhst"] = float(n / team_years) if team_years > 0 else float("nan")
    return [{"start_z": start_z, "profile_att": m.area.observed.attendance_rate.value}, *rows]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("areas", nargs="*", default=list(AREAS))
    ap.add_argument("--pupils", type=int, default=6000)
    ap.add_argument("--years", type=int, default=6)
    a = ap.parse_args()
    keys = ("mean_z", "att", "gap_z", "ks1", "ks2", "ks4", "pa", "mh_prim", "mh_sec", "mhst")
    print("| area | start z | profile att | " + " | ".join(f"{k} y1 -> y{a.years} (max dev)" for k in keys) + " |")
    print("|---" * (len(keys) + 3) + "|")
    for area in a.areas:
        start, *rows = run(area, a.pupils, a.years)
        cells = [f"{start['start_z']:.3f}", f"{start['profile_att']:.3f}"]
        for k in keys:
            v = np.array([r[k] for r in rows])
            cells.append(f"{v[0]:.3f} -> {v[-1]:.3f} ({np.max(np.abs(v - v[0])):.3f})")
        print(f"| {area} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
