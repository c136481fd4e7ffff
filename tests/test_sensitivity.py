"""Sensitivity analysis: the pipeline recovers Ishigami's known indices, inert parameters score zero, runs repeat
exactly, an interrupted sweep resumes without redoing finished samples, and bad options exit 2 before any run."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from actlocally.calibration.summary import weighted_quantile
from actlocally.experiments.cli import app
from actlocally.experiments.cli.sensitivity import plan_sensitivity
from actlocally.experiments.sensitivity import sweep as S
from actlocally.experiments.sensitivity.inputs import posterior_ranges
from actlocally.model.errors import InputError
from actlocally.runtime.executor import Executor
from actlocally.runtime.run_store import RunStore
from SALib.test_functions import Ishigami
from typer.testing import CliRunner

runner = CliRunner()
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)  # analytic total-order indices (a = 7, b = 0.1)
SCENARIO = "scenarios/keighley_breakfast_and_food_hub.toml"
BASELINE = "scenarios/baseline_keighley_central.toml"
# Two parameters the breakfast club's effect runs through, and two of a youth service, which Keighley does not have
# (no hub hosts one, and the area has no crime profile): the runs never read them.
ACTIVE = ["attendance.b_hunger", "hunger.p_hungry_if_insecure"]
INERT = ["services.support_days_youth", "neighbourhood.youth_reduction"]


def ishigami_sweep(store_dir, workers: int = 0, n: int = 1024, chunk: int = 1024, seed: int = 3, **kw):
    """The same path as the model's sweep (ProblemSpec, executor, run store, analysis) on a test function."""
    sp = S.problem(["x1", "x2", "x3"], [(-np.pi, np.pi)] * 3, ["Y"])
    samples = S.draw(sp, "sobol", n, seed)
    with Executor(workers) as ex:
        runs = S.evaluate(samples, lambda rows: (Ishigami.evaluate, rows), S.evaluate_function, ex,
                          RunStore(store_dir / "runs.zarr"), "ishigami", chunk=chunk, **kw)
    return S.analyse(sp, runs["Y"].values, "sobol", seed)


def test_ishigami_total_order_indices_through_the_pipeline(tmp_path):
    ds = ishigami_sweep(tmp_path / "a", workers=0)
    st = ds["ST"].sel(output="Y").values
    print("ST", st, "+-", ds["ST_conf"].sel(output="Y").values)
    np.testing.assert_allclose(st, ISHIGAMI_ST, atol=0.05)
    assert ds["S1"].sel(parameter="x3").item() == pytest.approx(0.0, abs=0.05)  # x3 acts only with x1
    assert ds["S2"].sel(parameter="x1", parameter_2="x3").item() == pytest.approx(0.244, abs=0.1)


@pytest.mark.slow
def test_indices_do_not_depend_on_the_number_of_workers(tmp_path):
    """Two Dask workers, smaller tasks arriving in any order: the same indices as in-process (slow: cluster start)."""
    xr.testing.assert_identical(ishigami_sweep(tmp_path / "a", workers=0),
                                ishigami_sweep(tmp_path / "b", workers=2, chunk=512))


def test_salib_seeds_are_derived_and_never_zero():
    assert S.salib_seeds(0) == S.salib_seeds(0)
    assert all(s != 0 for seed in range(50) for s in S.salib_seeds(seed))
    assert S.salib_seeds(1) != S.salib_seeds(2)


def test_interrupted_sweep_resumes_without_redoing_finished_samples(tmp_path):
    calls = []

    def counted(rows):
        calls.append(len(rows))
        return Ishigami.evaluate(rows)

    sp = S.problem(["x1", "x2", "x3"], [(-np.pi, np.pi)] * 3, ["Y"])
    samples = S.draw(sp, "sobol", 128, 5)  # 1,024 samples in 16 tasks of 64

    def interrupt_after_five(done, total):
        if done >= 5 * 64:
            raise KeyboardInterrupt

    store = tmp_path / "runs.zarr"
    with pytest.raises(KeyboardInterrupt), Executor(0) as ex:
        S.evaluate(samples, lambda rows: (counted, rows), S.evaluate_function, ex, RunStore(store), "k", chunk=64,
                   on_progress=interrupt_after_five)
    kept = {p.name: p.stat().st_ino for p in (store / S.STORE_GROUP).glob("r*")}
    assert len(kept) == 5 and len(calls) == 5
    calls.clear()
    with Executor(0) as ex:
        resumed = S.evaluate(samples, lambda rows: (counted, rows), S.evaluate_function, ex, RunStore(store), "k",
                             chunk=64)
    assert len(calls) == 11  # only the unfinished tasks ran
    assert all((store / S.STORE_GROUP / n).stat().st_ino == ino for n, ino in kept.items())  # none rewritten
    np.testing.assert_array_equal(resumed["Y"].values, Ishigami.evaluate(samples))


def morris_args(out, name):
    return ["sensitivity", SCENARIO, "--vs", BASELINE, "--method", "morris", "--samples", "4", "--pupils", "400",
            "--parameters", ",".join(ACTIVE + INERT), "--outcome", "persistent_absence_pp,days_attended",
            "--output", name, "--out", str(out), "--workers", "0"]


