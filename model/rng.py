"""Named random streams: one counter-based stream per mechanism and intervention.

Each stream is a 64-bit key derived from (seed, replicate, stable hash of the stream's name) with
`numpy.random.SeedSequence`. A uniform is a hash of (key, day, row, lane), so every child has its own
number every day whether or not a mechanism uses it: adding an intervention never reshuffles anyone
else's luck (common random numbers), and the numbers do not depend on thread or worker count. Because a
number is a pure function of its counter, kernels compute it only where it is read: skipping an unused
draw changes nobody's numbers.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
from numba import njit

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_S32 = np.uint64(32)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


def stable_hash(name: str) -> int:
    """A hash of a name that is the same in every process (unlike the salted built-in `hash`)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little") >> 1


def stream_key(seed: int, replicate: int, name: str) -> np.uint64:
    """The 64-bit key of stream `name` for one (seed, replicate)."""
    ss = np.random.SeedSequence([int(seed), int(replicate), stable_hash(name)])
    return np.uint64(ss.generate_state(1, dtype=np.uint64)[0])


@njit(cache=True, inline="always")
def uniform(key, day, row, lane):
    """U(0,1) for (stream key, day, row, lane): the splitmix64 finaliser over a counter."""
    z = key ^ (((np.uint64(day) << _S32) + np.uint64(row)) * _GOLDEN + np.uint64(lane) * _M2)
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return np.int64(z >> _S11) * _TO_UNIT


@njit(cache=True, inline="always")
def fill_uniforms(key, day, start, n, out, lane=0):
    """Lane `lane` of rows `start..start+n-1` into `out[:n]`: a short loop the compiler vectorises (several rows'
    hashes at once), for a pass to draw a block of rows before stepping them one by one."""
    for k in range(n):
        out[np.uintp(k)] = uniform(key, day, start + k, lane)


@njit(cache=True)
def uniforms(key, day, n, lane=0):
    """One uniform per row 0..n-1 for this day (for interventions and Python-side draws)."""
    out = np.empty(n, np.float64)
    fill_uniforms(key, day, 0, n, out, lane)
    return out


@njit(cache=True)
def uniforms_for(key, day, rows, lane=0):
    """Uniforms for selected rows: the same numbers those rows get from `uniforms`."""
    out = np.empty(rows.shape[0], np.float64)
    for j in range(rows.shape[0]):
        out[j] = uniform(key, day, rows[j], lane)
    return out


class Streams:
    """The named streams of one run: `streams['hunger']` is that mechanism's key."""

    def __init__(self, seed: int, replicate: int = 0) -> None:
        self.seed = int(seed)
        self.replicate = int(replicate)
        self._keys: dict[str, np.uint64] = {}

    def __getitem__(self, name: str) -> np.uint64:
        if name not in self._keys:
            self._keys[name] = stream_key(self.seed, self.replicate, name)
        return self._keys[name]

    def generator(self, name: str) -> np.random.Generator:
        """A numpy Generator for set-up draws (synthesis, enrolment) on its own named stream."""
        ss = np.random.SeedSequence([self.seed, self.replicate, stable_hash(name), 1])
        return np.random.default_rng(ss)


@njit(cache=True, inline="always")
def surely_below_sigmoid(u, x):
    """Whether `u < sigmoid(x)` is certain without computing exp (the first step of `bernoulli_logit`).

    For x >= 0, e = 1 + x + x^2/2 + x^3/6 <= exp(x), so e / (1 + e) <= sigmoid(x): a draw below that
    bound is a success (most attendance draws, where presence is ~93%). False means "not decided here".
    """
    if x >= 0.0:
        e = 1.0 + x * (1.0 + x * (0.5 + x / 6.0))
        return u * (1.0 + e) < e
    return False


@njit(cache=True, inline="always")
def below_sigmoid(u, x):
    """Exactly `u < sigmoid(x)`, with exp (the second step of `bernoulli_logit`)."""
    return u * (1.0 + math.exp(-x)) < 1.0


@njit(cache=True, inline="always")
def bernoulli_logit(u, x):
    """Exactly `u < sigmoid(x)`, skipping exp in most draws (`surely_below_sigmoid`, then `below_sigmoid`)."""
    return surely_below_sigmoid(u, x) or below_sigmoid(u, x)
