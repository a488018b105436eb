"""Turn any ASE ``Atoms`` with a named mobile sublattice into the flat tables the core reads.

z is the film normal. x and y follow the cell's ``pbc``; z is never periodic for a film
(bottom: blocking electrode, top: electrolyte). All lengths are in Å.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list

_Z_TOL_A = 1e-3  # Å: two sites closer in z than this belong to the same layer


@dataclass(frozen=True)
class Lattice:
    """A film of mobile sites (the N sublattice) and host sites (the metals).

    Attributes
    ----------
    atoms : ase.Atoms
        The whole structure; mobile sites keep their symbol (as-grown, fully occupied).
    mobile : (n_sites,) int64
        Atom index of every mobile site; mobile site ``s`` is ``atoms[mobile[s]]``.
    host : (n_host,) int64
        Atom index of every host (metal) site.
    hop_nbr : (n_sites, z) int64
        Mobile-site neighbours reachable in one hop, padded with -1 at the film surfaces.
    hop_vec : (n_sites, z, 3) float64
        Hop vector in Å for each entry of ``hop_nbr`` (minimum image).
    hop_class : (n_sites, z) int8
        Index into ``dz_classes`` of each hop's z component.
    dz_classes : (n_cls,) float64
        The distinct z components of hops in Å, ascending (e.g. [-h, 0, +h]).
    layer : (n_sites,) int32
        Depth layer of each mobile site, 0 = bottom (electrode side).
    layer_z : (n_layers,) float64
        z of each layer in Å.
    host_nbr : (n_sites, m) int64
        Host neighbours of each mobile site (host-list indices, -1 padded).
    host_species : (n_host,) int8
        Species code of each host site (index into ``host_symbols``).
    host_symbols : tuple[str, ...]
        Names of the host species codes.
    host_host_nbr : (n_host, k) int64
        Nearest host–host neighbours (host-list indices, -1 padded), for exchange.
    host_mobile_nbr : (n_host, m) int64
        Mobile neighbours of each host site (mobile indices, -1 padded).
    host_layer : (n_host,) int32
        Depth layer of each host site (nearest mobile layer).
    area_nm2 : float
        Lateral film area in nm².
    thickness_nm : float
        Nominal film thickness in nm (host sites span it).
    """

    atoms: Atoms
    mobile: np.ndarray
    host: np.ndarray
    hop_nbr: np.ndarray
    hop_vec: np.ndarray
    hop_class: np.ndarray
    dz_classes: np.ndarray
    layer: np.ndarray
    layer_z: np.ndarray
    host_nbr: np.ndarray
    host_species: np.ndarray
    host_symbols: tuple
    host_host_nbr: np.ndarray
    host_mobile_nbr: np.ndarray
    host_layer: np.ndarray
    area_nm2: float
    thickness_nm: float

    def shell(self, k: int = 2) -> np.ndarray:
        """(n_sites, z_k) mobile sites of the k-th neighbour shell, -1 padded (:func:`mobile_shell`)."""
        return mobile_shell(self, k)

    @property
    def n_sites(self) -> int:
        return len(self.mobile)

    @property
    def n_layers(self) -> int:
        return len(self.layer_z)

    @property
    def sites_per_layer(self) -> np.ndarray:
        return np.bincount(self.layer, minlength=self.n_layers)

    @property
    def volume_cm3(self) -> float:
        """Nominal film volume (area × thickness) in cm³."""
        return self.area_nm2 * self.thickness_nm * 1e-21


def _pad(rows: list[np.ndarray], fill=-1, dtype=np.int64) -> np.ndarray:
    width = max((len(r) for r in rows), default=0)
    out = np.full((len(rows), width), fill, dtype=dtype)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


def _group(i: np.ndarray, j: np.ndarray, n: int) -> list[np.ndarray]:
    """Split a pair list (i sorted or not) into per-i neighbour arrays."""
    order = np.lexsort((j, i))
    i, j = i[order], j[order]
    bounds = np.searchsorted(i, np.arange(n + 1))
    return [j[bounds[k] : bounds[k + 1]] for k in range(n)]


def _layers(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(z)
    zs = z[order]
    new = np.concatenate([[True], np.diff(zs) > _Z_TOL_A])
    ids_sorted = np.cumsum(new) - 1
    ids = np.empty(len(z), dtype=np.int32)
    ids[order] = ids_sorted
    return ids, zs[new]


def _spread_bits(v: np.ndarray) -> np.ndarray:
    """Insert two zero bits after each of the low 21 bits of v (for 3D Morton codes)."""
    v = v.astype(np.uint64) & np.uint64(0x1FFFFF)
    for shift, mask in ((32, 0x1F00000000FFFF), (16, 0x1F0000FF0000FF), (8, 0x100F00F00F00F00F),
                        (4, 0x10C30C30C30C30C3), (2, 0x1249249249249249)):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def site_order(pos: np.ndarray, order: str = "morton", grid_a: float = 1.0) -> np.ndarray:
    """A permutation of sites at positions ``pos`` (Å): the order of the mobile-site indices.

    ``"morton"``: along a 3D Z-order curve of the positions on a grid of ``grid_a`` Å, so the
    sites an event touches (a site, its hop neighbours, theirs) are close in memory and their
    sum-tree paths meet a few levels above the leaves. ``"depth"``: layer by layer from the
    bottom, then y, then x. The order changes which random number picks which event, never the
    distribution of trajectories.
    """
    if order == "depth":
        return np.lexsort((np.round(pos[:, 0], 3), np.round(pos[:, 1], 3), np.round(pos[:, 2], 3)))
    if order != "morton":
        raise ValueError(f"site order must be 'morton' or 'depth', got {order!r}")
    q = np.floor((pos - pos.min(axis=0)) / grid_a + 0.5).astype(np.int64)
    key = _spread_bits(q[:, 0]) | (_spread_bits(q[:, 1]) << np.uint64(1)) | (_spread_bits(q[:, 2]) << np.uint64(2))
    return np.argsort(key, kind="stable")


def lattice_from_atoms(atoms: Atoms, mobile_symbol: str = "N", hop_cutoff_a: float | None = None,
                       host_cutoff_a: float | None = None, host_host_cutoff_a: float | None = None,
                       thickness_nm: float | None = None, order: str = "morton") -> Lattice:
    """Build the neighbour tables of a film from any ASE structure.

    Parameters
    ----------
    atoms : ase.Atoms
        Structure with z as film normal; ``pbc`` should be (True, True, False) for a film.
    mobile_symbol : str
        Chemical symbol of the mobile sublattice (default "N").
    hop_cutoff_a : float, optional
        Largest mobile–mobile hop length in Å (default: 1.05 × shortest mobile–mobile distance).
    host_cutoff_a : float, optional
        Largest mobile–host bond length in Å (default: 1.05 × shortest such distance).
    host_host_cutoff_a : float, optional
        Largest host–host exchange bond in Å (default: 1.05 × shortest such distance).
    thickness_nm : float, optional
        Nominal thickness; default: span of all z plus one layer spacing.
    order : {"morton", "depth"}
        Order of the mobile sites in every table (see :func:`site_order`).
    """
    symbols = np.array(atoms.get_chemical_symbols())
    is_mob = symbols == mobile_symbol
    if not is_mob.any():
        raise ValueError(f"no atoms with symbol {mobile_symbol!r} to form the mobile sublattice")
    mobile = np.flatnonzero(is_mob).astype(np.int64)
    pos = atoms.positions[mobile]
    # neighbours get nearby indices: cache locality, and the sum-tree paths of an event's leaves
    # share most of their ancestors
    mobile = mobile[site_order(pos, order, grid_a=0.5 * _shortest(atoms, mobile, mobile))]
    host = np.flatnonzero(~is_mob).astype(np.int64)
    mob_index = np.full(len(atoms), -1, dtype=np.int64)
    mob_index[mobile] = np.arange(len(mobile))
    host_index = np.full(len(atoms), -1, dtype=np.int64)
    host_index[host] = np.arange(len(host))

    # one neighbour search, long enough for all three kinds of pairs
    def reach(a, b, cutoff):
        return cutoff if cutoff is not None else 1.05 * _shortest(atoms, a, b)

    probe = reach(mobile, mobile, hop_cutoff_a)
    if len(host):
        probe = max(probe, reach(host, host, host_host_cutoff_a), reach(mobile, host, host_cutoff_a))
    probe += 1e-3
    ii, jj, dd, DD = neighbour_pairs(atoms, probe)

    def pairs(a_mask, b_mask, cutoff):
        sel = a_mask[ii] & b_mask[jj]
        if not sel.any():
            return ii[sel], jj[sel], DD[sel]
        cut = cutoff if cutoff is not None else 1.05 * dd[sel].min()
        sel &= dd <= cut
        return ii[sel], jj[sel], DD[sel]

    # mobile-mobile hops
    hi, hj, hD = pairs(is_mob, is_mob, hop_cutoff_a)
    hi, hj = mob_index[hi], mob_index[hj]
    order = np.lexsort((hj, hi))
    hi, hj, hD = hi[order], hj[order], hD[order]
    n = len(mobile)
    counts = np.bincount(hi, minlength=n)
    z_max = counts.max()
    hop_nbr = np.full((n, z_max), -1, dtype=np.int64)
    hop_vec = np.zeros((n, z_max, 3))
    dz_round = np.round(hD[:, 2], 3)
    dz_classes = np.unique(dz_round)
    hop_class = np.zeros((n, z_max), dtype=np.int8)
    start = np.concatenate([[0], np.cumsum(counts)])
    slot = np.arange(len(hi)) - start[hi]
    hop_nbr[hi, slot] = hj
    hop_vec[hi, slot] = hD
    hop_class[hi, slot] = np.searchsorted(dz_classes, dz_round).astype(np.int8)

    z_mob = atoms.positions[mobile, 2]
    layer, layer_z = _layers(z_mob)

    if len(host):
        mi, mj, _ = pairs(is_mob, ~is_mob, host_cutoff_a)
        host_nbr = _pad(_group(mob_index[mi], host_index[mj], n))
        hh_i, hh_j, _ = pairs(~is_mob, ~is_mob, host_host_cutoff_a)
        host_host_nbr = _pad(_group(host_index[hh_i], host_index[hh_j], len(host)))
        host_mobile_nbr = _pad(_group(host_index[mj], mob_index[mi], len(host)))
        host_syms = tuple(sorted({str(s) for s in symbols[host]}))
        host_species = np.array([host_syms.index(s) for s in symbols[host]], dtype=np.int8)
        z_host = atoms.positions[host, 2]
        host_layer = np.clip(np.searchsorted(layer_z, z_host - 0.5 * _spacing(layer_z)), 0,
                             len(layer_z) - 1).astype(np.int32)
    else:
        host_nbr = np.full((n, 0), -1, dtype=np.int64)
        host_host_nbr = np.zeros((0, 0), dtype=np.int64)
        host_mobile_nbr = np.zeros((0, 0), dtype=np.int64)
        host_syms = ()
        host_species = np.zeros(0, dtype=np.int8)
        host_layer = np.zeros(0, dtype=np.int32)

    cell = atoms.cell.array
    area_nm2 = float(np.linalg.norm(np.cross(cell[0], cell[1]))) / 100.0
    if thickness_nm is None:
        zall = atoms.positions[:, 2]
        thickness_nm = (zall.max() - zall.min() + _spacing(layer_z)) / 10.0
    return Lattice(atoms=atoms, mobile=mobile, host=host, hop_nbr=hop_nbr, hop_vec=hop_vec,
                   hop_class=hop_class, dz_classes=dz_classes.astype(np.float64), layer=layer,
                   layer_z=layer_z, host_nbr=host_nbr, host_species=host_species,
                   host_symbols=host_syms, host_host_nbr=host_host_nbr,
                   host_mobile_nbr=host_mobile_nbr, host_layer=host_layer,
                   area_nm2=area_nm2, thickness_nm=float(thickness_nm))


def neighbour_pairs(atoms: Atoms, cutoff_a: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every ordered pair (i, j) closer than ``cutoff_a`` (Å): i, j, distance, vector j − i (minimum image).

    The same pairs as ``ase.neighborlist.neighbor_list("ijdD", atoms, cutoff_a)`` (in another
    order; callers sort), found with a periodic k-d tree when the cell is orthorhombic: O(N) memory
    of about 0.3 kB per atom, where ASE's binning needs ~16 kB per atom at this cutoff. Other cells
    fall back to ASE.
    """
    from scipy.spatial import cKDTree

    cell = atoms.cell.array
    pbc = np.asarray(atoms.pbc, dtype=bool)
    lengths = np.diag(cell)
    if not np.allclose(cell, np.diag(lengths)) or (pbc & (2 * cutoff_a >= lengths)).any():
        return neighbor_list("ijdD", atoms, cutoff_a)
    pos = atoms.positions.copy()
    box = lengths.copy()
    for d in range(3):
        if pbc[d]:
            pos[:, d] %= lengths[d]
        else:  # open direction: a box long enough that nothing wraps
            lo = pos[:, d].min()
            pos[:, d] -= lo
            box[d] = pos[:, d].max() + 2 * cutoff_a + 1.0
    pos %= box  # values equal to the box length (rounding) wrap to 0
    pairs = cKDTree(pos, boxsize=box).query_pairs(cutoff_a, output_type="ndarray")
    i, j = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    vec = pos[j] - pos[i]
    vec -= box * np.round(vec / box)
    dist = np.sqrt((vec * vec).sum(axis=1))
    return (np.concatenate([i, j]), np.concatenate([j, i]), np.concatenate([dist, dist]),
            np.concatenate([vec, -vec]))


