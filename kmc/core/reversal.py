"""Thermally activated reversal of exchange-coupled clusters (Néel–Brown), sampled exactly.

A cluster of ferromagnetic sites with uniaxial anisotropy energy E_K = Σ_i K_i (eV, easy axis e)
and moment m = Σ_i μ_i in a field B along e has the Stoner–Wohlfarth energy
E(θ) = E_K sin²θ − Z cos θ, Z = m·B (eV, signed). For |h| < 1, h = Z / (2 E_K), it has two minima,
σ = +1 (θ = 0) and σ = −1 (θ = π), and the barrier out of σ is E_B(σ) = E_K (1 + σ h)²; for
|h| ≥ 1 only σ = sign(h) is a minimum. The cluster leaves σ at the Néel–Brown rate

    k(σ) = f₀ · exp(−E_B(σ) / kT)          (Hz; f₀ the attempt frequency)

(Néel, Ann. Géophys. 5, 99 (1949); Brown, Phys. Rev. 130, 1677 (1963)). Over an interval Δt in
which the cluster, its moment and the field do not change, this two-state process is a Markov
chain with the exact solution P(σ at t₀+Δt ≠ σ at t₀) = k_a / (k_a + k_b) · (1 − e^{−(k_a+k_b) Δt}),
k_a = k(σ), k_b = k(−σ): one uniform number per cluster and interval samples it exactly, at any Δt,
and the ratio k_a / k_b = e^{−2Zσ/kT} satisfies detailed balance between the two minima.
A reversed cluster keeps its internal configuration, mirrored through the plane normal to e.
"""

import numpy as np
from numba import njit

from kmc.core.rng import uniform


@njit(cache=True)
def barrier_ev(e_aniso_ev, zeeman_ev, sigma):
    """Barrier (eV) out of the minimum σ = ±1; 0 if σ is not a minimum; inf if no other minimum exists
    (E_K = ∞ for a cluster that cannot reverse coherently, |h| < 1)."""
    if e_aniso_ev <= 0.0:
        return 0.0 if sigma * zeeman_ev < 0.0 else np.inf
    h = zeeman_ev / (2.0 * e_aniso_ev)
    if abs(h) >= 1.0:
        return 0.0 if sigma * h < 0.0 else np.inf  # only σ = sign(h) is a minimum
    return e_aniso_ev * (1.0 + sigma * h) ** 2


@njit(cache=True)
def flip_probability(k_away_hz, k_back_hz, dt_s):
    """P(a two-state chain that leaves its state at k_away and returns at k_back is in the other state
    after dt), started in a definite state."""
    k = k_away_hz + k_back_hz
    if k <= 0.0:
        return 0.0
    return k_away_hz / k * -np.expm1(-k * dt_s)


@njit(cache=True)
def cluster_sums(spins, members, lo, hi, mu, k_site_ev, axis):
    """(m, proj, e_k) of the cluster ``members[lo:hi]``: its moment Σμ_i (μB), its moment along
    ``axis`` Σμ_i s_i·e (μB) and its anisotropy energy Σ K_i (eV)."""
    m = 0.0
    proj = 0.0
    e_k = 0.0
    for q in range(lo, hi):
        i = members[q]
        m += mu[i]
        e_k += k_site_ev[i]
        if spins.ndim == 2:
            proj += mu[i] * (spins[i, 0] * axis[0] + spins[i, 1] * axis[1] + spins[i, 2] * axis[2])
        else:
            proj += mu[i] * spins[i]
    return m, proj, e_k


@njit(cache=True)
def mirror_cluster(spins, members, lo, hi, axis):
    """Mirror every spin of ``members[lo:hi]`` through the plane normal to ``axis`` (Ising: reverse it)."""
    for q in range(lo, hi):
        i = members[q]
        if spins.ndim == 2:
            d = spins[i, 0] * axis[0] + spins[i, 1] * axis[1] + spins[i, 2] * axis[2]
            for a in range(3):
                spins[i, a] -= 2.0 * d * axis[a]
        else:
            spins[i] = -spins[i]


@njit(cache=True)
def reverse_clusters(spins, members, ptr, wraps, mu, k_site_ev, axis, field_t, kt_ev, f0_hz, dt_s, rng,
                     mu_b_ev_per_t):
    """Sample the reversal of every cluster over ``dt_s`` (s); returns how many reversed.

    ``spins``: (n, 3) unit vectors or (n,) int8 Ising ±1; cluster c is ``members[ptr[c]:ptr[c+1]]``;
    ``wraps[c]``: it spans the periodic cell (a laterally extended layer: no coherent thermal
    reversal; it follows only a field above its anisotropy field 2E_K/m, where one minimum is left); ``mu`` moments (μB), ``k_site_ev`` anisotropy
    energy of each site (eV), ``field_t`` the applied field along ``axis`` (T)."""
    n_rev = 0
    for c in range(ptr.shape[0] - 1):
        lo, hi = ptr[c], ptr[c + 1]
        m, proj, e_k = cluster_sums(spins, members, lo, hi, mu, k_site_ev, axis)
        if m <= 0.0 or proj == 0.0:
            continue
        sigma = 1.0 if proj > 0.0 else -1.0
        zeeman = m * mu_b_ev_per_t * field_t
        b_away = barrier_ev(e_k, zeeman, sigma)
        b_back = barrier_ev(e_k, zeeman, -sigma)
        if wraps[c] and b_away > 0.0 and b_back > 0.0:
            continue  # two minima: a layer spanning the cell has no coherent thermal reversal
        k_away = 0.0 if b_away == np.inf else f0_hz * np.exp(-b_away / kt_ev)
        k_back = 0.0 if b_back == np.inf else f0_hz * np.exp(-b_back / kt_ev)
        if uniform(rng) >= flip_probability(k_away, k_back, dt_s):
            continue
        n_rev += 1
        mirror_cluster(spins, members, lo, hi, axis)
    return n_rev
