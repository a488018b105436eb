"""xoshiro256** random numbers with an explicit (4,) uint64 state, so a run's stream is saved,
passed between jitted calls and reproduced bit for bit (Blackman & Vigna, 2018)."""

import numpy as np
from numba import njit

uint64 = np.uint64

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def new_state(seed) -> np.ndarray:
    """A (4,) uint64 state from a ``numpy.random.SeedSequence`` (or anything it accepts as entropy)."""
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    state = ss.generate_state(4, dtype=np.uint64)
    if not state.any():
        state[0] = 1
    return state


@njit(inline="always")
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit
def next_u64(s):
    result = _rotl(s[1] * uint64(5), 7) * uint64(9)
    t = s[1] << uint64(17)
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = _rotl(s[3], 45)
    return result


@njit
def uniform(s):
    """A double in [0, 1) with 53 random bits."""
    return float(next_u64(s) >> uint64(11)) * (1.0 / 9007199254740992.0)


@njit
def uniform_pos(s):
    """A double in (0, 1], safe for log()."""
    return 1.0 - uniform(s)
