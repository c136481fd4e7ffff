"""Generated malformed inputs through the CLI's own entry point: exit 2, one line naming file and field, nothing
written, no traceback.

Each case starts from a valid document and breaks it in one way that no schema allows: a number replaced by text,
a boolean, NaN, infinity, a value far outside any bound, a list or a table; a boolean replaced by text or a number;
a name with a newline, a slash or markup; an unknown key; a required key removed; a list or text too long; or the
bytes spoiled (not UTF-8, binary, nested too deeply, broken TOML). Posterior files are spoiled in their weights,
values, names, dimensions or bytes. Examples per `make test`: 300 scenario + 250 area + 200 comparison + 200 targets
+ 120 posterior + 150 trial specs = 1,220.
"""

from __future__ import annotations

import datetime
import math
import tempfile
import tomllib
from pathlib import Path

import h5py
import numpy as np
import tomli_w
import xarray as xr
from actlocally.calibration.targets import TARGETS_DIR
from actlocally.experiments.cli import app
from actlocally.model.area import AREAS_DIR
from actlocally.model.errors import one_line
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

runner = CliRunner()
SCENARIO = {"name": "fz", "area": "keighley_central", "years": 1, "seed": 7, "pupils": 300,
            "parameters": {"attendance.a0": 4.3, "hunger.p_hungry_if_insecure": 0.2},
            "interventions": [{"type": "breakfast_club", "label": "clubs", "schools": "phase == 'primary'",
                               "p_enrol": 0.5, "places_per_school": 40}]}
AREA = tomllib.loads((AREAS_DIR / "keighley_central.toml").read_text(encoding="utf-8"))
TARGETS = tomllib.loads((TARGETS_DIR / "keighley_central.toml").read_text(encoding="utf-8"))
COMPARISON = {"name": "fz", "baselines": ["base.toml"], "scenarios": ["arm.toml"], "replicates": 2, "seed": 1,
              "pupils": 300}
NAME_KEYS = {"name"}  # fields with a name pattern
BAD_NUMBERS = ["0.3", True, math.nan, math.inf, -math.inf, 1e12, -1e12, [1.0, 2.0], {"x": 1.0},
               datetime.date(2025, 1, 1)]
BAD_FLAGS = ["true", 1, 0.5, [True]]
BAD_NAMES = ["nl\n", "a/b", "..", "", "x y", "[/]", "[bold]x", "../../etc"]
BAD_KEYS = ["zz_unknown", "[/]", "bad key", "x.y"]


def leaves(doc, path=()):
    """(path, value) of every scalar, through tables and lists."""
    items = doc.items() if isinstance(doc, dict) else enumerate(doc)
    for k, v in items:
        if isinstance(v, dict | list):
            yield from leaves(v, (*path, k))
        else:
            yield (*path, k), v