def _spacing(layer_z: np.ndarray) -> float:
    return float(np.diff(layer_z).min()) if len(layer_z) > 1 else 1.0


def _shortest(atoms: Atoms, a: np.ndarray, b: np.ndarray) -> float:
    """Shortest a–b distance (minimum image) in Å, from a small probe of a-sites."""
    probe = a[: min(len(a), 8)]
    cell = atoms.cell.array
    lengths = np.diag(cell)
    if np.allclose(cell, np.diag(lengths)):  # orthorhombic: minimum image by rounding, O(len(b))
        pbc = np.asarray(atoms.pbc, dtype=bool)
        pos = atoms.positions
        d = []
        for i in probe:
            v = pos[b] - pos[int(i)]
            v[:, pbc] -= lengths[pbc] * np.round(v[:, pbc] / lengths[pbc])
            d.append(np.sqrt((v * v).sum(axis=1)))
    else:
        d = [atoms.get_distances(int(i), b, mic=True) for i in probe]
    d = np.concatenate(d)
    d = d[d > 1e-6]
    return float(d.min())


def mobile_shell(lattice: Lattice, shell: int = 2) -> np.ndarray:
    """(n_sites, z_k) int64 mobile sites in the ``shell``-th neighbour shell of every mobile site
    (1: the hop neighbours' distance, 2: the next distinct distance, ...), -1 padded at the film's
    surfaces; shells are told apart by their distance rounded to 10⁻³ Å. Built on demand (hop laws
    with interactions beyond the first shell), not stored on the Lattice."""
    if not isinstance(shell, (int, np.integer)) or shell < 1:
        raise ValueError(f"shell must be an int >= 1, got {shell!r}")
    sub = Atoms(positions=lattice.atoms.positions[lattice.mobile], cell=lattice.atoms.cell, pbc=lattice.atoms.pbc)
    d1 = float(np.linalg.norm(lattice.hop_vec[lattice.hop_nbr >= 0], axis=-1).min())
    i, j, d, _ = neighbour_pairs(sub, (shell + 0.5) * d1)
    dist = np.round(d, 3)
    shells = np.unique(dist)
    if len(shells) < shell:
        raise ValueError(f"the mobile sublattice has {len(shells)} neighbour shell(s) within "
                         f"{(shell + 0.5) * d1:.3g} Å, not {shell}")
    sel = dist == shells[shell - 1]
    return _pad(_group(i[sel], j[sel], lattice.n_sites))
