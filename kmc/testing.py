"""Helpers for tests (mikmc's own and users'): small ion systems on any lattice."""

from __future__ import annotations

import numpy as np

from kmc.model.ions import FieldModel, IonSystem
from kmc.plugins.boundary.closed import Closed
from kmc.plugins.hops.arrhenius import ArrheniusHop
from kmc.plugins.hops.metal_energy import count_metal_n


def make_ions(lattice, *, barrier_ev=0.5, nn_bond_ev=0.0, co_shift_ev=0.0, temperature_k=300.0,
              occupancy=None, field=None, boundary=None, seed=1, nn2_bond_ev=0.0, metal_energy_ev=None) -> IonSystem:
    """An IonSystem with the Arrhenius hop law and (by default) a closed surface; ``metal_energy_ev``:
    a metal-centred energy table (HopTables.metal_energy_ev), eV."""
    import dataclasses

    hop = ArrheniusHop(barrier_ev=barrier_ev, nn_bond_ev=nn_bond_ev, co_shift_ev=co_shift_ev, nn2_bond_ev=nn2_bond_ev)
    tables = hop.build(lattice, temperature_k)
    if metal_energy_ev is not None:
        tables = dataclasses.replace(tables, metal_energy_ev=np.asarray(metal_energy_ev, dtype=np.float64))
    bnd = (boundary or Closed()).build(lattice, temperature_k)
    return IonSystem(lattice, tables, bnd, temperature_k, field or FieldModel(), seed, occupancy=occupancy)


def gate_and_relax(ions: IonSystem, gate_s: float = 30.0, relax_s: float = 40.0, voltage_v: float = -25.0) -> dict:
    """Gate at ``voltage_v`` (V) for ``gate_s``, then 0 V for ``relax_s`` (s): hops, exits and
    entries. Asserts that N (film + electrolyte) is conserved; returns the counters."""
    n0 = ions.n_film + ions.n_electrolyte
    ions.set_voltage(voltage_v)
    ions.advance(ions.time_s + gate_s)
    ions.set_voltage(0.0)
    ions.advance(ions.time_s + relax_s)
    assert ions.n_film + ions.n_electrolyte == n0, "N not conserved"
    return ions.counters()


def single_vacancy(n_sites: int, site: int = 0) -> np.ndarray:
    """Occupancy with every site filled but one."""
    occ = np.ones(n_sites, dtype=np.int8)
    occ[site] = 0
    return occ


# --- contract checkers for plug-ins (usable from a plug-in package's own tests) ----------------
#
#     from kmc.testing import check_hop_plugin
#     def test_contract():
#         check_hop_plugin(MyHop)          # a class (built with its defaults) or an instance
#
# Each builds the plug-in on tiny lattices, checks shapes, dtypes and units, runs it through the
# jitted kernels, and raises AssertionError (or the plug-in's own exception) with a message that
# names the plug-in and what is wrong.

_LATTICES: dict = {}


def tiny_lattices() -> dict:
    """The lattices the checkers use: a 3×3×3 simple-cubic film and a 2 nm (Co,Fe)N film, 2×2 cells."""
    if not _LATTICES:
        from kmc.lattices.cubic import CubicTestLattice
        from kmc.lattices.rocksalt_film import RocksaltFilm

        _LATTICES["cubic"] = CubicTestLattice("sc", (3, 3, 3), 3.0).build(0)
        _LATTICES["rocksalt_film"] = RocksaltFilm(thickness_nm=2, cells_xy=(2, 2)).build(0)
    return _LATTICES


def _instance(plugin, group: str):
    from kmc import plugins
    cls = plugin if isinstance(plugin, type) else type(plugin)
    label = f"{group} plug-in {getattr(cls, 'name', cls.__name__)!r} ({cls.__module__}:{cls.__qualname__})"
    try:
        plugins.check_class(cls, label)
    except plugins.PluginError as exc:
        raise AssertionError(str(exc)) from None
    obj = plugin() if isinstance(plugin, type) else plugin
    if not isinstance(getattr(obj, "name", None), str):
        raise AssertionError(f"{label}: needs a class attribute `name` (str, = its entry-point name)")
    return obj, label


