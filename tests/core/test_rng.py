import numpy as np

from kmc.core.rng import new_state, uniform, uniform_pos


def test_same_seed_same_stream_and_uniform_moments():
    a, b = new_state(11), new_state(11)
    xa = np.array([uniform(a) for _ in range(20000)])
    xb = np.array([uniform(b) for _ in range(20000)])
    assert np.array_equal(xa, xb)
    assert abs(xa.mean() - 0.5) < 4 * np.sqrt(1 / 12 / 20000)
    assert abs(xa.var() - 1 / 12) < 0.003
    assert 0.0 <= xa.min() and xa.max() < 1.0


def test_different_seeds_differ_and_uniform_pos_is_positive():
    a, b = new_state(1), new_state(2)
    assert uniform(a) != uniform(b)
    assert min(uniform_pos(a) for _ in range(10000)) > 0.0
