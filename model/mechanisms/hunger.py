"""Mechanism 2, hunger: a child of a food-insecure family may arrive hungry; breakfast club prevents it."""

from __future__ import annotations

from numba import njit

from .records import make_record, record_type

HungerArgs = record_type("HungerArgs", "hunger", ("key",), __name__)


@njit(cache=True, inline="always")
def hunger_row(a, u, food_insecure, at_breakfast):
    """Whether a child arrives hungry today; `a` is a `HungerArgs`, `u` the child's draw today (lane 0 of the
    hunger stream: one uniform per child, eligible or not, drawn by the caller so a pass can draw a block of rows
    at once)."""
    p = a.p_hungry_if_insecure if food_insecure else a.p_hungry_if_secure
    return (u < p) & (not at_breakfast)  # `&`, not `and`: no branch on a coin flip


def hunger_args(model) -> HungerArgs:
    """The hunger group's parameters and the mechanism's stream key."""
    return make_record(HungerArgs, model.params, key=model.streams["hunger"])
