"""The ion system of one run: the arrays the jitted core mutates, and the calls that drive it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmc.core import hopping as core
from kmc.core.field import gap_fields
from kmc.core import records
from kmc.core.metal_counts import count_metal_n, metal_tables
from kmc.core.memory import on_huge_pages
from kmc.core.rng import new_state
from kmc.core.sumtree import new_tree, tree_total
from kmc.plugins.hops.tables import HopTables
from kmc.model.state import capture, load
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

    #: every attribute the run changes (the jitted core and the drive): what a checkpoint saves
    STATE = ("rec", "ion_at", "disp", "electrolyte", "layer_n", "layer_ref", "tilt", "tree",
             "sc", "cnt", "rng", "field_par", "r_gap", "fstate", "top_perm", "top_pos", "bnd_out", "bnd_in",
             "voltage_v", "prev_voltage_v", "t_switch_s", "_bnd_since_s", "_bnd_valid_until")
    #: work space of the core, meaningless between calls (not saved)
    SCRATCH = ("buf", "seen")
    #: mutable arrays an event reads at random: kept on huge pages (:mod:`kmc.core.memory`)
    RANDOM_ACCESS = ("rec", "ion_at", "disp", "tree")

    #: near-surface electrolyte counts covered by one boundary rate table (the core returns to
    #: Python only when the count leaves the table)
    BOUNDARY_WINDOW = 1024

    def __init__(self, lattice, tables: HopTables, boundary, temperature_k: float, field: FieldModel,
                 seed, occupancy: np.ndarray | None = None):
        z = lattice.hop_nbr.shape[1]
        tables.check(lattice.n_sites, z, lattice.hop_nbr)
        dz = lattice.dz_classes
        if not np.allclose(dz, -dz[::-1]):
            raise ValueError(f"hop classes must be symmetric in z, got dz = {dz}")
        self.lattice, self.tables, self.boundary, self.field = lattice, tables, boundary, field
        self.temperature_k = float(temperature_k)
        n = lattice.n_sites
        z2 = tables.z2
        n_codes = (z + 1) * (z2 + 1) * int(tables.n_static)
        if z > 127 or n_codes >= 2 ** 15 or lattice.n_layers >= 2 ** 15:
            raise ValueError(f"site records hold at most 127 neighbours, 32767 environment codes and 32767 "
                             f"layers; got {z}, {n_codes} and {lattice.n_layers}")
        if tables.metal_energy_ev is not None and tables.dest_factor is not None:
            raise ValueError("a hop law's metal_energy_ev and dest_factor cannot be combined (the metal-centred "
                             "energy enters as a start-site factor)")
        metal = metal_tables(lattice, tables.metal_energy_ev, K_B_EV * temperature_k)
        occ = np.ones(n, dtype=np.int8) if occupancy is None else np.asarray(occupancy, dtype=np.int8)
        self.n_ions = int(occ.sum(dtype=np.int64))
        if n >= 2 ** 31:
            raise ValueError(f"at most 2**31 - 1 sites are supported (int32 site and ion indices), got {n}")
        self.ion_at = np.full(n, -1, dtype=np.int32)
        self.ion_at[occ == 1] = np.arange(self.n_ions)
        self.disp = np.zeros((self.n_ions, 3))
        self.electrolyte = np.full(self.n_ions, -1, dtype=np.int32)
        hop, dir_cls, dir_vec = records.direction_table(lattice.hop_vec, lattice.hop_class, lattice.hop_nbr)
        hop = on_huge_pages(hop)
        nbr = on_huge_pages(np.ascontiguousarray(lattice.hop_nbr, dtype=np.int32))
        env_static = tables.env_static.astype(np.int16)
        shell2 = np.ascontiguousarray(np.empty((n, 0)) if tables.shell2 is None else tables.shell2, dtype=np.int32)
        self.rec, rec16 = records.new_records(occ, lattice.layer, len(dz))
        records.fill_records(nbr, hop, dir_cls, len(dz), env_static, int(tables.n_static), self.rec, rec16, shell2)
        self.sites_per_layer = lattice.sites_per_layer.astype(np.float64)
        self.layer_n = np.bincount(lattice.layer, weights=occ, minlength=lattice.n_layers).astype(np.int64)
        self.layer_ref = self.layer_n.copy()
        self.tilt = np.ones((lattice.n_layers, len(dz)))
        self.tree = new_tree(n + 3)  # leaves n, n+1, n+2: escape, exit and entry totals
        self.sc = np.zeros(core.N_SC)
        self.sc[core.SC_NEXT_T] = np.nan
        self.cnt = np.zeros(core.N_CNT, dtype=np.int64)
        self.rng = new_state(seed)
        top_sites = np.flatnonzero(lattice.layer == lattice.n_layers - 1).astype(np.int32)
        self.top_perm = top_sites[np.argsort(-occ[top_sites], kind="stable")]  # occupied first
        self.top_pos = np.full(n, -1, dtype=np.int32)
        self.top_pos[self.top_perm] = np.arange(len(top_sites))
        self.cnt[core.CNT_TOP_OCC] = int(occ[top_sites].sum())
        window = min(self.BOUNDARY_WINDOW, self.n_ions + 1)
        self.bnd_out, self.bnd_in = np.zeros(window), np.zeros(window)
        spacing = float(np.abs(dz).max()) if len(dz) else 1.0
        self.field_par = np.array([0.0, field.film_voltage_fraction, field.metal_resistance_ratio,
                                   tables.charge_e, K_B_EV * temperature_k, spacing,
                                   field.resistance_tolerance])
        self.r_gap = np.zeros(max(lattice.n_layers - 1, 0))
        self.fstate = np.ones(2)
        order = np.argsort(lattice.layer, kind="stable")  # increasing site index within each layer
        self.static = core.Static(
            nbr=nbr, hop=hop, dir_cls=dir_cls, dir_vec=dir_vec, layer=lattice.layer.astype(np.int16),
            layer_ptr=np.concatenate([[0], np.cumsum(lattice.sites_per_layer)]).astype(np.int64),
            layer_sites=order.astype(np.int64), env_static=env_static, base=tables.base_rate_hz,
            dz_classes=lattice.dz_classes, sites_per_layer=self.sites_per_layer, top_sites=top_sites,
            n_static=int(tables.n_static), tol_count=max(1, int(field.layer_tolerance * lattice.sites_per_layer.min())),
            shell2=shell2, stride1=(z2 + 1) * int(tables.n_static),
            dest=np.empty(0) if tables.dest_factor is None else np.ascontiguousarray(tables.dest_factor, dtype=np.float64),
            **metal, **surface_coupling(lattice, tables, boundary, shell2, metal))
        spread = 0 if tables.dest_factor is None else 2 * (z + z2) * z  # kmc.core.hopping._spread_to_sources
        z_q = metal["metal_shell"].shape[1]  # kmc.core.site_updates._flip_metals
        self.buf = np.empty(max(2 * (z + z2 + z_q) + 2 + spread, 3 * int(lattice.sites_per_layer.max()) + 1),
                            dtype=np.int64)
        self.seen = np.zeros(n if tables.dest_factor is not None else 0, dtype=np.uint8)
        self.voltage_v = self.prev_voltage_v = 0.0
        self.t_switch_s = 0.0
        self._bnd_since_s = 0.0
        self._bnd_valid_until = 0.0
        self._pack()
        self.set_voltage(0.0)

    def _pack(self) -> None:
        """The named tuple of mutable arrays the jitted core takes (rebuilt after a state reload);
        ``rec16`` is derived here, the int16 view of the records."""
        for name in self.RANDOM_ACCESS:
            setattr(self, name, on_huge_pages(getattr(self, name)))
        self.rec16 = self.rec.view(np.int16)
        st = self.static  # the N counts of the metals: derived from the occupancy, not saved
        self.metal_n = (count_metal_n(self.lattice.host_mobile_nbr, self.rec[:, records.R_OCC]).astype(np.int8)
                        if st.phi.shape[0] else np.zeros(0, dtype=np.int8))
        self.x = core.State(**{name: getattr(self, name) for name in core.State._fields})

    # --- drive -----------------------------------------------------------------------------
    @property
    def time_s(self) -> float:
        return float(self.sc[core.SC_TIME_S])

    def rates_changed(self) -> None:
        """Forget the drawn time of the next event (call after changing any rate from outside)."""
        self.sc[core.SC_NEXT_T] = np.nan

    def set_voltage(self, voltage_v: float) -> None:
        """Apply a gate voltage (V) from now on; the field, the boundary tables and all rates are refreshed."""
        if voltage_v != self.voltage_v:
            self.prev_voltage_v, self.voltage_v = self.voltage_v, float(voltage_v)
            self.t_switch_s = self.time_s
        self.field_par[0] = self.voltage_v
        self._boundary_tables(new_hold=True)
        core.refresh_field(self.static, self.x)
        self.rates_changed()

    def _boundary_tables(self, new_hold: bool) -> None:
        """Fill the boundary rate tables around the current near-surface count. With ``new_hold``,
        the plug-in's time dependence is evaluated now and held for its ``hold_s``; otherwise the
        table is moved (same rates, other counts) within the current hold."""
        if new_hold:
            self._bnd_since_s = self.time_s - self.t_switch_s
        since = self._bnd_since_s
        n_el = int(self.cnt[core.CNT_ELECTROLYTE])
        w = len(self.bnd_out)
        lo = min(max(0, n_el - w // 2), max(0, self.n_ions + 1 - w))
        counts = np.arange(lo, lo + w)
        name = type(self.boundary).__name__
        if hasattr(self.boundary, "rate_table"):
            k_out, k_in = (np.asarray(a, dtype=np.float64) for a in
                           self.boundary.rate_table(self.voltage_v, self.prev_voltage_v, since, counts))
        else:  # a plug-in with scalar rates only
            pairs = [self.boundary.rates(self.voltage_v, self.prev_voltage_v, since, int(c)) for c in counts]
            k_out, k_in = (np.array(a, dtype=np.float64) for a in zip(*pairs))
        if k_out.shape != (w,) or k_in.shape != (w,):
            raise ValueError(f"boundary plug-in {name}: rate_table returned shapes {k_out.shape}, {k_in.shape}; "
                             f"expected ({w},) each")
        if not (np.isfinite(k_out).all() and np.isfinite(k_in).all()) or (k_out < 0).any() or (k_in < 0).any():
            raise ValueError(f"boundary plug-in {name} returned rates that are not finite and >= 0 (Hz) "
                             f"for near-surface counts {lo}..{lo + w - 1}")
        k_in[counts == 0] = 0.0  # nothing to re-enter from an empty electrolyte
        self.bnd_out[:], self.bnd_in[:] = k_out, k_in
        self.cnt[core.CNT_WIN_LO] = lo
        k_esc = float(getattr(self.boundary, "escape_rate_hz", 0.0))
        if not (np.isfinite(k_esc) and k_esc >= 0):
            raise ValueError(f"boundary plug-in {name} has escape_rate_hz = {k_esc}; "
                             "it must be finite and >= 0 (Hz per near-surface ion)")
        self.sc[core.SC_K_ESC_HZ] = k_esc
        if new_hold:
            self._bnd_valid_until = self.time_s + self.boundary.hold_s(self.voltage_v, self.prev_voltage_v, since)

    def advance(self, t_stop_s: float, max_events: int = 1 << 62) -> int:
        """Run KMC until the simulated time reaches ``t_stop_s`` (s) or max_events are done.

        Stopping (at a frame time, after max_events) never changes the trajectory: the time of
        the next event is kept. Returns the number of events executed.
        """
        start = int(self.cnt[core.CNT_EVENTS])
        while self.time_s < t_stop_s:
            left = max_events - (int(self.cnt[core.CNT_EVENTS]) - start)
            if left <= 0:
                break
            reason = core.run_chunk(self.static, self.x, min(t_stop_s, self._bnd_valid_until), left)
            if reason == core.STOP_WINDOW:  # same rates, a table around the new count
                self._boundary_tables(new_hold=False)
                core.boundary_leaves(self.static, self.x)
            elif reason in (core.STOP_TIME, core.STOP_FROZEN) and self.time_s >= self._bnd_valid_until:
                self._boundary_tables(new_hold=True)  # the plug-in's rates change with time
                core.boundary_leaves(self.static, self.x)
                self.rates_changed()
        return int(self.cnt[core.CNT_EVENTS]) - start

    # --- checkpoints -------------------------------------------------------------------------
    def state(self) -> dict:
        """Copies of the mutable attributes (:attr:`STATE`), for :meth:`load_state`."""
        return capture(self, self.STATE)

    def load_state(self, state: dict) -> None:
        """Continue exactly from a :meth:`state` of an ion system built from the same config and seed."""
        state = dict(state)
        for name in ("ion_at", "electrolyte", "top_perm"):  # int64 in checkpoints of earlier versions
            if name in state and np.asarray(state[name]).dtype == np.int64:
                state[name] = np.asarray(state[name]).astype(np.int32)
        load(self, self.STATE, state)
        self._pack()

    # --- observables -------------------------------------------------------------------------
    @property
    def occ(self) -> np.ndarray:
        """(n_sites,) int8 occupancy, 1 = N ion: a view of the site records (writing it bypasses the
        neighbour counts and rates, as writing the former occupancy array did)."""
        return self.rec[:, records.R_OCC]

    @property
    def nocc(self) -> np.ndarray:
        """(n_sites,) occupied hop neighbours of every site (computed from the records)."""
        return self.rec16[:, records.R_CODE] // self.static.stride1

    @property
    def nocc2(self) -> np.ndarray:
        """(n_sites,) occupied sites of every site's second shell (the hop law's ``shell2``; 0 without one)."""
        return self.rec16[:, records.R_CODE] % self.static.stride1 // self.static.n_static

    @property
    def nvac(self) -> np.ndarray:
        """(n_sites, n_cls) int8 vacant hop neighbours by hop class (a view of the site records)."""
        return self.rec[:, records.R_NVAC:records.R_NVAC + self.tilt.shape[1]]

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
        return {k: int(v) for k, v in zip(core.COUNTER_NAMES, self.cnt)}

    def n_profile(self) -> np.ndarray:
        """Fraction of N sites occupied in each layer, bottom to top."""
        return self.layer_n / self.sites_per_layer

    def gap_fields_v_per_m(self) -> np.ndarray:
        """Field E_z (V/m) in each inter-layer gap, from the current profile."""
        return gap_fields(self.layer_n, self.sites_per_layer, self.field_par)

    def total_rate_hz(self) -> float:
        return float(tree_total(self.tree))


def surface_coupling(lattice, tables: HopTables, boundary, shell2: np.ndarray, metal: dict) -> dict:
    """The Static fields of the surface's coupling to the site energy (:mod:`kmc.core.surface`):
    the hop law's exit/entry weights per code (with a metal-centred energy, ``metal``: the exit
    factors per code in units of the weight) and the sites whose flip changes the rate of a top
    site, if the boundary plug-in asks for it (``site_energy_coupling``); empty arrays otherwise."""
    if not getattr(boundary, "site_energy_coupling", False):
        return dict(top_w_out=np.empty(0, np.int64), top_w_in=np.empty(0, np.int64), top_w_unit=np.ones(2),
                    near_top=np.empty(0, np.uint8), top_metal_w=np.empty(0))
    is_top = np.append(lattice.layer == lattice.n_layers - 1, False)  # index -1 (padding): not top
    phi = metal["phi"]
    metal_max = float(phi.max()) ** metal["metal_of"].shape[1] if phi.size else 1.0  # bounds Π φ
    w_out, w_in, unit = core.site_weights(tables.base_rate_hz, tables.dest_factor, int(is_top.sum()), metal_max)
    near = is_top[:-1] | is_top[lattice.hop_nbr].any(axis=1) | is_top[shell2].any(axis=1)
    top_metal_w = np.empty(0)
    if phi.size:
        near |= is_top[metal["metal_shell"]].any(axis=1)
        top_metal_w = tables.base_rate_hz / tables.base_rate_hz[0] / unit[0]  # exit factors in weight units (unit: 2^-k)
    return dict(top_w_out=w_out, top_w_in=w_in, top_w_unit=unit, near_top=near.astype(np.uint8),
                top_metal_w=top_metal_w)

