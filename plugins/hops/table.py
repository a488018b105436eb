"""Hop barriers read from a data file, one per local-environment code.

The code of an ion's start site is what the KMC core resolves (kmc.plugins.hops.tables.HopTables):
``n_occ`` = occupied N neighbours (0..z−1 when a hop is possible: the target is vacant) and
``n_co`` = Co among its metal neighbours. The barrier of a code is the mean of the file's rows with
that code (``barrier_ev``, eV), the rate ν exp(−E_a/kT) (the field tilt is added by the core):
exactly the table the ``arrhenius`` law computes from its formula, here filled from data
(``mikmc barriers run`` with any ASE calculator, or numbers from the literature; format in
kmc.barriers.datafile and docs/barriers.md).

Unseen environments: every code the lattice can produce (n_occ below the site's number of N
neighbours, n_co of its sites) needs a barrier. By default a code the file lacks is an error that
names it; ``default_barrier_ev`` gives the barrier of every such code instead. Rows for codes the
lattice cannot produce are ignored. Detailed balance is not guaranteed (a table is what it is);
the ``lce`` plug-in fits a form that obeys it.
"""

from __future__ import annotations

import math

import numpy as np

from kmc.plugins.hops.arrhenius import co_neighbours
from kmc.plugins.hops.tables import HopTables
from kmc.units import K_B_EV


def needed_codes(lattice, n_co: np.ndarray) -> np.ndarray:
    """(z+1, m+1) bool: the codes (n_occ, n_co) some hop of the lattice can start from."""
    z, m = lattice.hop_nbr.shape[1], lattice.host_nbr.shape[1]
    z_site = (lattice.hop_nbr >= 0).sum(axis=1)
    out = np.zeros((z + 1, m + 1), dtype=bool)
    for zs, c in set(zip(z_site.tolist(), n_co.tolist())):
        out[:zs, c] = True
    return out


def missing_message(missing: list[tuple[int, int]], what: str) -> str:
    """One line naming the first missing code and how many more."""
    n, c = missing[0]
    more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
    return f"{what} for the environment n_occ={n}, n_co={c}{more}, which the lattice needs"


class TableHop:
    """Barriers per environment code from a data file.

    Parameters
    ----------
    path : str
        Barrier data file (CSV or JSON, see kmc.barriers.datafile), or the name of a bundled data
        set (``emt_nin``). Required.
    default_barrier_ev : float, optional
        Barrier (eV) of every code the lattice needs and the file lacks; default: such a code is an
        error naming it.
    nu0_hz : float
        Attempt frequency ν (Hz).
    charge_e : float
        Ion charge in e (N³⁻: -3).
    """

    name = "table"
    api_version = 1
    detailed_balance = False

    def __init__(self, path: str = "", default_barrier_ev: float | None = None, nu0_hz: float = 1e13,
                 charge_e: float = -3.0):
        from kmc.barriers import datafile

        if not (isinstance(nu0_hz, (int, float)) and 0 < nu0_hz < math.inf):
            raise ValueError(f"nu0_hz must be > 0 (Hz), got {nu0_hz!r}")
        if default_barrier_ev is not None and not (isinstance(default_barrier_ev, (int, float))
                                                   and 0 <= default_barrier_ev < math.inf):
            raise ValueError(f"default_barrier_ev must be a number >= 0 (eV), got {default_barrier_ev!r}")
        self.path, self.default_barrier_ev = path, default_barrier_ev
        self.nu0_hz, self.charge_e = float(nu0_hz), float(charge_e)
        self.data = datafile.read(path)
        codes = self.data.by_code()
        if not codes:
            raise ValueError(f"barrier data file {path!r}: no converged row")
        #: mean barrier (eV) per code (n_occ, n_co)
        self.barriers = {code: float(np.mean([r.barrier_ev for r in rows])) for code, rows in codes.items()}

    def barrier_table(self, lattice) -> tuple[np.ndarray, np.ndarray]:
        """(z+1, m+1) barriers in eV (NaN: no value, code not needed) and the Co count of every site."""
        from kmc.config import ConfigError

        z, m = lattice.hop_nbr.shape[1], lattice.host_nbr.shape[1]
        n_co = co_neighbours(lattice)
        barrier = np.full((z + 1, m + 1), np.nan)
        for (n, c), value in self.barriers.items():
            if n <= z and c <= m:
                barrier[n, c] = value
        need = needed_codes(lattice, n_co)
        missing = [tuple(int(v) for v in nc) for nc in np.argwhere(need & np.isnan(barrier))]
        if missing:
            if self.default_barrier_ev is None:
                raise ConfigError("hops.path", self.path, missing_message(
                    missing, "has no barrier") + "; add NEB results for it (mikmc barriers run), "
                    "set hops.default_barrier_ev, or fit them (hops.name = \"lce\")")
            for n, c in missing:
                barrier[n, c] = self.default_barrier_ev
        return barrier, n_co

    def build(self, lattice, temperature_k: float) -> HopTables:
        kt = K_B_EV * temperature_k
        barrier, n_co = self.barrier_table(lattice)
        m = lattice.host_nbr.shape[1]
        flat = barrier.reshape(-1)  # code = n_occ * (m + 1) + n_co, the layout of arrhenius
        rates = self.nu0_hz * np.exp(-flat / kt)
        rates[np.isnan(flat)] = 0.0  # codes no hop of this lattice starts from
        return HopTables(base_rate_hz=rates, env_static=n_co.astype(np.int64), n_static=m + 1,
                         charge_e=self.charge_e)
