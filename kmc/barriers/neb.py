"""One N hop in an ASE supercell: build the two end states of an environment, run a climbing-image NEB.

The supercell is ``cells`` conventional rocksalt cells of ``metal`` + ``anion`` (all N sites
occupied), the start site of the hop near its centre. The environment (kmc.barriers.environments)
sets which N neighbours of the start site are vacant (the target always is) and which of its metal
neighbours carry the ``co`` species; everything else is the ideal, fully nitrided lattice. Atoms
farther than ``relax_radius_a`` (Å) from the middle of the hop stay on their ideal positions (the
moving ion always relaxes): with the default 2.2 Å that is the ion and the two metals it squeezes
between, which keeps one NEB to seconds with a cheap potential; raise it (``inf``: everything
relaxes) for production data.

Calculators: any ASE calculator, named in the config as ``module:attribute`` (a class or a
function returning a calculator) with keyword arguments, or a short name (:data:`SHORT_NAMES`).
Each image gets its own instance.
"""

from __future__ import annotations

import importlib
import math
import time
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np

from kmc.barriers.environments import HOP, METALS, SHELL_N, TARGET, Environment, Grid, environment_on_grid

#: calculators by short name (``calculator.name`` in a barriers config)
SHORT_NAMES = {"emt": "ase.calculators.emt:EMT", "lj": "ase.calculators.lj:LennardJones"}
OPTIMIZERS = ("FIRE", "BFGS", "LBFGS", "MDMin")


def _neb_class():
    """ASE's NEB: ``ase.mep.NEB`` (ASE >= 3.23), ``ase.neb.NEB`` before."""
    try:
        from ase.mep import NEB
    except ImportError:  # pragma: no cover - older ASE
        from ase.neb import NEB
    return NEB


@dataclass(frozen=True)
class Structure:
    """The supercell: rocksalt ``metal``/``anion``, ``co`` standing on the Co sites of an environment.

    Parameters
    ----------
    lattice_constant_a : float
        Cubic lattice constant (Å).
    cells : [int, int, int]
        Conventional cubic cells along x, y, z.
    metal, co, anion : str
        Chemical symbols of the Fe sites, the Co sites and the mobile ion (any the calculator knows:
        a stand-in is fine, e.g. Ni for Fe and Cu for Co with EMT).
    """

    lattice_constant_a: float = 4.24
    cells: tuple = (2, 2, 2)
    metal: str = "Fe"
    co: str = "Co"
    anion: str = "N"

    def __post_init__(self):
        if self.anion in (self.metal, self.co):
            raise ValueError(f"anion = {self.anion!r}: must differ from metal and co")
        if self.co == self.metal:
            raise ValueError(f"co = {self.co!r}: must differ from metal (with one metal, use n_co = [0] only)")
        if not 2.0 <= self.lattice_constant_a <= 10.0:
            raise ValueError(f"lattice_constant_a = {self.lattice_constant_a}: must be in [2, 10] Å")
        if len(self.cells) != 3 or any(not isinstance(c, int) or c < 2 for c in self.cells):
            raise ValueError(f"cells = {list(self.cells)}: must be three integers >= 2 (the shells of both "
                             "end sites must fit in the supercell)")


