"""The contract between a hop plug-in and the jitted core."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmc.units import K_B_EV  # noqa: F401 (part of the hop contract's namespace)


@dataclass(frozen=True)
class HopTables:
    """Rate table of one run, built once by a hop plug-in.

    The rate (Hz) of an ion at site s hopping to a vacant neighbour, before the field tilt, is
    ``base_rate_hz[code_s]`` with

        code_s = (nocc_s · (z2 + 1) + nocc2_s) · n_static + env_static[s]

    ``nocc_s`` (0..z) is the number of occupied hop neighbours of s at that moment and ``nocc2_s``
    (0..z2) the number of occupied sites among ``shell2[s]``, a second set of sites whose
    occupancy the law reads (e.g. the second neighbour shell); without ``shell2``, z2 = 0 and
    code_s = nocc_s · n_static + env_static[s]. The core multiplies by exp(q E dz / 2kT).

    A law whose barrier depends on the destination too (e.g. the kinetically resolved activation
    form, E_a = E_KRA + ΔE/2, with pair energies) also gives ``dest_factor``: the rate of the hop
    s → t is then ``base_rate_hz[code_s] · dest_factor[code_t]``, both codes read before the hop
    (so code_t counts s as an occupied neighbour of t).

    Attributes
    ----------
    base_rate_hz : (n_codes,) float64
        Hop rate in Hz per environment code; n_codes = (z + 1) * (z2 + 1) * n_static.
    env_static : (n_sites,) int64
        Fixed part of each site's environment code, in [0, n_static).
    n_static : int
        Number of fixed environment codes.
    charge_e : float
        Charge of the mobile ion in units of e (N³⁻: -3).
    shell2 : (n_sites, z2) int64, optional
        Mobile sites whose occupancy enters ``nocc2`` (-1 padded); a symmetric relation
        (t in shell2[s] ⇔ s in shell2[t]) disjoint from the hop neighbours.
    dest_factor : (n_codes,) float64, optional
        Dimensionless factor per destination code (finite, > 0); None: every vacant neighbour
        counts 1.
    metal_energy_ev : (n_species, q + 1) float64, optional
        A metal-centred energy E = Σ_m g_{species(m)}(n_m) (eV) on top of what the codes give:
        row c is g of the host species ``lattice.host_symbols[c]`` as a function of the number
        n_m = 0..q of occupied N sites around metal m (q = ``lattice.host_mobile_nbr.shape[1]``).
        The core then multiplies the rate of s by exp(−Σ_{m ∋ s} [g(n_m − 1) − g(n_m)] / kT)
        (:mod:`kmc.core.metal_counts`), the start-site form that keeps detailed balance; not
        combinable with ``dest_factor``.
    """

    base_rate_hz: np.ndarray
    env_static: np.ndarray
    n_static: int
    charge_e: float
    shell2: np.ndarray | None = None
    dest_factor: np.ndarray | None = None
    metal_energy_ev: np.ndarray | None = None

    @property
    def z2(self) -> int:
        """Width of ``shell2`` (0 without one)."""
        return 0 if self.shell2 is None else int(self.shell2.shape[1])

    def check(self, n_sites: int, z: int, hop_nbr: np.ndarray | None = None) -> None:
        """Raise ValueError if the tables do not fit a lattice of n_sites sites, z neighbours (and,
        given the lattice's ``hop_nbr``, if ``shell2`` shares a site pair with it)."""
        if self.env_static.shape != (n_sites,):
            raise ValueError(f"env_static has shape {self.env_static.shape}, expected ({n_sites},)")
        n_codes = (z + 1) * (self.z2 + 1) * self.n_static
        if self.base_rate_hz.shape != (n_codes,):
            raise ValueError(f"base_rate_hz has shape {self.base_rate_hz.shape}, "
                             f"expected ({n_codes},) = (z+1)*(z2+1)*n_static")
        if not np.all(np.isfinite(self.base_rate_hz)) or np.any(self.base_rate_hz < 0):
            raise ValueError("base_rate_hz must be finite and >= 0 (Hz)")
        if self.env_static.min(initial=0) < 0 or self.env_static.max(initial=0) >= self.n_static:
            raise ValueError(f"env_static codes must lie in [0, {self.n_static})")
        if self.dest_factor is not None:
            f = self.dest_factor
            if f.shape != (n_codes,) or not np.all(np.isfinite(f)) or np.any(f <= 0):
                raise ValueError(f"dest_factor must be ({n_codes},) finite values > 0, got shape {f.shape}")
        if self.shell2 is not None:
            s2 = self.shell2
            if s2.ndim != 2 or s2.shape[0] != n_sites or s2.shape[1] > 127:
                raise ValueError(f"shell2 must have shape ({n_sites}, z2 <= 127), got {s2.shape}")
            if s2.size and (s2.min() < -1 or s2.max() >= n_sites):
                raise ValueError(f"shell2 entries must be site indices in [0, {n_sites}) or -1 (padding)")
            i, j = np.nonzero(s2 >= 0)[0], s2[s2 >= 0]
            if not np.array_equal(np.sort(i * n_sites + j), np.sort(j * n_sites + i)):
                raise ValueError("shell2 must be symmetric: t in shell2[s] exactly when s in shell2[t]")
            if hop_nbr is not None:
                k = np.nonzero(hop_nbr >= 0)[0]
                hop_pairs = k.astype(np.int64) * n_sites + hop_nbr[hop_nbr >= 0]
                if np.intersect1d(i.astype(np.int64) * n_sites + j, hop_pairs).size:
                    raise ValueError("shell2 must be disjoint from the hop neighbours")