def test_parameters_the_scenario_never_reads_have_zero_index_and_runs_repeat(tmp_path):
    """Paired effect of Keighley's breakfast clubs on a small population: youth-service parameters score exactly 0."""
    first = runner.invoke(app, morris_args(tmp_path, "one"))
    assert first.exit_code == 0, first.output
    ds = xr.load_dataset(tmp_path / "one" / "sensitivity.nc")
    assert ds.attrs["output_is"].startswith("effect")
    assert [k for k in ds.variables if not {"units", "long_name"} <= set(ds[k].attrs)] == []
    mu_star = ds["mu_star"]
    assert (mu_star.sel(parameter=INERT) == 0).all() and (ds["sigma"].sel(parameter=INERT) == 0).all()
    assert (mu_star.sel(parameter=ACTIVE) > 0).all()
    for f in ("sensitivity.csv", "morris_persistent_absence_pp_all.png", "morris_days_attended_all.svg"):
        assert (tmp_path / "one" / f).is_file()
    assert "attendance.b_hunger" in first.output

    again = runner.invoke(app, morris_args(tmp_path, "two"))  # a fresh folder: every sample runs again
    assert again.exit_code == 0, again.output
    other = xr.load_dataset(tmp_path / "two" / "sensitivity.nc")
    for var in ("mu_star", "mu_star_conf", "mu", "sigma", "samples", "results"):
        xr.testing.assert_identical(ds[var], other[var])


def test_a_parameter_switched_off_by_the_scenario_has_zero_total_index(tmp_path):
    """With hunger set to zero in the scenario file, hunger's effect on attendance and learning does nothing."""
    toml = tmp_path / "no_hunger.toml"
    toml.write_text('name = "no_hunger"\narea = "keighley_central"\nseed = 5\n[parameters]\n'
                    '"hunger.p_hungry_if_insecure" = 0.0\n"hunger.p_hungry_if_secure" = 0.0\n')
    plan = plan_sensitivity(toml, method="sobol", samples=4, output="off", pupils=300,
                            parameters="attendance.b_hunger,learning.penalty_hunger,attendance.a0",
                            outcome="days_attended,expected_standard_pp")
    with Executor(0) as ex:
        ds = S.run_sensitivity(plan, ex, tmp_path / "off")
    assert plan.baseline is None and ds.sizes["sample"] == 4 * (2 * 3 + 2)
    st = ds["ST"]
    assert (st.sel(parameter=["attendance.b_hunger", "learning.penalty_hunger"]) == 0).all()
    # a live parameter moves attendance; at 300 pupils (~75 assessed) it need not move a pupil across the standard
    assert (st.sel(parameter="attendance.a0").isel(output=0) > 0).all()  # days_attended
    with pytest.raises(InputError, match="fixed by the scenario"):
        plan_sensitivity(toml, method="morris", samples=2, output="x", parameters="hunger.p_hungry_if_secure,"
                         "attendance.a0")
    assert "hunger.p_hungry_if_insecure" not in plan_sensitivity(toml, method="morris", samples=2, output="x").names


@pytest.mark.parametrize("args, field", [
    (["--samples", "100"], "power of 2"),
    (["--output", "../escape"], "--output"),
    (["--parameters", "attendance.nope,attendance.a0"], "unknown parameter"),
    (["--outcome", "bogus"], "allowed: days_attended"),
    (["--outcome", "cost_gbp", "--group", "girls"], "group 'all' only"),
    (["--method", "fast"], "sobol or morris"),
    (["--ranges", "posterior:/no/such.nc"], "no such posterior"),
])
def test_bad_options_exit_2_before_any_run(tmp_path, args, field):
    res = runner.invoke(app, ["sensitivity", SCENARIO, "--vs", BASELINE, "--out", str(tmp_path), "--workers", "0",
                              "--output", "bad", *args])
    assert res.exit_code == 2, res.output
    assert field in " ".join(res.output.split())
    assert not list(tmp_path.glob("*/runs.zarr"))


def test_posterior_ranges_are_weighted_5_to_95_percent_quantiles(tmp_path):
    rng = np.random.default_rng(1)
    a0, sd = rng.normal(4.3, 0.2, 400), rng.uniform(1.0, 1.8, 400)
    w = rng.uniform(0.5, 1.5, 400)
    path = tmp_path / "keighley.nc"
    xr.Dataset({"attendance.a0": ("particle", a0), "attendance.sd_child": ("particle", sd),
                "weight": ("particle", w)}).to_netcdf(path, engine="h5netcdf")
    (lo, hi), (sd_lo, sd_hi) = posterior_ranges(path, ["attendance.a0", "attendance.sd_child"])
    # by definition, not through the helper: 5% (95%) of the weight lies below lo (hi), within one particle's weight
    for x, (q_lo, q_hi) in ((a0, (lo, hi)), (sd, (sd_lo, sd_hi))):
        for q, value in ((0.05, q_lo), (0.95, q_hi)):
            assert abs(w[x < value].sum() / w.sum() - q) <= w.max() / w.sum()
    assert 3.8 < lo < 4.1 and 4.5 < hi < 4.8 and 1.0 < sd_lo < 1.1 and 1.7 < sd_hi < 1.8
    # the weights, not the particle count, decide: particles of weight 0 never widen the range
    w_cut = np.where((a0 > 4.2) & (a0 < 4.4), w, 0.0)
    xr.Dataset({"attendance.a0": ("particle", a0), "weight": ("particle", w_cut)}).to_netcdf(
        tmp_path / "cut.nc", engine="h5netcdf")
    ((lo, hi),) = posterior_ranges(tmp_path / "cut.nc", ["attendance.a0"])
    assert 4.2 <= lo < 4.23 and 4.37 < hi <= 4.4
    equal = weighted_quantile(np.arange(101.0), np.ones(101), (0.05, 0.95))  # numpy's inverted weighted CDF
    np.testing.assert_array_equal(equal, (5.0, 95.0))
    with pytest.raises(InputError, match="attendance.b_fsm"):
        posterior_ranges(path, ["attendance.a0", "attendance.b_fsm"])
