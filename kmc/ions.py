"""The ion system of one run: the arrays the jitted core mutates, and the calls that drive it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmc.core import hopping as core
from kmc.core.field import gap_fields
from kmc.core.rng import new_state
from kmc.core.sumtree import new_tree, tree_set
from kmc.plugins.hops.tables import HopTables
from kmc.units import K_B_EV


@dataclass(frozen=True)
class FieldModel:
    """Layer resistor chain for the field inside the film (see :mod:`kmc.core.field`).

    Parameters
    ----------
    film_voltage_fraction : float
        f0, fraction of the gate voltage that drops across the as-grown (fully nitrided) film.
    metal_resistance_ratio : float
        ρ = r_metal / r_nitride of an inter-layer gap (< 1: N-poor layers screen the field).
    layer_tolerance : float
        The two gaps next to a layer are recomputed when its N count has moved by more than this
        fraction of its sites (at least one ion) since they were last computed.
    resistance_tolerance : float
        Every rate is rebuilt when the total resistance has drifted by more than this relative
        amount since the last full refresh.
    """

    film_voltage_fraction: float = 0.1
    metal_resistance_ratio: float = 1e-3
    layer_tolerance: float = 0.05
    resistance_tolerance: float = 0.01

    def __post_init__(self):
        if not 0 < self.film_voltage_fraction <= 1:
            raise ValueError(f"film_voltage_fraction must be in (0, 1], got {self.film_voltage_fraction}")
        if not 0 < self.metal_resistance_ratio:
            raise ValueError(f"metal_resistance_ratio must be > 0, got {self.metal_resistance_ratio}")
        for key in ("layer_tolerance", "resistance_tolerance"):
            if not 0 < getattr(self, key) <= 1:
                raise ValueError(f"{key} must be in (0, 1], got {getattr(self, key)}")


class IonSystem:
    """N ions and vacancies on a film's mobile sublattice, with their rates and the electrolyte.

    Parameters
    ----------
    lattice : kmc.lattices.Lattice
    tables : HopTables
        From the hop plug-in.
    boundary : object
        A built boundary plug-in (``rates``, ``hold_s``).
    temperature_k : float
    field : FieldModel
    seed : int or sequence of int
        Entropy for this run's random stream.
    occupancy : (n_sites,) int8, optional
        Initial occupancy (1 = N ion); default: all sites filled (as-grown film).
    """

    def __init__(self, lattice, tables: HopTables, boundary, temperature_k: float, field: FieldModel,
                 seed, occupancy: np.ndarray | None = None):
        z = lattice.hop_nbr.shape[1]
        tables.check(lattice.n_sites, z)
        dz = lattice.dz_classes
        if not np.allclose(dz, -dz[::-1]):
            raise ValueError(f"hop classes must be symmetric in z, got dz = {dz}")
        self.lattice, self.tables, self.boundary, self.field = lattice, tables, boundary, field
        self.temperature_k = float(temperature_k)
        n = lattice.n_sites
        self.occ = np.ones(n, dtype=np.int8) if occupancy is None else np.asarray(occupancy, dtype=np.int8).copy()
        self.n_ions = int(self.occ.sum())
        self.ion_at = np.full(n, -1, dtype=np.int64)
        self.ion_at[self.occ == 1] = np.arange(self.n_ions)
        self.disp = np.zeros((self.n_ions, 3))
        self.electrolyte = np.full(self.n_ions, -1, dtype=np.int64)
        self.nocc = np.zeros(n, dtype=np.int16)
        self.nvac = np.zeros((n, len(dz)), dtype=np.int16)
        core.count_neighbours(lattice.hop_nbr, lattice.hop_class, self.occ, self.nocc, self.nvac)
        self.sites_per_layer = lattice.sites_per_layer.astype(np.float64)
        self.layer_n = np.bincount(lattice.layer, weights=self.occ, minlength=lattice.n_layers).astype(np.int64)
        self.layer_ref = self.layer_n.copy()
        self.tilt = np.ones((lattice.n_layers, len(dz)))
        self.tree = new_tree(n + 1)  # leaf n: escape of electrolyte N into the bulk
        self.sc = np.zeros(core.N_SC)
        self.cnt = np.zeros(core.N_CNT, dtype=np.int64)
        self.rng = new_state(seed)
        self.top_sites = np.flatnonzero(lattice.layer == lattice.n_layers - 1).astype(np.int64)
        spacing = float(np.abs(dz).max()) if len(dz) else 1.0
        self.field_par = np.array([0.0, field.film_voltage_fraction, field.metal_resistance_ratio,
                                   tables.charge_e, K_B_EV * temperature_k, spacing,
                                   field.resistance_tolerance])
        self.tol_count = max(1, int(field.layer_tolerance * lattice.sites_per_layer.min()))
        self.r_gap = np.zeros(max(lattice.n_layers - 1, 0))
        self.fstate = np.ones(2)
        order = np.argsort(lattice.layer, kind="stable")
        self.layer_sites = order.astype(np.int64)
        self.layer_ptr = np.concatenate([[0], np.cumsum(lattice.sites_per_layer)]).astype(np.int64)
        self.voltage_v = self.prev_voltage_v = 0.0
        self.t_switch_s = 0.0
        self._bnd_valid_until = 0.0
        self.set_voltage(0.0)

    # --- drive -----------------------------------------------------------------------------
    @property
    def time_s(self) -> float:
        return float(self.sc[core.SC_TIME_S])

    def set_voltage(self, voltage_v: float) -> None:
        """Apply a gate voltage (V) from now on; the field and all rates are refreshed."""
        if voltage_v != self.voltage_v:
            self.prev_voltage_v, self.voltage_v = self.voltage_v, float(voltage_v)
            self.t_switch_s = self.time_s
        self.field_par[0] = self.voltage_v
        self._boundary_rates()
        core.refresh_field(self.occ, self.nocc, self.nvac, self.lattice.layer, self.tables.env_static,
                           self.tables.n_static, self.tables.base_rate_hz, self.lattice.dz_classes,
                           self.sites_per_layer, self.field_par, self.layer_n, self.layer_ref,
                           self.r_gap, self.fstate, self.tilt, self.tree, self.sc, self.cnt)

    def _boundary_rates(self) -> None:
        since = self.time_s - self.t_switch_s
        k_out, k_in = self.boundary.rates(self.voltage_v, self.prev_voltage_v, since,
                                          int(self.cnt[core.CNT_ELECTROLYTE]))
        if not (np.isfinite(k_out) and np.isfinite(k_in)) or k_out < 0 or k_in < 0:
            raise ValueError(f"boundary plug-in {type(self.boundary).__name__} returned rates "
                             f"({k_out}, {k_in}); they must be finite and >= 0 (Hz)")
        self.sc[core.SC_K_OUT_HZ] = k_out
        self.sc[core.SC_K_IN_HZ] = k_in if self.cnt[core.CNT_ELECTROLYTE] > 0 else 0.0
        k_esc = float(getattr(self.boundary, "escape_rate_hz", 0.0))
        if not (np.isfinite(k_esc) and k_esc >= 0):
            raise ValueError(f"boundary plug-in {type(self.boundary).__name__} has escape_rate_hz = {k_esc}; "
                             "it must be finite and >= 0 (Hz per near-surface ion)")
        self.sc[core.SC_ESCAPE_HZ] = k_esc * self.cnt[core.CNT_ELECTROLYTE]
        self._bnd_valid_until = self.time_s + self.boundary.hold_s(self.voltage_v, self.prev_voltage_v, since)

    def _refresh_boundary(self) -> None:
        self._boundary_rates()
        core.refresh_top(self.tree, self.occ, self.nocc, self.nvac, self.lattice.layer,
                         self.tables.env_static, self.tables.n_static, self.tables.base_rate_hz,
                         self.tilt, self.lattice.n_layers - 1, self.sc, self.top_sites)
        tree_set(self.tree, self.lattice.n_sites, self.sc[core.SC_ESCAPE_HZ])

    def advance(self, t_stop_s: float, max_events: int = 1 << 62) -> int:
        """Run KMC until the simulated time reaches ``t_stop_s`` (s) or max_events are done.

        Returns the number of events executed.
        """
        lat = self.lattice
        start = int(self.cnt[core.CNT_EVENTS])
        while self.time_s < t_stop_s:
            left = max_events - (int(self.cnt[core.CNT_EVENTS]) - start)
            if left <= 0:
                break
            t_chunk = min(t_stop_s, self._bnd_valid_until)
            reason = core.run_chunk(lat.hop_nbr, lat.hop_class, lat.hop_vec, lat.layer, self.layer_ptr,
                                    self.layer_sites, self.tables.env_static, self.tables.n_static,
                                    self.tables.base_rate_hz, lat.dz_classes, self.sites_per_layer,
                                    self.field_par, self.occ, self.nocc, self.nvac, self.ion_at, self.disp,
                                    self.electrolyte, self.layer_n, self.layer_ref, self.r_gap, self.fstate,
                                    self.tilt, self.tree, self.sc, self.cnt, self.rng, t_chunk, left,
                                    self.tol_count)
            if reason == core.STOP_BOUNDARY or (reason == core.STOP_TIME and self.time_s >= self._bnd_valid_until):
                self._refresh_boundary()
        return int(self.cnt[core.CNT_EVENTS]) - start

    # --- observables -------------------------------------------------------------------------
    @property
    def n_film(self) -> int:
        return int(self.layer_n.sum())

    @property
    def n_electrolyte(self) -> int:
        """N ions in the electrolyte: near the surface plus escaped into the bulk."""
        return int(self.cnt[core.CNT_ELECTROLYTE] + self.cnt[core.CNT_BULK])

    @property
    def n_surface_electrolyte(self) -> int:
        """N ions in the near-surface electrolyte (what the solubility limit counts)."""
        return int(self.cnt[core.CNT_ELECTROLYTE])

    @property
    def events(self) -> int:
        return int(self.cnt[core.CNT_EVENTS])

    def counters(self) -> dict[str, int]:
        names = ("events", "n_surface_electrolyte", "hops", "exits", "entries", "field_refreshes", "escapes")
        return {k: int(v) for k, v in zip(names, self.cnt)}

    def n_profile(self) -> np.ndarray:
        """Fraction of N sites occupied in each layer, bottom to top."""
        return self.layer_n / self.sites_per_layer

    def gap_fields_v_per_m(self) -> np.ndarray:
        """Field E_z (V/m) in each inter-layer gap, from the current profile."""
        return gap_fields(self.layer_n, self.sites_per_layer, self.field_par)

    def total_rate_hz(self) -> float:
        return float(self.tree[1])
