"""Magnetism coupled to the ions: phases from N coordination, spins with memory, M and M_S.

At each coupling (every ``coupling_interval_s`` of simulated time and at segment ends):

1. every metal site's phase is recomputed from the N occupancy (phase plug-in, vectorised);
2. a site that has become ferromagnetic gets a spin in a random direction, which then turns in the
   field of its neighbours (Metropolis passes over the new sites only); a site that has become
   paramagnetic loses its spin; all other spins keep their orientation (the memory);
3. fast: Metropolis sweeps at the real temperature bring every exchange-connected cluster to
   internal equilibrium (exchange plug-in; new sites align with their neighbours); a cluster that
   spans the cell (a laterally infinite layer) is then turned back onto its anisotropy minimum
   (kmc.core.layer_orientation);
4. slow: every cluster reverses as a whole at its Néel–Brown rate f₀·exp(−E_B/kT) over the
   interval (kmc.core.reversal), E_B from its anisotropy energy and the Zeeman energy.

Observables: M along the field axis and M_S (all ferromagnetic moments aligned) in emu/cm³ per
initial nominal film volume (Lattice.volume_cm3), 1 μB = 9.274×10⁻²¹ emu. M_R is M at zero field.
See docs/magnetism.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kmc.core import spins as core
from kmc.core.layer_orientation import hold_layers, layer_signs
from kmc.core.reversal import reverse_clusters
from kmc.core.rng import new_state
from kmc.model.state import capture, load
from kmc.storage.store import FieldSpec

from kmc.units import K_B_EV, MU_B_EMU, MU_B_EV_PER_T, TESLA_PER_OE  # noqa: F401 (re-exported)


@dataclass(frozen=True)
class MagnetParams:
    """How the spins are coupled to the ions (the ``[magnet]`` section).

    Two time scales, two mechanisms (docs/magnetism.md):

    * **fast** — the internal state of every exchange-connected cluster relaxes in ~1/f₀ (ns):
      at each coupling a fixed number of Metropolis sweeps at the run temperature bring it to
      internal equilibrium at fixed orientation (new sites align with their neighbours by
      exchange). The sweep count is a convergence parameter, not a time map.
    * **slow** — a cluster's reversal over its anisotropy (and Zeeman) barrier is a rate process in
      the simulated clock: Néel–Brown rates f₀·exp(−E_B/kT) sampled exactly over each coupling
      interval (kmc.core.reversal). Whether a cluster remembers over 3 min or 1 h follows from
      f₀·t and E_B/kT alone.

    Parameters
    ----------
    coupling_interval_s : float
        Simulated time (s) between two couplings of the spins to the ions (and at every segment's
        end). At each, phases are recomputed from the N occupancy (new ferromagnetic sites get
        random spins, lost ones drop theirs), the clusters equilibrate internally and each may
        reverse over the interval. A numerical step: the ions move little in 10 s (halving it
        changes M within the replica scatter, bench/bench_magnet_convergence.py).
        Output frames only read the state of the last coupling, so they never change the
        trajectory.
    equilibration_sweeps : float
        Metropolis sweeps (one attempt per ferromagnetic site each) at every coupling, at the run
        temperature k_B·T (no rescaling). Convergence parameter (default 200, where the earlier 20
        left the networks grown by zero-field cycles in domains; on 50 nm films some still need
        1000: docs/magnetism.md, "Convergence", measures it).
    field_substeps : int
        While a segment sweeps the field, each coupling interval is split into this many pieces,
        each at the field of its end, so frames record M(H) along the loop.
    sequential_sweeps : int
        1: sweeps visit the ferromagnetic sites in order from a random start (faster); 0: each
        attempt at a random site. Both leave the Boltzmann distribution invariant.
    attempt_frequency_hz : float
        f₀ of the Néel–Brown rate (Hz). Default 10⁹ Hz, the customary value for single-domain
        particles (W. F. Brown, Phys. Rev. 130, 1677 (1963); 10⁹–10¹⁰ Hz in the literature).
    new_site_passes : int
        A site that has just become ferromagnetic is born with a random spin, which then turns in
        the exchange field of its neighbours (and the applied field) before the sweeps: this many
        Metropolis passes over the new sites only with uniform trial directions, then as many with
        the model's step (:func:`settle_sites`; a spin's own relaxation takes ~1/f₀, far below the
        coupling interval). Without it (0) a region converted within one interval starts as
        domains of random spins that the sweeps anneal only slowly. Convergence parameter
        (default 20).
    spanning_orientation : str
        ``"held"`` (default): after each coupling's sweeps, the net moment of a cluster that spans the
        cell is turned back onto the anisotropy minimum σe it was in before them (one rigid rotation;
        kmc.core.layer_orientation), because the laterally infinite layer it stands for cannot
        rotate, while the finite cell's net moment diffuses under local moves. ``"free"``: the
        sweeps alone (versions before it; their spanning networks wander at zero field once the
        sweeps are many).
    """

    #: keys of earlier versions and why they are gone (a config naming one is refused with this)
    REMOVED = {
        "sweeps_per_second": "removed: sweeps are no longer mapped onto time; slow reversal is a "
                             "Néel–Brown rate in the simulated clock (see equilibration_sweeps, "
                             "attempt_frequency_hz, docs/magnetism.md)",
        "max_sweeps_per_frame": "removed: use equilibration_sweeps (sweeps per coupling)",
        "cluster_moves": "removed: clusters reverse by Néel–Brown rates (always on)",
        "reversal": "removed: Néel–Brown reversal is always on",
        "coercive_field_oe": "removed: layers spanning the cell follow a field above their "
                             "anisotropy field 2E_K/m, computed from the phases' anisotropy",
        "coherence_area_nm2": "removed: spins run at the real temperature k_B·T; widen the film "
                              "(lattice.cells_xy) instead of coarse-graining",
    }

    coupling_interval_s: float = 10.0
    equilibration_sweeps: float = 200.0
    field_substeps: int = 10
    sequential_sweeps: int = 1
    attempt_frequency_hz: float = 1e9
    spanning_orientation: str = "held"
    new_site_passes: int = 20

    def __post_init__(self):
        if int(self.new_site_passes) != self.new_site_passes or not 0 <= self.new_site_passes <= 10_000:
            raise ValueError(f"new_site_passes must be an integer in [0, 10000], got {self.new_site_passes}")
        if self.spanning_orientation not in ("held", "free"):
            raise ValueError(f"spanning_orientation must be 'held' or 'free', got {self.spanning_orientation!r}")
        if not self.coupling_interval_s > 0:
            raise ValueError(f"coupling_interval_s must be > 0, got {self.coupling_interval_s}")
        if not 0 <= self.equilibration_sweeps <= 1e6:
            raise ValueError(f"equilibration_sweeps must be in [0, 1e6], got {self.equilibration_sweeps}")
        if not 0 < self.attempt_frequency_hz < 1e15:
            raise ValueError(f"attempt_frequency_hz must be in (0, 1e15) Hz, got {self.attempt_frequency_hz}")
        if self.sequential_sweeps not in (0, 1):
            raise ValueError(f"sequential_sweeps must be 0 or 1, got {self.sequential_sweeps}")
        if int(self.field_substeps) != self.field_substeps or self.field_substeps < 1:
            raise ValueError(f"field_substeps must be an integer >= 1, got {self.field_substeps}")


def settle_sites(model, spins, sites, knbr, jb, hz, ks, axis, kt_ev, passes, rng) -> None:
    """Metropolis passes over ``sites`` only, in their order, every other spin fixed (the plug-in's
    ΔE at k_B·T = ``kt_ev``): ``passes`` with trial directions uniform on the sphere, which let a
    spin jump to its neighbours' side at once, then ``passes`` with the model's own trial step,
    which resolve the cap around it (Ising: 2·passes flip passes). 20 + 20 passes bring one spin
    in an exchange field h to the Langevin ⟨cos θ⟩ = coth(βh) − 1/βh for βh up to 20
    (tests/test_magnet.py)."""
    kernels = core.sweep_kernels(model.delta_e)
    n_att = passes * len(sites)
    if model.vector:
        kernels.sweep_vector(spins, sites, knbr, jb, hz, ks, axis, 0.0, kt_ev, n_att, rng, True)
        kernels.sweep_vector(spins, sites, knbr, jb, hz, ks, axis, model.step, kt_ev, n_att, rng, True)
    else:
        kernels.sweep_ising(spins, sites, knbr, jb, hz, kt_ev, 2 * n_att, rng, True)


class Magnet:
    """Spins on the ferromagnetic metal sites of one run (a :class:`kmc.engine.simulation.Process`).

    Parameters
    ----------
    lattice : kmc.lattices.Lattice
    phases : PhaseTables
        From a phase plug-in's ``build(lattice)``.
    model : SpinModel
        From an exchange plug-in's ``build(lattice, phases, temperature_k)``.
    params : MagnetParams
    temperature_k : float
    seed : numpy.random.SeedSequence or int
        Entropy for the spin stream (``sim.seeds["spins"]``).
    """

    name = "magnet"
    #: every attribute the run changes: what a checkpoint saves
    STATE = ("spins", "phase", "is_ferro", "rng", "jb", "active", "members", "ptr", "wraps", "mu", "ks", "kb",
             "hz", "field_oe", "sweeps_done", "accepted", "attempts", "reversals", "_initialised")

    def __init__(self, lattice, phases, model, params: MagnetParams, temperature_k: float, seed):
        self.lattice, self.tables, self.model, self.params = lattice, phases, model, params
        self.coupling_interval_s = float(params.coupling_interval_s)
        n = len(lattice.host)
        self.n_host = n
        self.kt_ev = K_B_EV * float(temperature_k)  # the real temperature, never rescaled
        self.nbr = np.ascontiguousarray(lattice.host_host_nbr, dtype=np.int64)
        if self.nbr.ndim != 2:
            self.nbr = np.full((n, 0), -1, dtype=np.int64)
        self.knbr = core.padded_neighbours(self.nbr)  # what the kernels read
        self.hmnbr = np.ascontiguousarray(lattice.host_mobile_nbr, dtype=np.int64)
        self.rng = new_state(seed)
        self.spins = np.zeros((n, 3)) if model.vector else np.zeros(n, dtype=np.int8)
        n_p = len(phases.names)
        self.phase = np.zeros(n, dtype=np.int8)
        self.is_ferro = np.zeros(n, dtype=bool)
        self.j_phase = np.ascontiguousarray(model.j_phase_ev, dtype=np.float64)
        self.jb = np.zeros(self.nbr.shape)
        self.mu = np.zeros(n)  # moment of each site now, μB (0 if paramagnetic)
        self.ks = np.zeros(n)
        self.hz = np.zeros(n)
        self.active = np.zeros(0, dtype=np.int64)
        self.members = np.zeros(0, dtype=np.int64)
        self.wraps = np.zeros(0, dtype=bool)
        self.bvec = core.bond_vectors(lattice, self.nbr) if n else np.zeros((0, 0, 3))
        self.kb = np.zeros(n)
        self.ptr = np.zeros(1, dtype=np.int64)
        self.field_oe = 0.0
        self.sweeps_done = 0.0
        self.accepted = 0
        self.attempts = 0
        self.reversals = 0
        self.n_phase = n_p
        self.layer = lattice.host_layer.astype(np.int64)
        self.n_layers = lattice.n_layers
        self.per_layer = np.bincount(self.layer, minlength=self.n_layers).astype(np.float64)
        self.volume_cm3 = float(lattice.volume_cm3)
        self.axis = np.asarray(model.axis, dtype=np.float64)
        self._initialised = False

    @classmethod
    def for_simulation(cls, sim) -> "Magnet":
        """Build from a Simulation's config (sections ``phases``, ``exchange``, ``magnet``)."""
        conf = sim.config
        phases = conf.plugins["phases"].create().build(sim.lattice)
        model = conf.plugins["exchange"].create().build(sim.lattice, phases, conf.temperature_k)
        return cls(sim.lattice, phases, model, conf.sections["magnet"], conf.temperature_k, sim.seeds["spins"])

    # --- state changes ------------------------------------------------------------------------
    def update_phases(self, occ: np.ndarray) -> tuple[int, int]:
        """Recompute phases from the N occupancy; give new ferromagnetic sites random spins, let them
        turn in their neighbours' field (``new_site_passes``) and take the spins of sites that turned
        paramagnetic. Returns (sites gained, sites lost)."""
        new = self.tables.phases(occ, self.hmnbr).astype(np.int8)
        if self._initialised and np.array_equal(new, self.phase):
            return 0, 0
        ferro = self.tables.ferromagnetic[new]
        gained = np.flatnonzero(ferro & ~self.is_ferro).astype(np.int64)
        lost = np.flatnonzero(~ferro & self.is_ferro)
        if self.model.vector:
            core.randomize_vector(self.spins, gained, self.rng)
        else:
            core.randomize_ising(self.spins, gained, self.rng)
        self.spins[lost] = 0
        self.phase, self.is_ferro = new, ferro
        self.active = np.flatnonzero(ferro).astype(np.int64)
        self.jb = core.bond_table(self.nbr, self.phase, self.j_phase)
        self.members, self.ptr, self.wraps = core.exchange_clusters(self.active, self.nbr, self.jb, self.bvec)
        self.mu = np.where(ferro, self.tables.moment_mub[np.arange(self.n_host), self.phase], 0.0)
        self.ks = self.model.k_phase_ev[self.phase].astype(np.float64)
        self.kb = np.where(ferro, self.tables.anisotropy_ev[self.phase], 0.0)  # Néel–Brown: E_K = Σ kb
        self._initialised = True
        self.set_field(self.field_oe)
        self._settle(gained)
        return len(gained), len(lost)

    def _settle(self, gained: np.ndarray) -> None:
        """Let the sites that have just become ferromagnetic turn in the field of their neighbours
        (:func:`settle_sites`, ``new_site_passes``), in a random order."""
        if self.params.new_site_passes <= 0 or len(gained) == 0:
            return
        order = np.ascontiguousarray(gained[core.permutation(len(gained), self.rng)])
        settle_sites(self.model, self.spins, order, self.knbr, self.jb, self.hz, self.ks, self.axis, self.kt_ev,
                     int(self.params.new_site_passes), self.rng)

    def set_field(self, field_oe: float) -> None:
        """Applied field along the model's axis (Oe); Zeeman energy μ_i B in eV per site."""
        self.field_oe = float(field_oe)
        self.hz = self.mu * (MU_B_EV_PER_T * TESLA_PER_OE * self.field_oe)

    def relax(self, n_sweeps: float) -> int:
        """Metropolis sweeps over the ferromagnetic sites at k_B·T in the current field (fractional
        sweeps allowed: n_sweeps × sites attempts); then, with ``spanning_orientation = "held"``,
        every spanning cluster's net moment is turned back onto its minimum σe. Returns the number
        of accepted moves."""
        n_att = int(round(n_sweeps * len(self.active)))
        if n_att <= 0:
            return 0
        held = self.params.spanning_orientation == "held"
        if held:
            sigma = layer_signs(self.spins, self.members, self.ptr, self.wraps, self.mu, self.kb, self.axis,
                                self.field_oe * TESLA_PER_OE, MU_B_EV_PER_T)
        m = self.model
        kernels = core.sweep_kernels(m.delta_e)  # this plug-in's sweeps, cached on disk (kmc.core.kernels)
        sequential = bool(self.params.sequential_sweeps)
        if m.vector:
            acc = kernels.sweep_vector(self.spins, self.active, self.knbr, self.jb, self.hz, self.ks, self.axis,
                                       m.step, self.kt_ev, n_att, self.rng, sequential)
        else:
            acc = kernels.sweep_ising(self.spins, self.active, self.knbr, self.jb, self.hz, self.kt_ev, n_att,
                                      self.rng, sequential)
        if held:
            hold_layers(self.spins, self.members, self.ptr, self.mu, self.axis, sigma,
                        bool(getattr(m, "rotatable", False)))
        self.sweeps_done += n_sweeps
        self.attempts += n_att
        self.accepted += acc
        return acc

    def reverse(self, dt_s: float) -> int:
        """Néel–Brown reversal of every exchange-connected cluster over dt_s (s), sampled exactly
        (kmc.core.reversal); the anisotropy energy of a site is its phase's ``anisotropy_ev``.
        Returns the number of clusters reversed."""
        if dt_s <= 0 or len(self.active) == 0:
            return 0
        n = reverse_clusters(self.spins, self.members, self.ptr, self.wraps, self.mu, self.kb, self.axis,
                             self.field_oe * TESLA_PER_OE, self.kt_ev, self.params.attempt_frequency_hz,
                             dt_s, self.rng, MU_B_EV_PER_T)
        self.reversals += n
        return n

    # --- Process protocol ---------------------------------------------------------------------
    def start_segment(self, sim, segment) -> None:
        self.update_phases(sim.ions.occ)
        self.set_field(sim.field_oe)

    def advance(self, sim, t0_s: float, t1_s: float) -> None:
        """Couple to the ions at t1_s: new phases, internal equilibration, reversal over (t0_s, t1_s]."""
        self.update_phases(sim.ions.occ)
        p = self.params
        seg, start = sim.segment, sim.segment_starts[sim.segment_index]
        dt = max(t1_s - t0_s, 0.0)
        k = 1 if seg.field_end_oe is None or seg.field_end_oe == seg.field_oe else int(p.field_substeps)
        for s in range(1, k + 1):
            self.set_field(seg.field_at(t0_s + (t1_s - t0_s) * s / k - start))
            self.relax(p.equilibration_sweeps / k)
            self.reverse(dt / k)

    # --- checkpoints ------------------------------------------------------------------------
    def state(self) -> dict:
        """Copies of the mutable attributes (:attr:`STATE`), for :meth:`load_state`."""
        return capture(self, self.STATE)

    def load_state(self, state: dict) -> None:
        """Continue exactly from a :meth:`state` of a magnet built from the same config and seed."""
        load(self, self.STATE, state)

    # --- observables --------------------------------------------------------------------------
    def projection(self) -> np.ndarray:
        """s_i·e of every site (0 on paramagnetic sites). Written out element by element, not as a
        BLAS product, whose kernel (and so the last bit) depends on the CPU: same seed, same bits."""
        if self.model.vector:
            s, e = self.spins, self.axis
            return s[:, 0] * e[0] + s[:, 1] * e[1] + s[:, 2] * e[2]
        return self.spins.astype(np.float64)

    def magnetization_emu_cm3(self) -> float:
        """M along the field axis, emu/cm³ of initial nominal film volume."""
        # math.fsum: the correctly rounded sum, the same on every machine (np.dot is a BLAS call)
        return math.fsum(self.mu * self.projection()) * MU_B_EMU / self.volume_cm3

    def saturation_emu_cm3(self) -> float:
        """M_S: every ferromagnetic moment aligned, emu/cm³ of initial nominal film volume."""
        return float(self.mu.sum()) * MU_B_EMU / self.volume_cm3

    def magnetization_profiles(self) -> tuple[np.ndarray, np.ndarray]:
        """(M along the field axis, M_S) per layer, emu/cm³ of the layer's initial nominal volume."""
        per_cm3 = MU_B_EMU * self.n_layers / self.volume_cm3
        m = np.bincount(self.layer, weights=self.mu * self.projection(), minlength=self.n_layers)
        ms = np.bincount(self.layer, weights=self.mu, minlength=self.n_layers)
        return m * per_cm3, ms * per_cm3

    def phase_fractions(self) -> np.ndarray:
        return np.bincount(self.phase, minlength=self.n_phase) / max(self.n_host, 1)

    def phase_profile(self) -> np.ndarray:
        counts = np.bincount(self.layer * self.n_phase + self.phase,
                             minlength=self.n_layers * self.n_phase).reshape(self.n_layers, self.n_phase)
        with np.errstate(invalid="ignore", divide="ignore"):
            return counts / self.per_layer[:, None]


