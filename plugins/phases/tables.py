"""The contract between a phase plug-in and the magnet process (kmc.model.magnet)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmc.core.metal_counts import count_metal_n


@dataclass(frozen=True)
class PhaseTables:
    """How a metal (host) site's phase follows its N neighbours, and what each phase carries.

    The phase of host site i is ``phase_of[code_i]`` with ``code_i = n_occ_i * code_stride +
    static_code[i]``: ``n_occ_i`` is the number of its N neighbour sites that hold an ion now
    (``lattice.host_mobile_nbr``), ``static_code`` what does not change (species, number of N
    neighbour sites it has). Computed for all sites each frame, vectorised.

    Attributes
    ----------
    names : tuple[str, ...]
        Phase names; index = phase code.
    ferromagnetic : (n_phase,) bool
        Whether a phase carries a spin (False: paramagnetic, no spin, no exchange).
    phase_of : (n_codes,) int8
        Phase code for each environment code.
    static_code : (n_host,) int64
    code_stride : int
    moment_mub : (n_host, n_phase) float64
        Moment of each site in each phase in Bohr magnetons (depends on the site's species).
    curie_k : (n_phase,) float64
        Curie temperature of each phase (K); exchange plug-ins turn it into J for their model.
        0 for paramagnetic phases.
    anisotropy_ev : (n_phase,) float64
        Uniaxial anisotropy per atom (eV), easy axis in-plane along the field.
    """

    names: tuple
    ferromagnetic: np.ndarray
    phase_of: np.ndarray
    static_code: np.ndarray
    code_stride: int
    moment_mub: np.ndarray
    curie_k: np.ndarray
    anisotropy_ev: np.ndarray

    def phases(self, occ: np.ndarray, host_mobile_nbr: np.ndarray) -> np.ndarray:
        """(n_host,) int8 phase of every host site for the N occupancy ``occ`` (1 = ion)."""
        return self.phase_of[count_metal_n(host_mobile_nbr, occ) * self.code_stride + self.static_code]

    def check(self, n_host: int) -> None:
        n_p = len(self.names)
        if self.moment_mub.shape != (n_host, n_p):
            raise ValueError(f"moment_mub has shape {self.moment_mub.shape}, expected ({n_host}, {n_p})")
        for key in ("ferromagnetic", "curie_k", "anisotropy_ev"):
            if getattr(self, key).shape != (n_p,):
                raise ValueError(f"{key} must have shape ({n_p},)")
        if self.phase_of.min() < 0 or self.phase_of.max() >= n_p:
            raise ValueError(f"phase_of codes must lie in [0, {n_p})")
        if np.any(self.moment_mub < 0) or np.any(self.curie_k < 0):
            raise ValueError("moments and Curie temperatures must be >= 0")