@dataclass(frozen=True)
class NebSettings:
    """Climbing-image NEB settings (units in the names: Å, eV/Å).

    Parameters
    ----------
    images : int
        Interior images (3–5 is enough for a barrier).
    fmax_ev_per_a : float
        Convergence: largest force on any image (eV/Å).
    endpoint_fmax_ev_per_a : float
        Convergence of the relaxation of the two end states (eV/Å).
    steps : int
        Most optimiser steps of the NEB (and of each end-state relaxation).
    optimizer : str
        FIRE, BFGS, LBFGS or MDMin (``ase.optimize``).
    max_step_a : float
        Step cap of the optimiser (Å).
    climb : bool
        Climbing image (the highest image is driven to the saddle point).
    method : str
        Tangent of ``ase.mep.NEB`` ("improvedtangent", "aseneb", "eb", "spline", "string").
    relax_radius_a : float
        Atoms within this distance (Å) of the middle of the hop relax; the rest stay on the ideal
        lattice (``inf``: all relax).
    """

    images: int = 3
    fmax_ev_per_a: float = 0.1
    endpoint_fmax_ev_per_a: float = 0.05
    steps: int = 300
    optimizer: str = "FIRE"
    max_step_a: float = 0.1
    climb: bool = True
    method: str = "improvedtangent"
    relax_radius_a: float = 2.2

    def __post_init__(self):
        if not isinstance(self.images, int) or not 1 <= self.images <= 30:
            raise ValueError(f"images = {self.images!r}: must be an integer in [1, 30] (interior images)")
        for key in ("fmax_ev_per_a", "endpoint_fmax_ev_per_a", "max_step_a"):
            value = getattr(self, key)
            if not (isinstance(value, (int, float)) and 0 < value < math.inf):
                raise ValueError(f"{key} = {value!r}: must be a number > 0")
        if not isinstance(self.steps, int) or self.steps < 1:
            raise ValueError(f"steps = {self.steps!r}: must be an integer >= 1")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer = {self.optimizer!r}: must be one of {', '.join(OPTIMIZERS)}")
        if not (isinstance(self.relax_radius_a, (int, float)) and self.relax_radius_a >= 0):
            raise ValueError(f"relax_radius_a = {self.relax_radius_a!r}: must be >= 0 Å (inf: all atoms relax)")


@dataclass(frozen=True)
class CalculatorSpec:
    """An ASE calculator by name: ``name`` = a short name (:data:`SHORT_NAMES`) or ``module:attribute``
    (a calculator class or a function returning one), called with ``kwargs``."""

    name: str = "emt"
    kwargs: dict = field(default_factory=dict)

    @property
    def target(self) -> str:
        return SHORT_NAMES.get(self.name, self.name)

    def factory(self):
        """The class or function (import errors as one-line ValueErrors)."""
        module, _, attr = self.target.partition(":")
        if not module or not attr:
            raise ValueError(f"calculator.name = {self.name!r}: a short name ({', '.join(SHORT_NAMES)}) or "
                             "'module:attribute', e.g. 'ase.calculators.emt:EMT' or 'gpaw:GPAW'")
        try:
            obj = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            raise ValueError(f"calculator.name = {self.name!r}: cannot import {self.target} ({exc})") from None
        return obj

    def make(self):
        """A new calculator instance."""
        return self.factory()(**self.kwargs)

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(self.kwargs.items()))
        return f"{self.target}({args})"


@dataclass
class NebResult:
    """Outcome of one NEB (energies in eV)."""

    env: Environment
    env_end: Environment | None  # environment of the reverse hop (ion on the target); None: incomplete
    barrier_ev: float
    barrier_back_ev: float
    delta_e_ev: float  # E(end) − E(start)
    converged: bool
    n_steps: int
    wall_s: float
    energies_ev: list

    def as_dict(self) -> dict:
        out = asdict(self)
        out["env"], out["env_end"] = self.env.key, None if self.env_end is None else self.env_end.key
        return out


