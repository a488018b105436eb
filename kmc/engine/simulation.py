"""Simulation: builds a run from its config and steps it frame by frame through the protocol.

Data flow: ``RunConfig`` (kmc.config) -> lattice, hop tables and boundary from plug-ins ->
``IonSystem`` (kmc.model.ions) advanced by the jitted core between frame times -> processes coupled to
the ions (magnetism) step over the same interval -> observers measure -> ``RunStore`` (kmc.storage.store).
No physics lives here.
"""

from __future__ import annotations

import time
from typing import Callable, Protocol

import numpy as np

from kmc import __version__, plugins
from kmc.config import RunConfig
from kmc.model.ions import IonSystem
from kmc.config.protocol import Segment, frame_schedule, tick_schedule
from kmc.model.state import capture, load
from kmc.storage.store import FieldSpec, RunStore


class Observer(Protocol):
    """Measures the state at each frame; never changes it."""

    name: str

    def fields(self, sim: "Simulation") -> dict[str, FieldSpec]: ...

    def observe(self, sim: "Simulation") -> dict[str, np.ndarray]: ...


class Process(Protocol):
    """Something that evolves with the ions (e.g. spins): stepped after the ions over each interval."""

    name: str

    def start_segment(self, sim: "Simulation", segment: Segment) -> None: ...

    def advance(self, sim: "Simulation", t0_s: float, t1_s: float) -> None: ...

    coupling_interval_s: float  # simulated time (s) between two calls of advance

    def state(self) -> dict: ...

    def load_state(self, state: dict) -> None: ...


class IonObserver:
    """Protocol drive, N bookkeeping, depth profile, field and tracer displacement."""

    name = "ions"

    def fields(self, sim):
        n_l = sim.lattice.n_layers
        labels = [s.label for s in sim.config.segments]
        return {
            "time": FieldSpec(units="s", description="simulated time"),
            "voltage": FieldSpec(units="V", description="gate voltage on the film electrode"),
            "field": FieldSpec(units="Oe", description="applied in-plane magnetic field"),
            "segment": FieldSpec(dtype="int32", description="index of the protocol segment",
                                 attrs={"labels": labels}),
            "n_film": FieldSpec(dtype="int64", units="ions", description="N ions in the film"),
            "n_electrolyte": FieldSpec(dtype="int64", units="ions", description="N ions released into the electrolyte"),
            "n_surface_electrolyte": FieldSpec(dtype="int64", units="ions",
                                               description="of these, N ions still in the near-surface electrolyte"),
            "n_profile": FieldSpec((n_l,), ("layer",), units="1",
                                   description="fraction of N sites occupied per layer, layer 0 = bottom (electrode)",
                                   attrs={"layer_z_nm": (sim.lattice.layer_z / 10.0).tolist()}),
            "field_profile": FieldSpec((max(n_l - 1, 0),), ("gap",), units="MV/cm",
                                       description="electric field E_z between layers g and g+1"),
            "events": FieldSpec(dtype="int64", units="events", description="KMC events since t = 0"),
            "exits": FieldSpec(dtype="int64", units="ions", description="N releases into the electrolyte since t = 0"),
            "entries": FieldSpec(dtype="int64", units="ions", description="N re-entries from the electrolyte since t = 0"),
            "tracer_msd": FieldSpec((3,), ("axis",), units="Å^2",
                                    description="mean squared tracer displacement of N ions along x, y, z"),
        }

    def observe(self, sim):
        ions = sim.ions
        c = ions.counters()
        return {
            "time": sim.time_s, "voltage": sim.voltage_v, "field": sim.field_oe,
            "segment": sim.segment_index, "n_film": ions.n_film, "n_electrolyte": ions.n_electrolyte,
            "n_surface_electrolyte": ions.n_surface_electrolyte,
            "n_profile": ions.n_profile(), "field_profile": ions.gap_fields_v_per_m() / 1e8,
            "events": c["events"], "exits": c["exits"], "entries": c["entries"],
            "tracer_msd": (ions.disp ** 2).mean(axis=0),
        }


def derive_seeds(seed: int, spawn_key: tuple = ()) -> dict[str, np.random.SeedSequence]:
    """Independent streams for one run from a root seed (and a campaign's (point, replica) key)."""
    root = np.random.SeedSequence(seed, spawn_key=tuple(spawn_key))
    lattice, ions, spins = root.spawn(3)
    return {"lattice": lattice, "ions": ions, "spins": spins}