class MagnetObserver:
    """Phase fractions, M, M_S and their depth profiles each frame (reads a :class:`Magnet`, never changes it)."""

    name = "magnet"

    def __init__(self, magnet: Magnet):
        self.magnet = magnet

    def fields(self, sim):
        mg = self.magnet
        names = list(mg.tables.names)
        return {
            "magnetization": FieldSpec(units="emu/cm^3", description="M along the applied-field axis per initial "
                                       "nominal film volume (M_R when the field is 0)"),
            "saturation_magnetization": FieldSpec(units="emu/cm^3", description="M_S: all ferromagnetic moments "
                                                  "aligned, per initial nominal film volume"),
            "phase_fraction": FieldSpec((mg.n_phase,), ("phase",), units="1",
                                        description="fraction of metal sites in each phase",
                                        attrs={"phase_names": names}),
            "phase_profile": FieldSpec((mg.n_layers, mg.n_phase), ("layer", "phase"), units="1",
                                       description="fraction of the metal sites of each layer in each phase, "
                                       "layer 0 = bottom", attrs={"phase_names": names}),
            "magnetization_profile": FieldSpec((mg.n_layers,), ("layer",), units="emu/cm^3",
                                               description="M along the applied-field axis per layer, per the "
                                               "layer's initial nominal volume, layer 0 = bottom"),
            "saturation_profile": FieldSpec((mg.n_layers,), ("layer",), units="emu/cm^3",
                                            description="M_S per layer (all its ferromagnetic moments aligned), "
                                            "per the layer's initial nominal volume, layer 0 = bottom"),
            "spin_sweeps": FieldSpec(units="sweeps", description="Metropolis sweeps since t = 0"),
            "spin_acceptance": FieldSpec(units="1", description="accepted / attempted spin moves since t = 0"),
            "cluster_reversals": FieldSpec(units="1", description="Néel–Brown reversals of exchange-connected "
                                           "clusters since t = 0"),
        }

    def observe(self, sim):
        mg = self.magnet
        m_prof, ms_prof = mg.magnetization_profiles()
        return {"magnetization": mg.magnetization_emu_cm3(), "saturation_magnetization": mg.saturation_emu_cm3(),
                "magnetization_profile": m_prof, "saturation_profile": ms_prof,
                "phase_fraction": mg.phase_fractions(), "phase_profile": mg.phase_profile(),
                "spin_sweeps": mg.sweeps_done,
                "spin_acceptance": mg.accepted / mg.attempts if mg.attempts else np.nan,
                "cluster_reversals": mg.reversals}
