"""Mechanism 2, hunger: a child of a food-insecure family may arrive hungry; breakfast club prevents it."""

from __future__ import annotations

from numba import njit

from ..rng import uniform


@njit(cache=True, fastmath=True, error_model="numpy")
def _hunger_kernel(key, day, family, at_breakfast, food_insecure, fsm, female, p_insecure, p_secure, hungry,
                   counts):
    counts[:] = 0
    for i in range(family.shape[0]):
        u = uniform(key, day, i, 0)  # every child has this number, eligible or not
        p = p_insecure if food_insecure[family[i]] else p_secure
        h = (u < p) and not at_breakfast[i]
        hungry[i] = h
        if h:
            counts[0] += 1
            counts[1] += fsm[i]
            counts[2] += female[i]


def step_hunger(model, day: int) -> None:
    """Set today's `hungry` flag for every child."""
    c, f, h = model.children, model.families, model.params.group("hunger")
    _hunger_kernel(model.streams["hunger"], day, c.family, c.at_breakfast, f.food_insecure, c.fsm, c.female,
                   h["p_hungry_if_insecure"], h["p_hungry_if_secure"], c.hungry, model.hungry_today)
