"""The local cluster expansion: environments up to symmetry, code averages, and recovery of a known
expansion from noisy barriers (ECIs within their errors, CV error at the noise)."""

from math import comb

import numpy as np
import pytest

from kmc.barriers.datafile import BarrierRow
from kmc.barriers.environments import (HOP_PERMS, N_METALS, N_SHELL, TARGET, Environment, enumerate_environments,
                                       orbit_representatives)
from kmc.barriers.fit import ClusterBasis, fit_lce


@pytest.mark.parametrize("n_occ, n_co", [(11, 0), (10, 1), (9, 2), (6, 3), (0, 6)])
def test_orbits_partition_every_arrangement(n_occ, n_co):
    reps = orbit_representatives(n_occ, n_co)
    sizes = [len({e.permuted(p) for p in HOP_PERMS}) for e in reps]
    assert sum(sizes) == comb(N_SHELL - 1, n_occ) * comb(N_METALS, n_co)
    assert all(e.canonical() == e and e.code == (n_occ, n_co) for e in reps)


def test_enumeration_per_code_and_seed():
    every = enumerate_environments([10], [1])
    assert len(every) == 20
    some = enumerate_environments([10], [1], per_code=4, seed=3)
    assert len(some) == 4 and set(some) <= set(every) and some == enumerate_environments([10], [1], 4, 3)


@pytest.mark.parametrize("form, order", [("kra", 3), ("barrier", 2)])
def test_features_are_symmetric_and_code_averages_are_exact(form, order):
    basis = ClusterBasis(form, order)
    rng = np.random.default_rng(0)
    for n_occ, n_co in ((11, 0), (9, 2), (8, 1)):
        envs = []  # every arrangement of the code, each once
        for rep in orbit_representatives(n_occ, n_co):
            envs += list({rep.permuted(p) for p in HOP_PERMS})
        feats = np.array([basis.features(e) for e in envs])
        assert np.allclose(feats.mean(axis=0), basis.features_code(n_occ, n_co), atol=1e-12)
        e = envs[rng.integers(len(envs))]
        for p in HOP_PERMS:  # an LCE barrier is the same for symmetry-equivalent environments
            assert np.allclose(basis.features(e.permuted(p)), basis.features(e))


def _random_env(rng) -> Environment:
    fill = rng.uniform(0.1, 1.0)
    shell = ["1" if rng.random() < fill else "0" for _ in range(N_SHELL)]
    shell[TARGET] = "0"
    metals = ["1" if rng.random() < 0.4 else "0" for _ in range(N_METALS)]
    return Environment("".join(shell), "".join(metals))


@pytest.mark.parametrize("form, order, n_neb", [("kra", 3, 120), ("barrier", 2, 400)])
def test_known_expansion_plus_noise_is_recovered_within_the_noise(form, order, n_neb):
    rng = np.random.default_rng(42)
    basis = ClusterBasis(form, order)
    truth = rng.normal(0.0, 0.03, len(basis))
    j0, sigma = 0.75, 0.008  # eV
    rows = []
    for k in range(n_neb):
        e = _random_env(rng)
        barrier = j0 + basis.features(e) @ truth + rng.normal(0.0, sigma)
        rows.append(BarrierRow(e.n_occ, e.n_co, float(barrier), "synthetic", env=e, task=f"neb{k}"))
    fit = fit_lce(rows, form=form, max_order=order)
    assert 0.8 * sigma < fit.cv_rmse_ev < 1.25 * sigma  # the CV error is the noise, no more
    assert fit.rmse_ev < fit.cv_rmse_ev
    z = (fit.eci_ev - truth) / fit.eci_se_ev
    assert np.all(np.abs(z) < 4.0), z  # every ECI within 4 standard errors of the truth
    assert np.sqrt(np.mean(z ** 2)) < 1.6  # and the errors are honest on average
    assert np.all(fit.eci_se_ev < sigma)  # the data pin each ECI below the noise level
    assert fit.intercept_ev == pytest.approx(j0, abs=5 * sigma)


def test_rows_without_site_resolved_environment_fit_through_their_code():
    basis = ClusterBasis("kra", 2)
    rows = [BarrierRow(n, c, float(0.6 + 0.02 * n - 0.05 * c + 0.01 * basis.features_code(n, c)[2]), "table")
            for n in range(12) for c in range(7)]
    fit = fit_lce(rows, alpha=0.0)
    assert fit.eci("N") == pytest.approx(0.02) and fit.eci("Co") == pytest.approx(-0.05)
    assert fit.eci("Co-Co") == pytest.approx(0.01)
    assert fit.barrier_ev(5, 2) == pytest.approx(rows[5 * 7 + 2].barrier_ev)


def test_too_few_nebs_for_cross_validation_and_undetermined_ecis():
    e = orbit_representatives(11, 0)[0]
    rows = [BarrierRow(11, 0, 0.6, "x", env=e, task="a"), BarrierRow(11, 0, 0.62, "x", env=e, task="b")]
    fit = fit_lce(rows)
    assert np.isnan(fit.cv_rmse_ev) and fit.intercept_ev == pytest.approx(0.61)
    assert not fit.determined.any() and "n/a (fewer than 3 NEBs)" in fit.table()
    with pytest.raises(ValueError, match="alpha = -1: must be"):
        fit_lce(rows, alpha=-1)
