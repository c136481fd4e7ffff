"""Issue 14: a profile's FSM share is a check on its named schools (the model's FSM follows the schools)."""

import numpy as np
import pytest
from actlocally.experiments.cli import app
from actlocally.model.area import AREAS_DIR, FSM_TOLERANCE, available_areas, load_area, schools_fsm_share
from actlocally.model.errors import InputError
from actlocally.model.params import DEFAULTS
from actlocally.model.synthesis import synthesise
from typer.testing import CliRunner

runner = CliRunner()


@pytest.mark.parametrize("name", [a for a in available_areas() if load_area(a).partition is None])
def test_shipped_profiles_agree_with_their_schools(name):
    area = load_area(name)
    assert abs(schools_fsm_share(area) - area.shares.fsm.value) <= FSM_TOLERANCE


def test_the_implied_share_is_what_synthesis_gives():
    """The closed form in area.py against the children synthesis draws (real code path, 20,000 pupils)."""
    area = load_area("holme_wood")
    pop = synthesise(area, DEFAULTS, np.random.default_rng(5), pupils=20000)
    fsm = pop.children.fsm
    assert fsm.mean() == pytest.approx(schools_fsm_share(area), abs=3.0 * np.sqrt(0.25 / 2000))  # ~families' SE


def _disagreeing_copy(tmp_path):
    """Manningham & Girlington lists every primary with roll and share, so its FSM figure is fixed by them."""
    text = (AREAS_DIR / "manningham_girlington.toml").read_text()
    old = "fsm = { value = 0.46"
    assert old in text
    path = tmp_path / "edited.toml"
    path.write_text(text.replace(old, "fsm = { value = 0.36", 1), encoding="utf-8")
    return path


def test_a_profile_that_disagrees_with_its_schools_is_refused(tmp_path):
    path = _disagreeing_copy(tmp_path)
    with pytest.raises(InputError, match="shares.fsm") as err:
        load_area(path)
    assert str(path) in str(err.value) and "0.460" in str(err.value)
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "shares.fsm" in lines[0] and "edited.toml" in lines[0], res.output


def test_a_run_on_a_disagreeing_profile_writes_nothing(tmp_path):
    area = _disagreeing_copy(tmp_path)
    sc = tmp_path / "s.toml"
    sc.write_text(f'name = "s"\narea = "{area.as_posix()}"\nyears = 1\npupils = 500\n', encoding="utf-8")
    out = tmp_path / "o.nc"
    res = runner.invoke(app, ["run", str(sc), "--out", str(out), "--posterior", "none"])
    assert res.exit_code == 2 and "shares.fsm" in res.output and "Traceback" not in res.output, res.output
    assert not out.exists()
