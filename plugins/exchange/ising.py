"""Ising exchange: spins ±1 along the in-plane easy axis (the field axis), Metropolis single flips.

E = − Σ_<ij> J_ij s_i s_j − Σ_i μ_i B s_i, with J_ij from the phases at both ends chosen so that a
pure phase on the lattice orders at its Curie temperature (J = k_B T_C / (kT_C/J)_Ising; fcc:
kT_C/J = 9.79), and zero to paramagnetic sites. The Ising limit is the infinite-anisotropy limit
of the Heisenberg model: a spin can only flip, never turn.
"""

from __future__ import annotations

import numpy as np

from kmc.core.spins import ising_delta_e
from kmc.plugins.exchange.tables import (AXES, SpinModel, critical_ratio, exchange_coordination,
                                         phase_exchange_ev)


class Ising:
    """Ising exchange plug-in.

    Parameters
    ----------
    j_scale : float
        Multiplies every J (1: each phase orders at its Curie temperature; 0: no exchange).
    axis : {"x", "y", "z"}
        Easy axis = applied-field axis (x, y in-plane; z the film normal).
    """

    name = "ising"
    api_version = 1

    def __init__(self, j_scale: float = 1.0, axis: str = "x"):
        if j_scale < 0:
            raise ValueError(f"j_scale must be >= 0 (ferromagnetic), got {j_scale}")
        if axis not in AXES:
            raise ValueError(f"axis must be one of {', '.join(AXES)}, got {axis!r}")
        self.j_scale, self.axis = float(j_scale), axis

    def build(self, lattice, phases, temperature_k: float) -> SpinModel:  # noqa: ARG002
        z = exchange_coordination(lattice)
        j = phase_exchange_ev(phases.curie_k, critical_ratio("ising", z), self.j_scale, phases.ferromagnetic)
        model = SpinModel(name=self.name, vector=False, j_phase_ev=j,
                          k_phase_ev=np.zeros(len(phases.names)), axis=np.array(AXES[self.axis]),
                          step=0.0, delta_e=ising_delta_e)
        model.check(len(phases.names))
        return model
