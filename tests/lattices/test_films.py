import numpy as np
import pytest

from kmc.lattices.cubic import CubicTestLattice
from kmc.lattices.rocksalt_film import RocksaltFilm, ZincblendeFilm


@pytest.fixture(scope="module")
def film():
    return RocksaltFilm(thickness_nm=5.0, cells_xy=(3, 3), co_fraction=0.35).build(4)


def test_rocksalt_film_composition_and_geometry(film):
    nz = round(50 / 4.24)
    assert film.n_sites == len(film.host) == 4 * 9 * nz
    assert film.n_layers == 2 * nz
    assert np.all(film.sites_per_layer == 18)
    co = film.host_symbols.index("Co")
    assert (film.host_species == co).sum() == round(0.35 * len(film.host))
    assert tuple(film.atoms.pbc) == (True, True, False)
    assert film.area_nm2 == pytest.approx((3 * 0.424) ** 2)
    assert film.volume_cm3 == pytest.approx(film.area_nm2 * nz * 0.424 * 1e-21)


def test_rocksalt_neighbour_tables(film):
    n_hop = (film.hop_nbr >= 0).sum(axis=1)
    interior = (film.layer > 0) & (film.layer < film.n_layers - 1)
    assert np.all(n_hop[interior] == 12)  # fcc N sublattice
    assert np.all(n_hop[~interior] == 8)  # no hops through the electrode or into the electrolyte
    assert np.allclose(np.linalg.norm(film.hop_vec[film.hop_nbr >= 0], axis=1), 4.24 / np.sqrt(2))
    assert np.allclose(film.dz_classes, [-2.12, 0.0, 2.12])
    assert np.allclose(film.hop_vec[..., 2][film.hop_nbr >= 0], film.dz_classes[film.hop_class[film.hop_nbr >= 0]], atol=1e-3)
    # hops are symmetric: j in nbr(i) <=> i in nbr(j)
    for i in range(0, film.n_sites, 37):
        for j in film.hop_nbr[i][film.hop_nbr[i] >= 0]:
            assert i in film.hop_nbr[j]
    n_metal = (film.host_nbr >= 0).sum(axis=1)
    assert np.all(n_metal[interior] == 6)
    assert np.all((film.host_host_nbr >= 0).sum(axis=1)[film.host_layer > 0] <= 12)


def test_second_neighbour_shell_of_the_n_sublattice(film):
    """mobile_shell(·, 2): on the fcc N sublattice the 6 sites at the lattice constant a (4 or 5
    within one layer of a surface), symmetric and disjoint from the hop neighbours; on periodic
    cubic test lattices the textbook second shells (sc 12 at √2a, bcc 6 at a, fcc 6 at a)."""
    from kmc.lattices.base import mobile_shell

    s2 = mobile_shell(film, 2)
    pos = film.atoms.positions[film.mobile]
    cell = np.diag(film.atoms.cell.array)
    i, j = np.nonzero(s2 >= 0)[0], s2[s2 >= 0]
    v = pos[j] - pos[i]
    v[:, :2] -= cell[:2] * np.round(v[:, :2] / cell[:2])
    assert np.allclose(np.linalg.norm(v, axis=1), 4.24)
    n2 = (s2 >= 0).sum(axis=1)
    deep = (film.layer > 1) & (film.layer < film.n_layers - 2)
    assert np.all(n2[deep] == 6) and set(np.unique(n2[~deep])) <= {5, 6}
    assert np.array_equal(np.sort(i * film.n_sites + j), np.sort(j * film.n_sites + i))
    assert not any(set(film.hop_nbr[k]) & set(s2[k][s2[k] >= 0]) for k in range(film.n_sites))
    for kind, z2, r in (("sc", 12, np.sqrt(2)), ("bcc", 6, 1.0), ("fcc", 6, 1.0)):
        lat = CubicTestLattice(kind, (4, 4, 4), 3.0, periodic_z=True).build(0)
        shell = mobile_shell(lat, 2)
        assert shell.shape == (lat.n_sites, z2) and (shell >= 0).all(), kind
        d = lat.atoms.get_distances(lat.mobile[0], lat.mobile[shell[0]], mic=True)
        assert np.allclose(d, 3.0 * r), (kind, d)
    with pytest.raises(ValueError, match="shell must be an int >= 1"):
        mobile_shell(film, 0)


def test_zincblende_has_four_metal_neighbours():
    zb = ZincblendeFilm(thickness_nm=3.0, cells_xy=(2, 2)).build(0)
    interior = (zb.layer > 0) & (zb.layer < zb.n_layers - 1)
    assert np.all((zb.host_nbr >= 0).sum(axis=1)[interior] == 4)


def test_cubic_test_lattices_coordination():
    for kind, z in (("sc", 6), ("bcc", 8), ("fcc", 12)):
        lat = CubicTestLattice(kind, (4, 4, 4), 3.0, periodic_z=True).build(0)
        assert np.all((lat.hop_nbr >= 0).sum(axis=1) == z)
        assert len(lat.host) == 0


def test_bad_lattice_parameters_are_refused():
    with pytest.raises(ValueError, match="co_fraction"):
        RocksaltFilm(co_fraction=1.5)
    with pytest.raises(ValueError, match="cells_xy"):
        RocksaltFilm(cells_xy=(0, 2))
    with pytest.raises(ValueError, match="kind"):
        CubicTestLattice("hcp")


@pytest.mark.parametrize("make", [lambda: RocksaltFilm(5, (2, 3)).build(3),
                                  lambda: CubicTestLattice("bcc", (4, 4, 5), 3.0, False).build(0),
                                  lambda: CubicTestLattice("fcc", (3, 3, 3), 3.0, True).build(0)])
def test_kd_tree_neighbours_are_ase_neighbour_list(make, monkeypatch):
    """The k-d tree search gives exactly the tables that ASE's neighbor_list gives."""
    import dataclasses

    from ase.neighborlist import neighbor_list

    from kmc.lattices import base

    fast = make()
    monkeypatch.setattr(base, "neighbour_pairs", lambda atoms, cutoff: neighbor_list("ijdD", atoms, cutoff))
    ref = make()
    for f in dataclasses.fields(fast):
        a, b = getattr(fast, f.name), getattr(ref, f.name)
        if isinstance(a, np.ndarray):
            assert a.shape == b.shape, f.name
            assert np.allclose(a, b, atol=1e-9) if a.dtype.kind == "f" else np.array_equal(a, b), f.name
