"""q-state clock model: planar spins restricted to q directions, θ_k = 2πk/q from the easy axis.

E = − Σ_<ij> J_ij s_i·s_j − Σ_i μ_i B (s_i·e), s_i = cos θ_i e + sin θ_i e⊥, e⊥ the in-plane
(film-plane for e = x, y; x for e = z) direction perpendicular to e. q = 2 is Ising-like, q → ∞
the planar XY model; q >= 5 has an intermediate quasi-XY regime in 2D.

It reuses mikmc's vector-spin kernel (kmc.core.spins.sweep_vector) with uniform trial
directions (step = 0): the jitted ``delta_e`` snaps the trial vector in place to the nearest clock
state (the kernel stores what ``delta_e`` leaves in ``new``). The azimuth of a uniform point on
the sphere is uniform, so each of the q states is proposed with probability 1/q whatever the
current state: a symmetric proposal, and Metropolis gives detailed balance. Sites that become
ferromagnetic start from a random 3D direction and land on a clock state at their first
accepted move.

J_ij from the phases' Curie temperatures as for the bundled models, with kT_C/J estimated by
mean-field XY (z/2) times 0.8.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit

from kmc.plugins.exchange.tables import AXES, SpinModel, exchange_coordination, phase_exchange_ev


@lru_cache(maxsize=None)
def clock_delta_e(q: int):
    """The jitted ΔE function (kmc.core.spins vector signature) of the q-state clock model."""
    dtheta = 2.0 * np.pi / q

    @njit
    def delta_e(i, new, spins, nbr, jb, hz, ks, axis):  # noqa: ARG001 - no anisotropy term
        if abs(axis[2]) < 0.5:  # e⊥ in the film plane
            px, py, pz = -axis[1], axis[0], 0.0
        else:
            px, py, pz = 1.0, 0.0, 0.0
        a = new[0] * axis[0] + new[1] * axis[1] + new[2] * axis[2]
        b = new[0] * px + new[1] * py + new[2] * pz
        k = np.round(np.arctan2(b, a) / dtheta)
        c = np.cos(k * dtheta)
        s = np.sin(k * dtheta)
        new[0] = c * axis[0] + s * px
        new[1] = c * axis[1] + s * py
        new[2] = c * axis[2] + s * pz
        hx = 0.0
        hy = 0.0
        hzz = 0.0
        for m in range(nbr.shape[1]):
            j = nbr[i, m]
            w = jb[i, m]
            hx += w * spins[j, 0]
            hy += w * spins[j, 1]
            hzz += w * spins[j, 2]
        dx = new[0] - spins[i, 0]
        dy = new[1] - spins[i, 1]
        dz = new[2] - spins[i, 2]
        pa = dx * axis[0] + dy * axis[1] + dz * axis[2]
        return -(hx * dx + hy * dy + hzz * dz) - hz[i] * pa

    return delta_e


class Clock:
    """q-state clock exchange plug-in.

    Parameters
    ----------
    q : int
        Number of allowed directions (>= 2).
    j_scale : float
        Multiplies every J (1: a pure phase orders near its Curie temperature).
    axis : {"x", "y", "z"}
        Direction of state k = 0 and of the applied field.
    """

    name = "clock"
    api_version = 1

    def __init__(self, q: int = 6, j_scale: float = 1.0, axis: str = "x"):
        if int(q) != q or q < 2:
            raise ValueError(f"q must be an integer >= 2, got {q}")
        if j_scale < 0:
            raise ValueError(f"j_scale must be >= 0 (ferromagnetic), got {j_scale}")
        if axis not in AXES:
            raise ValueError(f"axis must be one of {', '.join(AXES)}, got {axis!r}")
        self.q, self.j_scale, self.axis = int(q), float(j_scale), axis

    def build(self, lattice, phases, temperature_k: float) -> SpinModel:  # noqa: ARG002
        z = exchange_coordination(lattice)
        j = phase_exchange_ev(phases.curie_k, 0.8 * max(z, 1) / 2.0, self.j_scale, phases.ferromagnetic)
        model = SpinModel(name=self.name, vector=True, j_phase_ev=j, k_phase_ev=np.zeros(len(phases.names)),
                          axis=np.array(AXES[self.axis]), step=0.0, delta_e=clock_delta_e(self.q))
        model.check(len(phases.names))
        return model
