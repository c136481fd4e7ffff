"""Mechanism records: a group's rows of parameters.toml reach the numba rules by name."""

import numpy as np
import pytest
from actlocally.model.locality import LocalityModel
from actlocally.model.mechanisms.hunger import HungerArgs, hunger_args
from actlocally.model.mechanisms.records import make_record, record_type
from actlocally.model.params import PARAMETERS_FILE, load_parameters
from numba import njit

NEW_ROW = """
[hunger.b_extra]
value = 0.25
prior = [0.0, 1.0]
unit = "probability per school day"
source = "assumption (a test's coefficient)"
"""


@njit
def uses_new_coefficient(a, food_insecure):
    """A rule reading the added coefficient by name, as `hunger_row` would after the one-line edit."""
    return (a.p_hungry_if_insecure if food_insecure else a.p_hungry_if_secure) + a.b_extra


def test_adding_a_coefficient_is_one_row_and_one_line(tmp_path):
    table_file = tmp_path / "parameters.toml"
    table_file.write_text(PARAMETERS_FILE.read_text() + NEW_ROW)
    table = load_parameters(table_file)
    cls = record_type("HungerArgsPlus", "hunger", ("key",), __name__, table)
    globals()["HungerArgsPlus"] = cls  # a module-level name, as in the mechanism modules
    record = make_record(cls, table.with_overrides({"hunger.b_extra": 0.5}), key=np.uint64(3))
    assert record.b_extra == 0.5 and record.key == 3
    assert uses_new_coefficient(record, True) == table["hunger.p_hungry_if_insecure"] + 0.5


def test_records_carry_the_runs_values_by_name(scenario_factory):
    model = LocalityModel(scenario_factory(parameters={"hunger.p_hungry_if_insecure": 0.4}))
    a = hunger_args(model)
    assert isinstance(a, HungerArgs) and HungerArgs._fields[-1] == "key"
    assert a.p_hungry_if_insecure == 0.4 and a.p_hungry_if_secure == model.params["hunger.p_hungry_if_secure"]
    assert set(HungerArgs._fields) == {*model.params.group("hunger"), "key"}


def test_derived_values_are_checked_by_name():
    with pytest.raises(TypeError, match="missing \\['key'\\]"):
        make_record(HungerArgs, load_parameters())
    with pytest.raises(TypeError, match="unknown \\['kye'\\]"):
        make_record(HungerArgs, load_parameters(), key=np.uint64(1), kye=1)
    with pytest.raises(ValueError, match="clash"):
        record_type("Bad", "hunger", ("p_hungry_if_secure",), __name__)


def test_a_record_is_reused_only_for_the_same_values():
    table = load_parameters()
    first = make_record(HungerArgs, table, key=np.uint64(5))
    assert make_record(HungerArgs, table, key=np.uint64(5)) is first  # yesterday's record, unchanged inputs
    assert make_record(HungerArgs, table, key=np.uint64(6)).key == 6  # another derived value
    assert type(make_record(HungerArgs, table, key=5).key) is int  # the same value of another type (numba types it)
    zero = make_record(HungerArgs, table, key=0.0)
    assert np.signbit(make_record(HungerArgs, table, key=-0.0).key) and not np.signbit(zero.key)
    group = dict(table.group("hunger"))
    before = make_record(HungerArgs, group, key=np.uint64(5))
    group["p_hungry_if_secure"] = 0.5  # the same mapping changed in place
    after = make_record(HungerArgs, group, key=np.uint64(5))
    assert after is not before and after.p_hungry_if_secure == 0.5
    other = table.with_overrides({"hunger.p_hungry_if_secure": 0.04})  # another run's table
    assert make_record(HungerArgs, other, key=np.uint64(5)).p_hungry_if_secure == 0.04
