"""Classical Heisenberg exchange: unit vectors with uniaxial anisotropy and a Zeeman term.

E = − Σ_<ij> J_ij s_i·s_j − Σ_i K_i (s_i·e)² − Σ_i μ_i B (s_i·e), e the in-plane field axis.
J_ij from the phases at both ends, chosen so that a pure phase on the lattice orders at its Curie
temperature (J = k_B T_C / (kT_C/J)_Heisenberg; fcc: kT_C/J ≈ 3.18), zero to paramagnetic sites.
K_i from the phase plug-in. Trial moves: s → (s + step·u)/|…| with u uniform on the sphere, a
symmetric proposal; step ≈ 0.5 keeps acceptance reasonable deep in the ordered phase.
"""

from __future__ import annotations

from kmc.core.spins import heisenberg_delta_e
from kmc.plugins.exchange.tables import (AXES, SpinModel, critical_ratio, exchange_coordination,
                                         phase_exchange_ev)

import numpy as np


class Heisenberg:
    """Classical Heisenberg exchange plug-in.

    Parameters
    ----------
    j_scale : float
        Multiplies every J (1: each phase orders at its Curie temperature; 0: no exchange).
    anisotropy_scale : float
        Multiplies the phases' anisotropy K (0: isotropic).
    step : float
        Trial-move width (<= 0: uniform trial directions).
    axis : {"x", "y", "z"}
        Easy axis = applied-field axis (x, y in-plane; z the film normal).
    """

    name = "heisenberg"
    api_version = 1

    def __init__(self, j_scale: float = 1.0, anisotropy_scale: float = 1.0, step: float = 0.5,
                 axis: str = "x"):
        if j_scale < 0:
            raise ValueError(f"j_scale must be >= 0 (ferromagnetic), got {j_scale}")
        if anisotropy_scale < 0:
            raise ValueError(f"anisotropy_scale must be >= 0, got {anisotropy_scale}")
        if axis not in AXES:
            raise ValueError(f"axis must be one of {', '.join(AXES)}, got {axis!r}")
        self.j_scale, self.anisotropy_scale = float(j_scale), float(anisotropy_scale)
        self.step, self.axis = float(step), axis

    def build(self, lattice, phases, temperature_k: float) -> SpinModel:  # noqa: ARG002
        z = exchange_coordination(lattice)
        j = phase_exchange_ev(phases.curie_k, critical_ratio("heisenberg", z), self.j_scale, phases.ferromagnetic)
        k = np.where(phases.ferromagnetic, self.anisotropy_scale * phases.anisotropy_ev, 0.0)
        model = SpinModel(name=self.name, vector=True, j_phase_ev=j, k_phase_ev=k,
                          axis=np.array(AXES[self.axis]), step=self.step, delta_e=heisenberg_delta_e,
                          rotatable=True)
        model.check(len(phases.names))
        return model
