"""The contract between an exchange plug-in and the magnet process (kmc.model.magnet).

An exchange plug-in is a class with ``build(lattice, phases, temperature_k) -> SpinModel``; the
constructor's keyword arguments are the keys of the ``[exchange]`` section. The magnet process
turns the per-phase tables into per-bond and per-site arrays each frame and calls
:func:`kmc.core.spins.sweep_ising` or :func:`kmc.core.spins.sweep_vector` with ``delta_e``.
A user's module (Potts, dipolar approximation, ...) supplies its own ``delta_e`` with the same
signature (see kmc.core.spins) and, for new spin kinds, its own kernels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from kmc.units import K_B_EV, MU_B_EV_PER_T  # noqa: F401 (MU_B_EV_PER_T re-exported for plug-ins)

#: kT_C / J of nearest-neighbour models on the cubic lattices, by coordination number z.
#: Ising: sc 4.5115, bcc 6.3508, fcc 9.7944 (series / MC; e.g. Domb, Adv. Phys. 9, 149 (1960)).
#: classical Heisenberg: sc 1.443 (Peczak, Ferrenberg & Landau, PRB 43, 6087 (1991)),
#: bcc 2.054, fcc 3.18 (high-temperature series, Rushbrooke & Wood 1958).
CRITICAL_RATIO = {"ising": {6: 4.5115, 8: 6.3508, 12: 9.7944},
                  "heisenberg": {6: 1.443, 8: 2.054, 12: 3.18}}
#: for other coordinations: mean field (Ising z, Heisenberg z/3) times this typical correction
_MEAN_FIELD_CORRECTION = 0.8
AXES = {"x": (1.0, 0.0, 0.0), "y": (0.0, 1.0, 0.0), "z": (0.0, 0.0, 1.0)}


def critical_ratio(model: str, z: int) -> float:
    """kT_C/J for a nearest-neighbour ``model`` ('ising' or 'heisenberg') with z neighbours."""
    table = CRITICAL_RATIO[model]
    if z in table:
        return table[z]
    mf = z if model == "ising" else z / 3.0
    return _MEAN_FIELD_CORRECTION * mf


def phase_exchange_ev(curie_k: np.ndarray, ratio: float, j_scale: float,
                      ferromagnetic: np.ndarray | None = None) -> np.ndarray:
    """J between phases p, q (eV): k_B √(T_p T_q) / ratio × j_scale; zero if either phase is not
    ``ferromagnetic`` (default: those with T_C = 0)."""
    tc = np.asarray(curie_k, dtype=np.float64)
    j = j_scale * K_B_EV * np.sqrt(np.outer(tc, tc)) / ratio
    fm = tc > 0 if ferromagnetic is None else np.asarray(ferromagnetic, dtype=bool)
    j[~fm, :] = 0.0
    j[:, ~fm] = 0.0
    return j


def exchange_coordination(lattice) -> int:
    """Largest number of metal–metal exchange neighbours of a site (z of the kT_C/J tables)."""
    nbr = lattice.host_host_nbr
    return int((nbr >= 0).sum(axis=1).max()) if nbr.size else 0


@dataclass(frozen=True)
class SpinModel:
    """What an exchange plug-in hands to the magnet process.

    Attributes
    ----------
    name : str
    vector : bool
        False: Ising spins, int8 ±1 along ``axis``; True: float64 unit vectors (n_host, 3).
    j_phase_ev : (n_phase, n_phase) float64
        Exchange J (eV) of a bond between phases p and q (> 0 ferromagnetic).
    k_phase_ev : (n_phase,) float64
        Uniaxial anisotropy per atom (eV) of each phase, easy axis ``axis`` (vector spins only).
    axis : (3,) float64
        Unit vector of the applied field (and easy axis); M is measured along it.
    step : float
        Width of a vector trial move (<= 0: uniform on the sphere).
    delta_e : callable
        numba-jitted energy difference of one move (signature in kmc.core.spins).
    rotatable : bool
        True if every direction on the sphere is a state of the model (classical Heisenberg), so a
        spanning cluster may be turned rigidly back onto its anisotropy minimum
        (kmc.core.layer_orientation); False (default, e.g. clock models): it is only mirrored back
        through the plane normal to ``axis`` if the sweeps carried it across, the operation that
        Néel–Brown reversal already applies.
    """

    name: str
    vector: bool
    j_phase_ev: np.ndarray
    k_phase_ev: np.ndarray
    axis: np.ndarray
    step: float
    delta_e: Callable
    rotatable: bool = False

    def check(self, n_phase: int) -> None:
        if self.j_phase_ev.shape != (n_phase, n_phase):
            raise ValueError(f"j_phase_ev must have shape ({n_phase}, {n_phase})")
        if not np.allclose(self.j_phase_ev, self.j_phase_ev.T):
            raise ValueError("j_phase_ev must be symmetric")
        if self.k_phase_ev.shape != (n_phase,):
            raise ValueError(f"k_phase_ev must have shape ({n_phase},)")
        if abs(float(np.linalg.norm(self.axis)) - 1.0) > 1e-9:
            raise ValueError("axis must be a unit vector")
