"""The contract between a hop plug-in and the jitted core."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmc.units import K_B_EV  # noqa: F401 (part of the hop contract's namespace)


@dataclass(frozen=True)
class HopTables:
    """Rate table of one run, built once by a hop plug-in.

    The rate (Hz) of an ion at site s hopping to a vacant neighbour, before the field tilt, is
    ``base_rate_hz[nocc_s * n_static + env_static[s]]``; ``nocc_s`` (0..z) is the number of
    occupied neighbours of s at that moment. The core multiplies by exp(q E dz / 2kT).

    Attributes
    ----------
    base_rate_hz : (n_codes,) float64
        Hop rate in Hz per environment code; n_codes = (z + 1) * n_static.
    env_static : (n_sites,) int64
        Fixed part of each site's environment code, in [0, n_static).
    n_static : int
        Number of fixed environment codes.
    charge_e : float
        Charge of the mobile ion in units of e (N³⁻: -3).
    """

    base_rate_hz: np.ndarray
    env_static: np.ndarray
    n_static: int
    charge_e: float

    def check(self, n_sites: int, z: int) -> None:
        """Raise ValueError if the tables do not fit a lattice of n_sites sites, z neighbours."""
        if self.env_static.shape != (n_sites,):
            raise ValueError(f"env_static has shape {self.env_static.shape}, expected ({n_sites},)")
        if self.base_rate_hz.shape != ((z + 1) * self.n_static,):
            raise ValueError(f"base_rate_hz has shape {self.base_rate_hz.shape}, "
                             f"expected ({(z + 1) * self.n_static},) = (z+1)*n_static")
        if not np.all(np.isfinite(self.base_rate_hz)) or np.any(self.base_rate_hz < 0):
            raise ValueError("base_rate_hz must be finite and >= 0 (Hz)")
        if self.env_static.min(initial=0) < 0 or self.env_static.max(initial=0) >= self.n_static:
            raise ValueError(f"env_static codes must lie in [0, {self.n_static})")