def _nocc(lattice, occ: np.ndarray, shell=None) -> np.ndarray:
    """Occupied hop neighbours of every site (the core's ``nocc``), or occupied sites of ``shell``
    ((n, z2), -1 padded: the core's ``nocc2``)."""
    return np.append(occ.astype(np.int64), 0)[lattice.hop_nbr if shell is None else shell].sum(axis=1)


def _codes(lattice, tables, occ: np.ndarray) -> np.ndarray:
    """Environment code of every site, written out from the HopTables contract."""
    n2 = 0 if tables.shell2 is None else _nocc(lattice, occ, tables.shell2)
    return (_nocc(lattice, occ) * (tables.z2 + 1) + n2) * tables.n_static + tables.env_static


def _metal_factor(lattice, tables, occ: np.ndarray, s: int, kt: float) -> float:
    """exp(−Σ_{m ∋ s} [g(n_m − 1) − g(n_m)] / kT) of the occupied site s, written out from the
    HopTables contract (``metal_energy_ev``)."""
    g = tables.metal_energy_ev
    n_m = count_metal_n(lattice.host_mobile_nbr, occ)
    metals = lattice.host_nbr[s][lattice.host_nbr[s] >= 0]
    sp = lattice.host_species[metals]
    return float(np.exp(-np.sum(g[sp, n_m[metals] - 1] - g[sp, n_m[metals]]) / kt))


def _require(cond: bool, message: str) -> None:
    if not cond:
        raise AssertionError(message)