def tables(doc, path=()):
    """Paths of every table (where an unknown key can be added)."""
    if isinstance(doc, dict):
        yield path
        for k, v in doc.items():
            yield from tables(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from tables(v, (*path, i))


def copy(doc):
    return tomllib.loads(tomli_w.dumps(doc))


def at(doc, path):
    for k in path:
        doc = doc[k]
    return doc


def mutations(valid: dict, required: list[tuple]) -> st.SearchStrategy:
    """(document or bytes, the key the error must name or None) for one way of breaking `valid`."""
    numeric = [p for p, v in leaves(valid) if isinstance(v, int | float) and not isinstance(v, bool)
               and "year" not in p]
    flags = [p for p, v in leaves(valid) if isinstance(v, bool)]
    names = [p for p, _ in leaves(valid) if p[-1] in NAME_KEYS and len(p) == 1]
    where = list(tables(valid))

    def replace(path, value):
        doc = copy(valid)
        at(doc, path[:-1])[path[-1]] = value
        return doc, str(path[-2] if isinstance(path[-1], int) else path[-1])

    def add(path, key):
        doc = copy(valid)
        at(doc, path)[key] = 1.0
        return doc, key

    def drop(path):
        doc = copy(valid)
        del at(doc, path[:-1])[path[-1]]
        return doc, str(path[-1])

    def long_text(n):
        doc = copy(valid)
        doc["description"] = "x" * n
        return doc, "description"

    return st.one_of(
        st.builds(replace, st.sampled_from(numeric), st.sampled_from(BAD_NUMBERS)),
        *([st.builds(replace, st.sampled_from(flags), st.sampled_from(BAD_FLAGS))] if flags else []),
        *([st.builds(replace, st.sampled_from(names), st.sampled_from(BAD_NAMES))] if names else []),
        st.builds(add, st.sampled_from(where), st.sampled_from(BAD_KEYS)),
        st.builds(drop, st.sampled_from(required)),
        st.builds(long_text, st.integers(10_001, 30_000)),
        st.builds(lambda b: (b, None), st.sampled_from([b"\xff\xfe", b"\x80abc", "é".encode("latin-1")]).map(
            lambda bad: bad + tomli_w.dumps(valid).encode())),
        st.builds(lambda n: (("a = " + "[" * n + "]" * n + "\n" + tomli_w.dumps(valid)).encode(), None),
                  st.integers(13, 3000)),
        st.builds(lambda junk: ((tomli_w.dumps(valid) + "\n" + junk + " = = \n").encode(), None),
                  st.sampled_from(["x", "[a", "'", "name"])),
        st.builds(lambda b: (b"\x00" + b, None), st.binary(max_size=64)),
    )


def write(folder: Path, name: str, case) -> Path:
    doc, _ = case
    path = folder / name
    path.write_bytes(doc if isinstance(doc, bytes) else tomli_w.dumps(doc).encode())
    return path


def assert_refused(res, path: Path, key: str | None, folder: Path, before: set) -> None:
    """Exit 2, one line naming the file (and the field), no traceback, nothing new in `folder`."""
    assert res.exit_code == 2, (res.exit_code, res.output, repr(res.exception))
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    assert "Traceback" not in res.output
    assert str(path) in lines[0], lines[0]
    if key is not None:
        assert one_line(key) in lines[0], (key, lines[0])
    assert set(folder.rglob("*")) == before, "something was written"


FUZZ = settings(max_examples=250, deadline=None, derandomize=True, database=None)


@FUZZ
@given(case=mutations(SCENARIO, [("name",), ("area",)]))
def test_malformed_scenarios_are_refused(case):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write(folder, "s.toml", case)
        before = set(folder.rglob("*"))
        assert_refused(runner.invoke(app, ["validate", str(path)]), path, case[1], folder, before)


@settings(FUZZ, max_examples=50)
@given(case=mutations(SCENARIO, [("name",), ("area",)]))
def test_malformed_scenarios_are_refused_by_run_before_anything_is_written(case):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write(folder, "s.toml", case)
        before = set(folder.rglob("*"))
        res = runner.invoke(app, ["run", str(path), "--posterior", "none", "--out", str(folder / "o.nc")])
        assert_refused(res, path, case[1], folder, before)


AREA_REQUIRED = [("name",), ("kind",), ("pupils",), ("shares", "fsm"), ("shares", "fsm", "value"),
                 ("capacity", "mhst_teams", "value"), ("observed", "attendance_rate", "value"), ("schools",)]


@FUZZ
@given(case=mutations(AREA, AREA_REQUIRED))
def test_malformed_areas_are_refused(case):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write(folder, "a.toml", case)
        if isinstance(case[0], dict) and not ("pupils" in case[0] and "shares" in case[0]):
            return  # without both, `validate` reads it as a scenario; the scenario cases cover that
        before = set(folder.rglob("*"))
        assert_refused(runner.invoke(app, ["validate", str(path)]), path, case[1], folder, before)


@settings(FUZZ, max_examples=200)
@given(case=mutations(COMPARISON, [("name",), ("baselines",)]))
def test_malformed_comparisons_are_refused_by_compare(case):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in ("base", "arm"):
            (folder / f"{name}.toml").write_text(tomli_w.dumps(dict(SCENARIO, name=name, interventions=[])))
        path = write(folder, "cmp.toml", case)
        before = set(folder.rglob("*"))
        res = runner.invoke(app, ["compare", str(path), "--workers", "0", "--out", str(folder / "out")])
        assert_refused(res, path, case[1], folder, before)


@settings(FUZZ, max_examples=200)
@given(case=mutations(TARGETS, [("area",), ("targets",), ("targets", "attendance_rate", "value"),
                                ("targets", "attendance_rate", "year")]))
def test_malformed_targets_are_refused_by_calibrate(case):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write(folder, "targets.toml", case)
        before = set(folder.rglob("*"))
        res = runner.invoke(app, ["calibrate", str(path), "--workers", "0", "--out", str(folder / "out")])
        assert_refused(res, path, case[1], folder, before)


def _posterior(kind: str, k: int, path: Path) -> str | None:
    """Write one spoiled posterior file; return the field the error must name (or None)."""
    w, a0 = np.linspace(1.0, 2.0, k), np.linspace(4.0, 4.6, k)
    names, field = "attendance.a0", None
    if kind == "huge":
        with h5py.File(path, "w") as f:
            f.create_dataset("weight", shape=(2_000_000_000,), chunks=(4096,), dtype="f8")
        return "particle"
    if kind in ("bytes", "truncated"):
        xr.Dataset({"weight": ("particle", w), "attendance.a0": ("particle", a0)},
                   attrs={"parameters": names}).to_netcdf(path, engine="h5netcdf")
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3] if kind == "truncated" else bytes(reversed(data)))
        return None
    data = {"weight": ("particle", w), "attendance.a0": ("particle", a0)}
    if kind == "nan_weight":
        w[k // 2], field = np.nan, "weight"
    elif kind == "negative_weight":
        w[0], field = -1.0, "weight"
    elif kind == "zero_weights":
        w[:], field = 0.0, "weight"
    elif kind == "inf_value":
        a0[-1], field = np.inf, "attendance.a0"
    elif kind == "outside_prior":
        a0[0], field = 99.0, "attendance.a0"
    elif kind == "unknown_name":
        names, field = "attendance.a0 no.such_parameter", "no.such_parameter"
    elif kind == "missing_variable":
        names, field = "attendance.a0 attendance.b_fsm", "attendance.b_fsm"
    elif kind == "no_weight":
        del data["weight"]
        field = "weight"
    elif kind == "text_weight":
        data["weight"], field = ("particle", np.array([str(x) for x in w])), "weight"
    elif kind == "two_dimensional":
        data["weight"], field = (("particle", "other"), np.ones((k, 2))), "weight"
    elif kind == "no_particles":
        data, field = {"weight": ("particle", w[:0]), "attendance.a0": ("particle", a0[:0])}, "particle"
    xr.Dataset(data, attrs={"parameters": names}).to_netcdf(path, engine="h5netcdf")
    return field


POSTERIOR_KINDS = ["huge", "bytes", "truncated", "nan_weight", "negative_weight", "zero_weights", "inf_value",
                   "outside_prior", "unknown_name", "missing_variable", "no_weight", "text_weight",
                   "two_dimensional", "no_particles"]


@settings(FUZZ, max_examples=120)
@given(kind=st.sampled_from(POSTERIOR_KINDS), k=st.integers(2, 300))
def test_malformed_posteriors_are_refused_before_a_run(kind, k):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "s.toml").write_text(tomli_w.dumps(dict(SCENARIO, interventions=[])))
        path = folder / "p.nc"
        field = _posterior(kind, k, path)
        before = set(folder.rglob("*"))
        res = runner.invoke(app, ["run", str(folder / "s.toml"), "--posterior", str(path), "--out",
                                  str(folder / "o.nc")])
        assert_refused(res, path, field, folder, before)


TRIAL = tomllib.loads((Path(__file__).resolve().parents[1] / "calibration" / "trials" /
                       "magic_breakfast.toml").read_text(encoding="utf-8"))


@settings(FUZZ, max_examples=150)
@given(case=mutations(TRIAL, [("name",), ("treatment",), ("outcomes",), ("outcomes", 0, "published")]))
def test_malformed_trial_specs_are_refused_by_trial(case):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write(folder, "trial.toml", case)
        before = set(folder.rglob("*"))
        res = runner.invoke(app, ["trial", str(path), "--workers", "0", "--replicates", "2", "--pupils", "500",
                                  "--out", str(folder / "out")])
        assert_refused(res, path, case[1], folder, before)
