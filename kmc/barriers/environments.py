"""The local environment of an N hop on the rocksalt N sublattice, and its symmetry.

Coordinates are integers in units of a/2 (a: cubic lattice constant), the start site of the hop at
the origin and, in the canonical frame, the target at ``HOP`` = (1, 1, 0). The environment is

* ``shell``: occupation (``1``/``0``) of the 12 N neighbour sites of the start site, in the order of
  :data:`SHELL_N`; the target is one of them and always ``0`` (the hop needs it vacant);
* ``metals``: ``1`` for Co, ``0`` for Fe on the 6 metal neighbours of the start site (:data:`METALS`).

Its *code* is what the KMC core resolves (``HopTables``): ``n_occ`` = occupied N neighbours of the
start site (0..11; the target is vacant) and ``n_co`` = Co among its metal neighbours (0..6).

Two environments that differ by a symmetry operation of the hop (the 4 operations of the cubic
group that fix the start site and the hop vector, :data:`HOP_GROUP`) have the same barrier;
:meth:`Environment.canonical` picks one representative per orbit, so enumeration and sampling are
"up to symmetry".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

#: the 12 N neighbours of an N site (fcc sublattice), units of a/2, sorted
SHELL_N: tuple[tuple[int, int, int], ...] = tuple(sorted(
    v for v in itertools.product((-1, 0, 1), repeat=3) if sum(abs(x) for x in v) == 2))
#: the 6 metal neighbours of an N site (octahedron), units of a/2, sorted
METALS: tuple[tuple[int, int, int], ...] = tuple(sorted(
    v for v in itertools.product((-1, 0, 1), repeat=3) if sum(abs(x) for x in v) == 1))
#: the hop vector in the canonical frame
HOP = (1, 1, 0)
#: index of the target in SHELL_N
TARGET = SHELL_N.index(HOP)
N_SHELL, N_METALS = len(SHELL_N), len(METALS)


def _cubic_group() -> list[np.ndarray]:
    """The 48 operations of the cube (signed permutation matrices)."""
    ops = []
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1, -1), repeat=3):
            m = np.zeros((3, 3), dtype=np.int64)
            for row, (col, sign) in enumerate(zip(perm, signs)):
                m[row, col] = sign
            ops.append(m)
    return ops


#: the cubic point group O_h of a site
OH: list[np.ndarray] = _cubic_group()
#: the operations that fix the hop vector: identity, x<->y, z -> -z, and both
HOP_GROUP: list[np.ndarray] = [m for m in OH if tuple(m @ np.array(HOP)) == HOP]


def _perm(op: np.ndarray, vectors) -> tuple[int, ...]:
    index = {v: i for i, v in enumerate(vectors)}
    return tuple(index[tuple(int(x) for x in op @ np.array(v))] for v in vectors)


#: site permutations of every operation: (shell permutation, metal permutation), for OH and HOP_GROUP
OH_PERMS = [(_perm(m, SHELL_N), _perm(m, METALS)) for m in OH]
HOP_PERMS = [(_perm(m, SHELL_N), _perm(m, METALS)) for m in HOP_GROUP]


@dataclass(frozen=True, order=True)
class Environment:
    """Site-resolved environment of a hop (see the module docstring for the two strings).

    Parameters
    ----------
    shell : str
        12 characters ``0``/``1``: N occupation of the start site's neighbours, order SHELL_N;
        the target (index TARGET) must be ``0``.
    metals : str
        6 characters ``0``/``1``: Fe / Co on the start site's metal neighbours, order METALS.
    """

    shell: str
    metals: str

    def __post_init__(self):
        if len(self.shell) != N_SHELL or set(self.shell) - {"0", "1"}:
            raise ValueError(f"shell = {self.shell!r}: must be {N_SHELL} characters 0/1 (N occupation of the "
                             "start site's neighbours, order kmc.barriers.environments.SHELL_N)")
        if self.shell[TARGET] != "0":
            raise ValueError(f"shell = {self.shell!r}: the target site (character {TARGET}) must be 0 (vacant)")
        if len(self.metals) != N_METALS or set(self.metals) - {"0", "1"}:
            raise ValueError(f"metals = {self.metals!r}: must be {N_METALS} characters 0/1 (Fe/Co on the start "
                             "site's metal neighbours, order kmc.barriers.environments.METALS)")

    @property
    def n_occ(self) -> int:
        """Occupied N neighbours of the start site (the code's first part)."""
        return self.shell.count("1")

    @property
    def n_co(self) -> int:
        """Co among the start site's metal neighbours (the code's second part)."""
        return self.metals.count("1")

    @property
    def code(self) -> tuple[int, int]:
        """(n_occ, n_co): what the KMC core's rate table resolves."""
        return self.n_occ, self.n_co

    @property
    def key(self) -> str:
        """``shell-metals``: the task id of this environment in a data file."""
        return f"{self.shell}-{self.metals}"

    def permuted(self, perms: tuple[tuple[int, ...], tuple[int, ...]]) -> Environment:
        """The environment after a symmetry operation given as (shell, metal) site permutations."""
        ps, pm = perms
        shell, metals = ["0"] * N_SHELL, ["0"] * N_METALS
        for i, j in enumerate(ps):
            shell[j] = self.shell[i]
        for i, j in enumerate(pm):
            metals[j] = self.metals[i]
        return Environment("".join(shell), "".join(metals))

    def canonical(self) -> Environment:
        """The representative of this environment's orbit under the hop's symmetry group."""
        return min(self.permuted(p) for p in HOP_PERMS)

    @classmethod
    def from_key(cls, key: str) -> Environment:
        shell, _, metals = key.partition("-")
        return cls(shell, metals)


def code_label(n_occ: int, n_co: int) -> str:
    """How errors and tables name an environment code."""
    return f"n_occ={n_occ}, n_co={n_co}"


@lru_cache(maxsize=None)
def orbit_representatives(n_occ: int, n_co: int) -> tuple[Environment, ...]:
    """Every environment with ``n_occ`` occupied N neighbours and ``n_co`` Co, up to symmetry (sorted)."""
    if not 0 <= n_occ <= N_SHELL - 1:
        raise ValueError(f"n_occ = {n_occ}: must be in [0, {N_SHELL - 1}] (the target of the hop is vacant)")
    if not 0 <= n_co <= N_METALS:
        raise ValueError(f"n_co = {n_co}: must be in [0, {N_METALS}]")
    others = [i for i in range(N_SHELL) if i != TARGET]
    reps = set()
    for occ in itertools.combinations(others, n_occ):
        shell = "".join("1" if i in occ else "0" for i in range(N_SHELL))
        for co in itertools.combinations(range(N_METALS), n_co):
            metals = "".join("1" if i in co else "0" for i in range(N_METALS))
            reps.add(Environment(shell, metals).canonical())
    return tuple(sorted(reps))


def enumerate_environments(n_occ_values, n_co_values, per_code: int = 0, seed: int = 0) -> list[Environment]:
    """Environments for every code (n_occ, n_co) of the two lists, up to symmetry.

    Parameters
    ----------
    n_occ_values, n_co_values : iterable of int
        Occupied N neighbours (0..11) and Co neighbours (0..6) of the start site.
    per_code : int
        0: every arrangement up to symmetry; k > 0: at most k per code, drawn at random (``seed``).
    seed : int
        Seed of that draw.
    """
    if per_code < 0:
        raise ValueError(f"per_code = {per_code}: must be >= 0 (0: all arrangements)")
    rng = np.random.default_rng(seed)
    out = []
    for n_occ in n_occ_values:
        for n_co in n_co_values:
            reps = orbit_representatives(int(n_occ), int(n_co))
            if per_code and len(reps) > per_code:
                reps = tuple(reps[i] for i in sorted(rng.choice(len(reps), per_code, replace=False)))
            out.extend(reps)
    return out


def rotation_to_hop(vector) -> np.ndarray:
    """An operation of O_h that maps the N–N neighbour ``vector`` (units of a/2) onto HOP."""
    v = np.asarray(vector, dtype=np.int64)
    for m in OH:
        if tuple(m @ v) == HOP:
            return m
    raise ValueError(f"{tuple(v)} is not an N–N neighbour vector (a permutation of (±1, ±1, 0))")


def environment_on_grid(occupied, is_co, start, target) -> Environment | None:
    """The canonical environment of the hop ``start`` -> ``target`` (integer grid points, units a/2).

    ``occupied(p)`` (N site p occupied: True/False, None if there is no such site) and ``is_co(p)``
    (metal site p is Co: True/False, None if missing) look the lattice up. None if a neighbour of
    the start site is missing (a film surface).
    """
    start = np.asarray(start, dtype=np.int64)
    rot_t = rotation_to_hop(np.asarray(target, dtype=np.int64) - start).T  # canonical -> lattice
    shell = []
    for i, v in enumerate(SHELL_N):
        occ = occupied(tuple(start + rot_t @ np.array(v)))
        if occ is None:
            return None
        shell.append("0" if i == TARGET else "1" if occ else "0")
    metals = []
    for v in METALS:
        co = is_co(tuple(start + rot_t @ np.array(v)))
        if co is None:
            return None
        metals.append("1" if co else "0")
    return Environment("".join(shell), "".join(metals)).canonical()


class Grid:
    """Integer grid (units of a/2) of the N and metal sites of a rocksalt structure, periodic where
    ``pbc``: look-ups for :func:`environment_on_grid`.

    Parameters
    ----------
    n_xyz, metal_xyz : (n, 3) float arrays
        Positions (Å) of the N sites and the metal sites.
    cell : (3, 3) array
        Orthorhombic cell (Å).
    pbc : three bools
    half_a : float, optional
        a/2 in Å (default: the shortest N–N distance / √2).
    """

    def __init__(self, n_xyz, metal_xyz, cell, pbc, half_a: float | None = None):
        n_xyz, metal_xyz = np.asarray(n_xyz, float), np.asarray(metal_xyz, float)
        lengths = np.diag(np.asarray(cell, float))
        self.pbc = np.asarray(pbc, dtype=bool)
        origin = n_xyz[0]
        if half_a is None:
            d = n_xyz[1:] - origin
            d -= np.where(self.pbc, lengths * np.round(d / np.where(lengths > 0, lengths, 1.0)), 0.0)
            half_a = float(np.sqrt((d * d).sum(axis=1)).min()) / np.sqrt(2.0)
        self.half_a = half_a
        self.period = np.round(lengths / half_a).astype(np.int64)

        def grid(xyz):
            return np.round((xyz - origin) / half_a).astype(np.int64)

        self.n_pos, self.m_pos = grid(n_xyz), grid(metal_xyz)
        self.n_index = {self.wrap(p): i for i, p in enumerate(map(tuple, self.n_pos))}
        self.m_index = {self.wrap(p): i for i, p in enumerate(map(tuple, self.m_pos))}

    def wrap(self, p) -> tuple[int, int, int]:
        return tuple(int(x % n) if per else int(x) for x, n, per in zip(p, self.period, self.pbc))

    def n_site(self, p) -> int | None:
        return self.n_index.get(self.wrap(p))

    def metal_site(self, p) -> int | None:
        return self.m_index.get(self.wrap(p))


def sample_snapshots(store, count: int, seed: int = 0, run: str | None = None) -> list[Environment]:
    """Up to ``count`` distinct environments (up to symmetry) of hops possible in a run's snapshots.

    Every draw takes a random snapshot, a random occupied N site with a full shell of neighbours
    (12 N, 6 metals: bulk-like, not at a film surface) and at least one vacant neighbour, and a
    random vacant neighbour as target; environments already drawn are skipped. ``run`` is the
    group of a campaign store (``points/0/replicas/0``), None for a single run.
    """
    import zarr

    from kmc.storage.snapshots import read_snapshot, read_state

    group = zarr.open_group(str(store), mode="r", path=run or "")
    if "snapshots" not in group:
        raise ValueError(f"{store}{'/' + run if run else ''}: no snapshots in this store")
    taken = int(group["snapshots"].attrs.get("taken", 0))
    if taken == 0:
        raise ValueError(f"{store}: the run has no snapshot")
    rng = np.random.default_rng(seed)
    s0 = read_snapshot(group, 0)  # positions and species: the same in every snapshot
    snaps = [s0] + [read_state(group, k) for k in range(1, taken)]
    grid = Grid(s0["mobile_xyz"], s0["host_xyz"], s0["cell"], s0["pbc"])
    co = list(s0["host_symbols"]).index("Co") if "Co" in s0["host_symbols"] else -1
    host_co = np.asarray(s0["host_species"]) == co
    found: dict[Environment, None] = {}
    for _ in range(200 * count):
        if len(found) >= count:
            break
        occ = snaps[rng.integers(taken)]["occupancy"]
        occupied_sites = np.flatnonzero(occ == 1)
        if not len(occupied_sites):
            continue
        s = int(rng.choice(occupied_sites))
        p = grid.n_pos[s]
        vacant = []
        for v in SHELL_N:
            j = grid.n_site(p + np.array(v))
            if j is not None and occ[j] == 0:
                vacant.append(v)
        if not vacant:
            continue
        v = vacant[rng.integers(len(vacant))]

        def occupied(q, occ=occ):
            j = grid.n_site(q)
            return None if j is None else bool(occ[j])

        def is_co(q):
            j = grid.metal_site(q)
            return None if j is None else bool(host_co[j])

        env = environment_on_grid(occupied, is_co, p, p + np.array(v))
        if env is not None:
            found.setdefault(env)
    return list(found)