def check_hop_plugin(plugin, temperature_k: float = 300.0, n_events: int = 300,
                     max_rate_hz: float = 1e15, seed: int = 1) -> None:
    """Check a hop plug-in (class or instance) against the HopTables contract.

    Checks, on each tiny lattice: ``build`` returns a HopTables with float64 rates in Hz (finite,
    >= 0, not all 0, <= ``max_rate_hz``: a larger one usually means a barrier in the wrong unit),
    int64 ``env_static`` codes in range, a finite float ``charge_e``; if the class sets
    ``detailed_balance = True`` it must provide ``energy_ev(lattice, occ) -> float`` and every
    hop must satisfy k(a→b)/k(b→a) = exp(−(E_b − E_a)/kT); finally ``n_events`` KMC events run
    through the jitted core on a closed film at zero and non-zero voltage, conserving the ions.
    """
    from kmc.model.ions import FieldModel, IonSystem
    from kmc.plugins.boundary.closed import Closed
    from kmc.plugins.hops.tables import HopTables
    from kmc.units import K_B_EV

    hop, label = _instance(plugin, "hops")
    for lname, lattice in tiny_lattices().items():
        where = f"{label} on the {lname} test lattice"
        tables = hop.build(lattice, temperature_k)
        _require(isinstance(tables, HopTables), f"{where}: build() returned {type(tables).__name__}, "
                 "expected kmc.plugins.hops.tables.HopTables")
        z = lattice.hop_nbr.shape[1]
        rates, env = tables.base_rate_hz, tables.env_static
        _require(isinstance(rates, np.ndarray) and rates.dtype == np.float64,
                 f"{where}: base_rate_hz must be a float64 ndarray (Hz), got {getattr(rates, 'dtype', type(rates))}")
        _require(isinstance(env, np.ndarray) and env.dtype == np.int64,
                 f"{where}: env_static must be an int64 ndarray, got {getattr(env, 'dtype', type(env))}")
        _require(isinstance(tables.n_static, (int, np.integer)) and tables.n_static >= 1,
                 f"{where}: n_static must be an int >= 1, got {tables.n_static!r}")
        try:
            tables.check(lattice.n_sites, z, lattice.hop_nbr)
        except ValueError as exc:
            raise AssertionError(f"{where}: {exc}") from None
        _require(np.isfinite(float(tables.charge_e)), f"{where}: charge_e must be finite, got {tables.charge_e!r}")
        _require(rates.max() > 0, f"{where}: every base_rate_hz is 0, no ion can ever hop")
        if tables.dest_factor is not None:  # the rate of a hop between sites of the same code: Hz
            rates = rates * tables.dest_factor
        _require(rates.max() <= max_rate_hz, f"{where}: hop rates up to {rates.max():.3g} Hz > "
                 f"{max_rate_hz:.0e} Hz; rates must be in Hz (barrier in eV, attempt frequency in Hz)")
        rng = np.random.default_rng(seed)
        occ = (rng.random(lattice.n_sites) < 0.5).astype(np.int8)
        if getattr(hop, "detailed_balance", False):
            _check_detailed_balance(hop, tables, lattice, occ, K_B_EV * temperature_k, where, rng)
        ions = IonSystem(lattice, tables, Closed().build(lattice, temperature_k), temperature_k,
                         FieldModel(), seed, occupancy=occ)
        n0 = ions.n_film
        done = ions.advance(np.inf, max_events=n_events // 2)
        ions.set_voltage(-5.0)
        done += ions.advance(np.inf, max_events=n_events - n_events // 2)
        _require(done == n_events, f"{where}: the core ran {done} of {n_events} events")
        _require(np.isfinite(ions.time_s) and ions.time_s > 0,
                 f"{where}: simulated time is {ions.time_s} s after {done} events")
        _require(ions.n_film == n0 and int(ions.occ.sum()) == n0,
                 f"{where}: ions not conserved on a closed film ({n0} -> {int(ions.occ.sum())})")
        _require(np.array_equal(ions.nocc, _nocc(lattice, ions.occ)),
                 f"{where}: neighbour counts inconsistent after {done} events")
        if tables.shell2 is not None:
            _require(np.array_equal(ions.nocc2, _nocc(lattice, ions.occ, tables.shell2)),
                     f"{where}: second-shell counts inconsistent after {done} events")
        if tables.metal_energy_ev is not None:
            _require(np.array_equal(ions.metal_n, count_metal_n(lattice.host_mobile_nbr, ions.occ)), f"{where}: the metals' N counts inconsistent after {done} events")


def _check_detailed_balance(hop, tables, lattice, occ, kt, where, rng, n_hops: int = 200) -> None:
    energy = getattr(hop, "energy_ev", None)
    _require(callable(energy), f"{where}: detailed_balance = True needs a method energy_ev(lattice, occ) -> eV")
    code, rates, dest = _codes(lattice, tables, occ), tables.base_rate_hz, tables.dest_factor
    e0 = float(energy(lattice, occ))
    checked = 0
    for s in rng.permutation(np.flatnonzero(occ == 1)):
        for d in lattice.hop_nbr[s]:
            if d < 0 or occ[d]:
                continue
            after = occ.copy()
            after[s], after[d] = 0, 1
            code_after = _codes(lattice, tables, after)
            k_f, k_b = rates[code[s]], rates[code_after[d]]
            if tables.metal_energy_ev is not None:  # the start-site factor of a metal-centred energy
                k_f, k_b = k_f * _metal_factor(lattice, tables, occ, s, kt), k_b * _metal_factor(lattice, tables, after, d, kt)
            if dest is not None:  # a rate per (start code, destination code), both read before the hop
                k_f, k_b = k_f * dest[code[d]], k_b * dest[code_after[s]]
            d_e = float(energy(lattice, after)) - e0
            if k_f == 0 and k_b == 0:
                continue
            ratio, expected = k_f / k_b if k_b > 0 else np.inf, np.exp(-d_e / kt)
            _require(np.isclose(ratio, expected, rtol=1e-6),
                     f"{where}: detailed balance broken for the hop {s} -> {d}: k_f/k_b = {ratio:.6g}, "
                     f"exp(-ΔE/kT) = {expected:.6g} (ΔE = {d_e:.4g} eV from energy_ev)")
            checked += 1
            break
        if checked >= n_hops:
            break
    _require(checked > 0, f"{where}: no hop found to test detailed balance on")


def check_boundary_plugin(plugin, temperature_k: float = 300.0, n_events: int = 300, seed: int = 1) -> None:
    """Check a boundary plug-in (class or instance): ``build(lattice, T)`` returns an object whose
    ``rates(V, V_prev, t_since_switch_s, n_electrolyte)`` gives two finite floats >= 0 (Hz per top
    site), an optional vectorised ``rate_table(V, V_prev, t, counts)`` agrees with it, and
    ``hold_s(V, V_prev, t)`` a positive time (s, may be inf), for a grid of voltages,
    times and electrolyte contents; then KMC runs with it at −25 V and 0 V, conserving film +
    electrolyte ions."""
    from kmc.model.ions import FieldModel, IonSystem
    from kmc.plugins.hops.arrhenius import ArrheniusHop

    bnd, label = _instance(plugin, "boundaries")
    lattice = tiny_lattices()["rocksalt_film"]
    where = f"{label} on the rocksalt_film test lattice"
    built = bnd.build(lattice, temperature_k)
    for attr in ("rates", "hold_s"):
        _require(callable(getattr(built, attr, None)), f"{where}: build() must return an object with {attr}()")
    for v, v_prev in ((0.0, 0.0), (-25.0, 0.0), (0.0, -25.0), (25.0, -25.0)):
        for t in (0.0, 1.0, 1e3):
            for n_el in (0, 1, 10, 10**6):
                out = built.rates(v, v_prev, t, n_el)
                args = f"rates({v}, {v_prev}, {t}, {n_el})"
                _require(isinstance(out, tuple) and len(out) == 2, f"{where}: {args} must return (k_out_hz, k_in_hz)")
                for key, k in zip(("k_out_hz", "k_in_hz"), out):
                    _require(isinstance(k, (float, int, np.floating)) and np.isfinite(k) and k >= 0,
                             f"{where}: {args} gave {key} = {k!r}; must be a finite float >= 0 (Hz)")
            hold = built.hold_s(v, v_prev, t)
            _require(isinstance(hold, (float, int, np.floating)) and hold > 0,
                     f"{where}: hold_s({v}, {v_prev}, {t}) = {hold!r}; must be > 0 s (math.inf: rates never change)")
            if hasattr(built, "rate_table"):  # optional, vectorised: must agree with rates()
                counts = np.array([0, 1, 10, 10**6])
                table = built.rate_table(v, v_prev, t, counts)
                scalar = np.array([built.rates(v, v_prev, t, int(c)) for c in counts]).T
                _require(np.allclose(np.asarray(table, dtype=float), scalar, rtol=1e-12, atol=0),
                         f"{where}: rate_table({v}, {v_prev}, {t}, {counts.tolist()}) disagrees with rates()")
    tables = ArrheniusHop(barrier_ev=0.3).build(lattice, temperature_k)
    occ = (np.random.default_rng(seed).random(lattice.n_sites) < 0.7).astype(np.int8)
    ions = IonSystem(lattice, tables, built, temperature_k, FieldModel(), seed, occupancy=occ)
    n0 = ions.n_film
    ions.set_voltage(-25.0)
    done = ions.advance(np.inf, max_events=n_events // 2)
    ions.set_voltage(0.0)
    done += ions.advance(np.inf, max_events=n_events - n_events // 2)
    _require(ions.n_film + ions.n_electrolyte == n0,
             f"{where}: film + electrolyte ions {ions.n_film} + {ions.n_electrolyte} != {n0}")
    _require(np.isfinite(ions.time_s), f"{where}: simulated time {ions.time_s} s after {done} events")


def check_exchange_plugin(plugin, temperature_k: float = 300.0, n_sweeps: float = 5.0, seed: int = 1) -> None:
    """Check an exchange plug-in (class or instance) with the bundled phase plug-in.

    ``build(lattice, phases, T)`` must return a SpinModel whose tables pass ``SpinModel.check``
    (float64, finite, J symmetric, K >= 0) and whose ``delta_e`` is a numba-jitted function. Unless
    the class sets ``standard_energy = False``, ``delta_e`` must equal the energy difference of
    kmc.core.spins' E = −Σ J s_i·s_j − Σ K (s·e)² − Σ h (s·e) for random moves (after any
    in-place change it makes to ``new``, e.g. snapping to allowed states). Finally the Magnet
    relaxes ``n_sweeps`` sweeps with it: spins stay finite, ±1 (Ising) or unit vectors.
    """
    from kmc.model.magnet import Magnet, MagnetParams
    from kmc.plugins.exchange.tables import SpinModel
    from kmc.plugins.phases.coordination import CoordinationPhases

    exch, label = _instance(plugin, "exchange")
    lattice = tiny_lattices()["rocksalt_film"]
    where = f"{label} on the rocksalt_film test lattice"
    phases = CoordinationPhases().build(lattice)
    n_p = len(phases.names)
    model = exch.build(lattice, phases, temperature_k)
    _require(isinstance(model, SpinModel), f"{where}: build() returned {type(model).__name__}, "
             "expected kmc.plugins.exchange.tables.SpinModel")
    for key, shape in (("j_phase_ev", (n_p, n_p)), ("k_phase_ev", (n_p,)), ("axis", (3,))):
        arr = getattr(model, key)
        _require(isinstance(arr, np.ndarray) and arr.dtype == np.float64 and arr.shape == shape,
                 f"{where}: {key} must be a float64 array of shape {shape}")
        _require(np.all(np.isfinite(arr)), f"{where}: {key} has non-finite values")
    try:
        model.check(n_p)
    except ValueError as exc:
        raise AssertionError(f"{where}: {exc}") from None
    _require(np.all(model.k_phase_ev >= 0), f"{where}: k_phase_ev must be >= 0 eV")
    _require(hasattr(model.delta_e, "py_func"), f"{where}: delta_e must be a numba @njit function, "
             f"got {model.delta_e!r}")
    rng = np.random.default_rng(seed)
    occ = (rng.random(lattice.n_sites) < 0.3).astype(np.int8)
    mag = Magnet(lattice, phases, model, MagnetParams(), temperature_k, seed)
    mag.update_phases(occ)
    mag.set_field(1000.0)
    _require(len(mag.active) > 0, f"{where}: no ferromagnetic site on the test film")
    if getattr(exch, "standard_energy", True):
        _check_delta_e(mag, model, where, rng)
    mag.relax(n_sweeps)
    s = mag.spins[mag.active]
    _require(np.all(np.isfinite(s)), f"{where}: non-finite spins after {n_sweeps} sweeps")
    if model.vector:
        _require(np.allclose(np.linalg.norm(s, axis=1), 1.0), f"{where}: spins are not unit vectors after relax")
    else:
        _require(np.all(np.abs(s) == 1), f"{where}: Ising spins must stay ±1")


def _energy(spins, mag, vector: bool) -> float:
    axis = mag.axis
    s = spins if vector else spins[:, None] * axis[None, :]
    pair = -0.5 * np.einsum("im,ik,imk->", mag.jb, s, s[mag.knbr])
    pa = s @ axis
    return float(pair - np.sum(mag.ks * pa**2) - np.sum(mag.hz * pa))


def _check_delta_e(mag, model, where, rng, n_moves: int = 20) -> None:
    for i in rng.choice(mag.active, size=min(n_moves, len(mag.active)), replace=False):
        before = mag.spins.copy()
        if model.vector:
            new = rng.normal(size=3)
            new /= np.linalg.norm(new)
            de = model.delta_e(i, new, before, mag.knbr, mag.jb, mag.hz, mag.ks, mag.axis)
            after = before.copy()
            after[i] = new
        else:
            de = model.delta_e(i, before, mag.knbr, mag.jb, mag.hz)
            after = before.copy()
            after[i] = -after[i]
        exact = _energy(after, mag, model.vector) - _energy(before, mag, model.vector)
        _require(np.isclose(de, exact, rtol=1e-8, atol=1e-12),
                 f"{where}: delta_e of a move at site {i} is {de:.6g} eV, the energy changes by "
                 f"{exact:.6g} eV (set standard_energy = False if the model has another energy)")
