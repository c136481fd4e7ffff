"""Named records that carry a mechanism's parameters into its numba rules, built from `parameters.toml`.

Each mechanism declares one record type: every row of its group in `model/parameters.toml` becomes a field of the
same name, followed by the values the mechanism derives each day (its stream key, rates set from the area
profile, today's season). Records hold scalars only: a per-school value reaches a rule as an argument, read by
the pass from the `SchoolDay` arrays (an array read out of a tuple inside a numba loop costs a reference count).
A record is a `collections.namedtuple`, which numba passes to a compiled function as one argument and reads by
attribute (`a.b_hunger`) at no cost, so rules take `(record, day, row, the row's state)` and nothing is passed
by position across modules. Building a record checks the names: a missing or unknown derived value raises, as
does a derived name that clashes with a parameter.

Adding a coefficient is two edits. To let hunger depend on EAL, say:

1. one row in `model/parameters.toml`::

       [hunger.b_eal]
       value = 0.0
       prior = [-0.5, 0.5]
       unit = "log-odds"
       source = "assumption"

2. the line in `hunger_row` (model/mechanisms/hunger.py) that uses it: ``p += a.b_eal * eal``.

`HungerArgs` gains the field `b_eal` when the module is imported, and `hunger_args(model)` fills it from the run's
parameter table (scenario overrides and sweeps included); tests/test_records.py does exactly this on a copy of the
table. Numba compiles the rules again because the record's type has changed.
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Mapping
from typing import Any

from ..params import DEFAULTS, ParamTable


def record_type(name: str, group: str, derived: tuple[str, ...], module: str,
                table: ParamTable = DEFAULTS) -> type:
    """A namedtuple class with one field per row of `group` in the parameter table, then the `derived` fields.

    `module` must be the module that binds the class to `name` (numba's cache pickles the type by reference).
    """
    params = tuple(table.group(group))
    clash = sorted(set(params) & set(derived))
    if clash:
        raise ValueError(f"{name}: derived fields {clash} clash with parameters of group '{group}'")
    cls = namedtuple(name, (*params, *derived), module=module)
    cls.group = group
    cls.derived = derived
    return cls


_LAST: dict[type, tuple] = {}  # record type -> (group mapping, derived values, a copy of the mapping, the record)


def _same(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether two sets of derived values are the same: equal, of the same types (numba types a record by its
    fields' types) and, for zeros, of the same sign."""
    if old.keys() != new.keys():
        return False
    for name, a in old.items():
        b = new[name]
        if type(a) is not type(b) or a != b or (a == 0 and math.copysign(1.0, a) != math.copysign(1.0, b)):
            return False
    return True


def make_record(cls: type, params: ParamTable | Mapping[str, float], **derived: Any) -> Any:
    """An instance of record type `cls`: its group's values from `params` plus the derived values by name.

    The passes ask for every record every day, and most are the same as yesterday's: the last record of each type
    is kept and returned again while it was built from the same group mapping, holding the same values, and the
    same derived values (~10 us a record saved).
    """
    values = params.group(cls.group) if isinstance(params, ParamTable) else params
    last = _LAST.get(cls)
    if last is not None and last[0] is values and _same(last[1], derived) and last[2] == values:
        return last[3]
    missing = sorted(set(cls.derived) - set(derived))
    unknown = sorted(set(derived) - set(cls.derived))
    if missing or unknown:
        raise TypeError(f"{cls.__name__}: derived values missing {missing}, unknown {unknown}")
    record = cls(**values, **derived)
    _LAST[cls] = (values, derived, dict(values), record)  # the copy: a mapping changed in place is not the same
    return record
