"""Place2Be's pre-post design: a follow-up over several school years, year-long support episodes, and the split of
the estimate into the same pupils' change without the treatment and the treatment's own part."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from actlocally.calibration.trial import trial_tasks
from actlocally.calibration.trial_pre_post import COLUMNS, pool, pre_post_split
from actlocally.calibration.trial_run import TrialTask, _Probe, _scenario, allocate, run_trial_replicate, simulate
from actlocally.calibration.trial_spec import TRIALS_DIR, TrialSpec, load_trial
from actlocally.experiments.cli import app
from actlocally.model.errors import InputError
from actlocally.model.locality import LocalityModel
from typer.testing import CliRunner

AREA, PUPILS = "keighley_central", 4000


def _spec(**treatment) -> TrialSpec:
    spec = load_trial("place2be_counselling")
    return spec.model_copy(update={"years": 2, "treatment": {**spec.treatment, **treatment}})


def test_a_two_year_follow_up_counts_every_term_and_sees_episodes_across_the_summer():
    spec = _spec(support_days=190.0)
    task = TrialTask(spec, AREA, 1, 0, PUPILS)
    w = simulate(_scenario(task, [], []), task)
    assert w.term_possible.shape == (6, w.school.size)
    days = w.term_possible[:, 0] // 2  # every pupil on roll every school day: a term's days are everyone's
    assert (w.term_possible == 2 * days[:, None]).all() and days.sum() >= 370
    treated = simulate(_treated(task), task)
    across = (treated.first_support_term >= 1) & (treated.first_support_term <= 2) & (treated.last_support_term >= 3)
    assert across.sum() >= 5  # year-long counselling that starts in autumn or spring ends next school year
    entrants = treated.year_group == 0  # a leaver's row is a new entrant in year 2
    assert entrants.any() and (treated.joined_term[entrants] == 3).all() and (treated.joined_term[~entrants] == 0).all()


def _treated(task: TrialTask):
    """The trial world's scenario (every school allocated to the treatment, as the spec says)."""
    probe = LocalityModel(_scenario(task, [], []), replicate=task.replicate, pupils=task.pupils)
    probe.release()
    treated, control = allocate(task.spec, _Probe(list(probe.school_agents)), task.seed, task.replicate)
    return _scenario(task, treated, control)


def test_support_days_sets_the_length_of_a_team_episode_and_defaults_to_the_service_parameter():
    task = TrialTask(_spec(support_days=190.0), AREA, 1, 0, PUPILS)
    model = LocalityModel(_treated(task), pupils=PUPILS)
    default = LocalityModel(_treated(TrialTask(load_trial("place2be_counselling"), AREA, 1, 0, PUPILS)),
                            pupils=PUPILS)
    teams = [s for s in model.services.services if s.kind == "mhst" and "treatment" in s.name]
    assert teams and all(s.support_days == 190 for s in teams)
    assert all(s.support_days == int(default.params["services.support_days_mhst"])
               for s in default.services.services if s.kind == "mhst")
    model.release()
    default.release()


def test_more_than_one_year_needs_pre_post_outcomes(tmp_path):
    path = tmp_path / "long.toml"  # a between-school design over two years
    path.write_text((TRIALS_DIR / "magic_breakfast.toml").read_text().replace("years = 1", "years = 2", 1))
    with pytest.raises(InputError) as err:
        load_trial(path)
    assert str(path) in str(err.value) and "pre-post" in str(err.value)


def test_the_split_adds_up_to_the_trials_own_estimate():
    spec = load_trial("place2be_counselling")
    task = TrialTask(spec, AREA, 1, 0, PUPILS)
    table = pre_post_split(spec, task).set_index("group")
    estimate = run_trial_replicate(task)["attendance_change"]
    everyone = table.loc["all"]
    assert everyone["pupils"] == estimate["n"] >= 10
    assert everyone["change_pp"] == pytest.approx(estimate["estimate"], abs=1e-9)
    assert everyone["treatment_part_pp"] == pytest.approx(everyone["change_pp"] - everyone["change_without_pp"])
    for a, b in (("primary (Reception-Year 6)", "secondary (Years 7-11)"),
                 ("in difficulty all the term before", "onset during the term before"),
                 ("difficulty lifted by the term support ended", "difficulty persisting")):
        assert table.loc[a, "pupils"] + table.loc[b, "pupils"] == everyone["pupils"]
    assert table.loc["difficulty lifted by the term support ended", "difficulty_after"] < 0.1
    assert 0.0 <= everyone["difficulty_after_without"] <= 1.0 and np.isfinite(everyone["change_without_pp"])


def test_trial_split_writes_the_pooled_split_beside_the_trial(tmp_path):
    result = CliRunner().invoke(app, ["trial", "place2be_counselling", "--area", AREA, "--replicates", "2", "--pupils",
                                      "3000", "--workers", "0", "--out", str(tmp_path), "--split"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "trials" / "place2be_counselling"
    parts = pd.read_csv(folder / "split.csv").set_index("group")
    assert list(parts.reset_index().columns) == list(COLUMNS)
    n = xr.open_dataset(folder / "trial.nc")["n"].sel(outcome="attendance_change").values
    assert parts.loc["all", "pupils"] == n.sum() > 0
    tables = [pre_post_split(load_trial("place2be_counselling"), t) for t in
              trial_tasks(load_trial("place2be_counselling"), area=AREA, replicates=2, pupils=3000)]
    assert pool(tables)["change_pp"].to_numpy() == pytest.approx(parts["change_pp"].to_numpy(), nan_ok=True)
