"""Diffraction of configurations built by hand: rocksalt, γ′-ordered and random N."""

import numpy as np
from ase.build import bulk

from kmc.analysis.diffraction import PAPER_SPACINGS_A, shell_intensities, slice_report, spacings_shown, superstructure_index

A = 4.24


def rocksalt_cells(n=4):
    atoms = bulk("FeN", "rocksalt", a=A, cubic=True).repeat((n, n, n))
    metal = np.array([s != "N" for s in atoms.get_chemical_symbols()])
    return atoms.positions, metal


def intensities(occupied_n):
    pos, metal = rocksalt_cells()
    keep = metal | occupied_n
    z = np.where(metal, 26.0, 7.0)[keep]
    return shell_intensities(pos[keep], z, A)


def test_pure_rocksalt_shows_111_at_2_45_and_no_superstructure():
    pos, metal = rocksalt_cells()
    inten = intensities(~metal)
    shown = spacings_shown(inten, A)
    assert 2.448 in shown and 2.12 in shown and 4.24 not in shown and 3.0 not in shown
    assert superstructure_index(inten) < 1e-6


def test_gamma_prime_order_shows_superstructure_and_random_n_does_not():
    pos, metal = rocksalt_cells()
    frac = np.mod(pos / A, 1.0)
    body_centre = ~metal & np.all(np.isclose(frac, 0.5, atol=1e-6), axis=1)  # 1 of 4 octahedral sites per cell
    assert body_centre.sum() == 4 ** 3
    ordered = intensities(body_centre)
    rng = np.random.default_rng(0)
    random = ~metal & (rng.random(len(metal)) < 0.25)
    disordered = intensities(random)
    assert superstructure_index(ordered) > 3e-3  # (7·64)² / (26·256 + 7·64)² ≈ 4e-3 for perfect order
    assert superstructure_index(disordered) < 3e-4
    shown = spacings_shown(ordered, A)
    assert 1.731 in shown and 4.24 in shown  # (211) and (100): the paper's 1.73 Å needs ordered N


def test_slices_of_a_snapshot_report_the_paper_spacings():
    from kmc.lattices.rocksalt_film import RocksaltFilm

    lat = RocksaltFilm(thickness_nm=3.0, cells_xy=(4, 4)).build(1)
    pos = lat.atoms.positions
    snapshot = {"host_symbols": list(lat.host_symbols), "host_species": lat.host_species,
                "host_xyz": pos[lat.host], "mobile_xyz": pos[lat.mobile],
                "occupancy": np.ones(lat.n_sites, dtype=np.int8)}
    rows = slice_report(snapshot, n_slices=2)
    assert len(rows) == 2 and all(r["atoms"] > 0 for r in rows)
    for r in rows:
        assert r["paper"][2.45] is not None and r["paper"][2.11] is not None
        assert r["paper"][2.27] is None and r["paper"][2.66] is None and r["paper"][2.08] is None  # other lattices
        assert r["superstructure"] < 1e-6
    assert set(rows[0]["paper"]) == set(PAPER_SPACINGS_A)
