"""Mechanism 2, hunger: a child of a food-insecure family may arrive hungry; breakfast club prevents it."""

from __future__ import annotations

from numba import njit

from ..rng import uniform


@njit(cache=True, inline="always")
def hunger_row(key, day, i, food_insecure, at_breakfast, p_insecure, p_secure):
    """Whether child `i` arrives hungry today (one uniform per child, eligible or not)."""
    u = uniform(key, day, i, 0)
    p = p_insecure if food_insecure else p_secure
    return (u < p) & (not at_breakfast)  # `&`, not `and`: no branch on a coin flip


@njit(cache=True, fastmath=True, error_model="numpy")
def _hunger_kernel(key, day, family, at_breakfast, food_insecure, fsm, female, p_insecure, p_secure, hungry,
                   counts):
    counts[:] = 0
    for i in range(family.shape[0]):
        h = hunger_row(key, day, i, food_insecure[family[i]], at_breakfast[i], p_insecure, p_secure)
        hungry[i] = h
        if h:
            counts[0] += 1
            counts[1] += fsm[i]
            counts[2] += female[i]


def hunger_args(model) -> tuple:
    """(stream key, P(hungry) if food-insecure, P(hungry) if secure) for the hunger kernels."""
    h = model.params.group("hunger")
    return model.streams["hunger"], h["p_hungry_if_insecure"], h["p_hungry_if_secure"]


def step_hunger(model, day: int) -> None:
    """Set today's `hungry` flag for every child."""
    c, f = model.children, model.families
    key, p_insecure, p_secure = hunger_args(model)
    _hunger_kernel(key, day, c.family, c.at_breakfast, f.food_insecure, c.fsm, c.female, p_insecure, p_secure,
                   c.hungry, model.hungry_today)