def end_states(env: Environment, structure: Structure):
    """The initial and final ``Atoms`` of the hop in ``env``, the moving atom's index, the environment
    of the reverse hop and the middle of the hop (Å)."""
    from ase.build import bulk

    a = structure.lattice_constant_a
    atoms = bulk(f"Fe{structure.anion}", "rocksalt", a=a, cubic=True).repeat(tuple(structure.cells))
    atoms.set_chemical_symbols([structure.metal if s == "Fe" else s for s in atoms.get_chemical_symbols()])
    is_n = np.array([s == structure.anion for s in atoms.get_chemical_symbols()])
    grid = Grid(atoms.positions[is_n], atoms.positions[~is_n], atoms.cell.array, atoms.pbc, half_a=a / 2)
    n_atoms, m_atoms = np.flatnonzero(is_n), np.flatnonzero(~is_n)
    centre = np.round(np.diag(atoms.cell.array) / 2 / (a / 2)).astype(np.int64)
    centre += (centre.sum() % 2) * np.array([1, 0, 0])  # N sites have an even coordinate sum
    start = np.array(grid.wrap(centre))
    s = grid.n_site(start)
    # canonical frame = lattice frame: the hop goes along HOP
    vacant, symbols = set(), atoms.get_chemical_symbols()
    for i, v in enumerate(SHELL_N):
        if i == TARGET or env.shell[i] == "0":
            vacant.add(int(n_atoms[grid.n_site(start + np.array(v))]))
    for i, v in enumerate(METALS):
        if env.metals[i] == "1":
            symbols[int(m_atoms[grid.metal_site(start + np.array(v))])] = structure.co
    atoms.set_chemical_symbols(symbols)
    ion = int(n_atoms[s])
    target_xyz = atoms.positions[ion] + np.array(HOP) * a / 2  # unwrapped: the hop vector itself
    mid = atoms.positions[ion] + np.array(HOP) * a / 4
    keep = [i for i in range(len(atoms)) if i not in vacant]
    initial = atoms[keep]
    ion = keep.index(ion)
    final = initial.copy()
    final.positions[ion] = target_xyz

    occ_n = {grid.wrap(tuple(grid.n_pos[k])): int(n_atoms[k]) not in vacant for k in range(len(n_atoms))}
    co_m = {grid.wrap(tuple(grid.m_pos[k])): symbols[int(m_atoms[k])] == structure.co for k in range(len(m_atoms))}
    start_t, target_t = start, start + np.array(HOP)

    def occupied_after(q):
        q = grid.wrap(q)
        if q == grid.wrap(start_t):
            return False
        if q == grid.wrap(target_t):
            return True
        return occ_n.get(q)

    env_end = environment_on_grid(occupied_after, lambda q: co_m.get(grid.wrap(q)), target_t, start_t)
    return initial, final, ion, env_end, mid


def _free_mask(atoms, ion: int, mid, radius_a: float) -> np.ndarray:
    d = atoms.positions - mid
    cell = np.diag(atoms.cell.array)
    d -= cell * np.round(d / cell)
    free = np.sqrt((d * d).sum(axis=1)) <= radius_a
    free[ion] = True
    return free


def run_neb(env: Environment, structure: Structure, settings: NebSettings, calculator: CalculatorSpec,
            poll=None) -> NebResult:
    """Relax both end states, then a climbing-image NEB between them; barriers from the highest image.

    ``poll`` (optional) is called after every optimiser step (MPI rank 0 answers other ranks then).
    """
    import ase.optimize
    from ase.constraints import FixAtoms

    t0 = time.perf_counter()
    initial, final, ion, env_end, mid = end_states(env, structure)
    free = _free_mask(initial, ion, mid, settings.relax_radius_a)
    opt_cls = getattr(ase.optimize, settings.optimizer)
    n_steps, converged = 0, True

    def optimise(obj, fmax):
        nonlocal n_steps, converged
        opt = opt_cls(obj, maxstep=settings.max_step_a, logfile=None)
        if poll is not None:
            opt.attach(poll, interval=1)
        converged &= bool(opt.run(fmax=fmax, steps=settings.steps))
        n_steps += opt.nsteps

    for end in (initial, final):
        end.set_constraint(FixAtoms(mask=~free))
        end.calc = calculator.make()
        optimise(end, settings.endpoint_fmax_ev_per_a)
    images = [initial] + [initial.copy() for _ in range(settings.images)] + [final]
    for image in images[1:-1]:
        image.set_constraint(FixAtoms(mask=~free))
        image.calc = calculator.make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # ASE's notes on defaults; the method is explicit
        neb = _neb_class()(images, climb=settings.climb, method=settings.method)
        neb.interpolate(mic=True)
        optimise(neb, settings.fmax_ev_per_a)
    energies = [float(im.get_potential_energy()) for im in images]
    top = max(energies)
    return NebResult(env=env, env_end=env_end, barrier_ev=top - energies[0], barrier_back_ev=top - energies[-1],
                     delta_e_ev=energies[-1] - energies[0], converged=converged, n_steps=n_steps,
                     wall_s=time.perf_counter() - t0, energies_ev=[e - energies[0] for e in energies])