class Simulation:
    """One run of a protocol; :meth:`checkpoint_state` / :meth:`restore` continue it bit for bit.

    Parameters
    ----------
    config : RunConfig
    seed : int, optional
        Root seed (default: the config's ``run.seed``).
    spawn_key : tuple of int
        Campaign key, e.g. (point, replica): gives each replica its own streams.
    """

    #: what a checkpoint saves besides the ions and processes (frame_index: last frame done, -1: none;
    #: tick_index: last tick done; coupled_s: time of the last coupling of the processes)
    STATE = ("frame_index", "tick_index", "coupled_s", "segment_index", "wall_time_s")

    def __init__(self, config: RunConfig, seed: int | None = None, spawn_key: tuple = ()):
        self.config = config
        self.seed = config.seed if seed is None else int(seed)
        self.spawn_key = tuple(int(k) for k in spawn_key)
        self.seeds = derive_seeds(self.seed, self.spawn_key)
        t_k = config.temperature_k
        lattice_seed = int(self.seeds["lattice"].generate_state(1, np.uint32)[0])
        self.lattice = config.plugins["lattice"].create().build(lattice_seed)
        tables = config.plugins["hops"].create().build(self.lattice, t_k)
        boundary = config.plugins["boundary"].create().build(self.lattice, t_k)
        self.ions = IonSystem(self.lattice, tables, boundary, t_k, config.field, self.seeds["ions"])
        self.frames = frame_schedule(config.segments, config.frame_interval_s)
        self.segment_starts = np.concatenate([[0.0], np.cumsum([s.duration_s for s in config.segments])])
        self.segment_index = 0
        self.frame_index = self.tick_index = -1
        self.snapshots = None  # a kmc.storage.snapshots.SnapshotWriter once a store is opened
        self.coupled_s = 0.0
        self.wall_time_s = 0.0
        self.split_s = [0.0, 0.0]  # wall time (s) in the ions and in the processes (spins), this process
        self.observers: list[Observer] = [IonObserver()]
        self.processes: list[Process] = []
        if "exchange" in config.plugins and "phases" in config.plugins:
            from kmc.model.magnet import Magnet, MagnetObserver

            magnet = Magnet.for_simulation(self)
            self.processes.append(magnet)
            self.observers.append(MagnetObserver(magnet))
        self.n_ions0 = self.ions.n_ions
        coupling = min((p.coupling_interval_s for p in self.processes), default=config.frame_interval_s)
        self.ticks = tick_schedule(config.segments, config.frame_interval_s, coupling)

    # --- current drive ------------------------------------------------------------------------
    @property
    def time_s(self) -> float:
        return self.ions.time_s

    @property
    def segment(self) -> Segment:
        return self.config.segments[self.segment_index]

    @property
    def voltage_v(self) -> float:
        return self.ions.voltage_v

    @property
    def field_oe(self) -> float:
        seg = self.segment
        return seg.field_at(self.time_s - self.segment_starts[self.segment_index])

    # --- provenance ---------------------------------------------------------------------------
    def provenance(self) -> dict:
        plug = {}
        for section, spec in self.config.plugins.items():
            dist, version = plugins.distribution_of(spec.group, spec.name)
            plug[section] = {"name": spec.name, "distribution": dist, "version": version,
                             "class": f"{spec.cls.__module__}.{spec.cls.__qualname__}"}
        for proc in self.processes:
            plug.update(getattr(proc, "plugin_info", lambda: {})())
        return {"mikmc_version": __version__, "config": self.config.resolved(), "seed": self.seed,
                "spawn_key": list(self.spawn_key), "plugins": plug, "source": self.config.source,
                "title": self.config.title,
                "segments": [{"label": s.label, "voltage_v": s.voltage_v, "field_oe": s.field_oe,
                              "duration_s": s.duration_s, "start_s": float(t0)}
                             for s, t0 in zip(self.config.segments, self.segment_starts)],
                "film": {"n_mobile_sites": self.lattice.n_sites, "n_layers": self.lattice.n_layers,
                         "n_host_sites": len(self.lattice.host), "area_nm2": self.lattice.area_nm2,
                         "thickness_nm": self.lattice.thickness_nm, "n_ions_initial": self.n_ions0}}

    def fields(self) -> dict[str, FieldSpec]:
        out = {}
        for obs in self.observers:
            out.update(obs.fields(self))
        return out

    def observe(self) -> dict:
        out = {}
        for obs in self.observers:
            out.update(obs.observe(self))
        return out

    # --- checkpoints ------------------------------------------------------------------------
    def checkpoint_state(self) -> dict[str, dict]:
        """Everything a continuation needs: {"simulation": ..., "ions": ..., <process name>: ...}."""
        out = {"simulation": capture(self, self.STATE), "ions": self.ions.state()}
        out.update({proc.name: proc.state() for proc in self.processes})
        return out

    def restore(self, state: dict[str, dict]) -> None:
        """Load a :meth:`checkpoint_state` into this (new) Simulation, built from the same config and
        seed; :meth:`run` then continues after the saved frame."""
        parts = {"simulation", "ions", *(proc.name for proc in self.processes)}
        if set(state) != parts:
            raise ValueError(f"checkpoint holds {sorted(state)}, this run needs {sorted(parts)}")
        load(self, self.STATE, state["simulation"])
        self.ions.load_state(state["ions"])
        for proc in self.processes:
            proc.load_state(state[proc.name])

    # --- running ------------------------------------------------------------------------------
    def _enter_segment(self, index: int) -> None:
        self.segment_index = index
        self.ions.set_voltage(self.segment.voltage_v)
        for proc in self.processes:
            proc.start_segment(self, self.segment)

    def run(self, sink: RunStore | None = None, progress: Callable[["Simulation", int], None] | None = None) -> dict:
        """Run the protocol (from after ``tick_index`` if restored); write each frame to ``sink``.

        The run stops at the union of the frame times and the processes' coupling times
        (:func:`kmc.config.protocol.tick_schedule`): the ions advance to each, the processes advance at
        coupling times only, and frames only observe. Returns the last frame's values."""
        wall0 = time.perf_counter() - self.wall_time_s
        if self.frame_index < 0:
            self._enter_segment(0)
            self.frame_index = 0
            if self.snapshots is not None:  # before the frame: a checkpoint taken with it covers the snapshot
                self.snapshots.observe(self, 0)
            if sink is not None:
                sink.write_frame(0, self.observe())
        for k in range(self.tick_index + 1, len(self.ticks)):
            tick = self.ticks[k]
            if tick.segment != self.segment_index:
                self._enter_segment(tick.segment)
            t_a = time.perf_counter()
            self.ions.advance(tick.time_s)
            t_b = time.perf_counter()
            if tick.couple:
                for proc in self.processes:
                    proc.advance(self, self.coupled_s, tick.time_s)
                self.coupled_s = tick.time_s
            self.split_s[0] += t_b - t_a
            self.split_s[1] += time.perf_counter() - t_b
            if self.ions.n_film + self.ions.n_electrolyte != self.n_ions0:
                raise RuntimeError("N conservation violated: film + electrolyte != initial N")
            self.tick_index = k
            if tick.frame < 0:
                continue
            self.frame_index, self.wall_time_s = tick.frame, time.perf_counter() - wall0
            if self.snapshots is not None:
                self.snapshots.observe(self, tick.frame)
            if sink is not None:
                sink.write_frame(tick.frame, self.observe())
            if progress is not None:
                progress(self, tick.frame)
        wall = self.wall_time_s = time.perf_counter() - wall0
        values = self.observe()
        self.stats = {"wall_time_s": wall, "events": self.ions.events,
                      "events_per_s": self.ions.events / wall if wall > 0 else 0.0,
                      "ion_wall_time_s": self.split_s[0], "process_wall_time_s": self.split_s[1]}
        if sink is not None:
            sink.finish(performance=self.stats)
        return values

    def open_store(self, group) -> RunStore:
        """The run's store in ``group`` (frame arrays and, unless switched off, snapshots)."""
        store = RunStore(group, len(self.frames), self.fields(), self.provenance())
        self.attach_snapshots(group)
        return store

    def attach_snapshots(self, group) -> None:
        """Record snapshots into ``group/snapshots`` (created, or continued after a resume)."""
        from kmc.storage.snapshots import SnapshotWriter

        self.snapshots = SnapshotWriter(self, group) if self.config.snapshot_interval_s != 0 else None
