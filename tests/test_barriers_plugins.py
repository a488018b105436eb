"""The table and lce hop plug-ins: arrhenius reproduced from its own barriers, detailed balance of
lce against exact enumeration, the contract checker, and one-line errors for bad data files."""

from itertools import combinations

import numpy as np
import pytest

from kmc import config
from kmc.barriers import datafile
from kmc.barriers.datafile import BarrierRow
from kmc.barriers.fit import ClusterBasis
from kmc.model.ions import FieldModel, IonSystem
from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.plugins.boundary.closed import Closed
from kmc.plugins.hops.arrhenius import ArrheniusHop, co_neighbours
from kmc.plugins.hops.lce import LceHop
from kmc.plugins.hops.table import TableHop
from kmc.testing import check_hop_plugin
from kmc.units import K_B_EV

Z, M = 12, 6  # rocksalt: N neighbours, metal neighbours of an N site


def first_shell_arrhenius() -> ArrheniusHop:
    """The default arrhenius law without its second shell (ε₂ = 0): the table and lce laws read the
    first shell only, so this is the law they can reproduce."""
    return ArrheniusHop(nn2_bond_ev=0.0)


def arrhenius_rows(hop: ArrheniusHop) -> list[BarrierRow]:
    """The barriers of the arrhenius law for every code, computed as it computes them."""
    n_occ = np.repeat(np.arange(Z + 1), M + 1)
    n_co = np.tile(np.arange(M + 1), Z + 1)
    barrier = hop.barrier(n_occ, n_co)  # first shell only: the table and lce laws read no second shell
    return [BarrierRow(int(n), int(c), float(b), "arrhenius defaults") for n, c, b in zip(n_occ, n_co, barrier)]


@pytest.fixture(scope="module")
def film():
    return RocksaltFilm(thickness_nm=3.0, cells_xy=(2, 2), co_fraction=0.35).build(3)


@pytest.fixture(scope="module")
def arrhenius_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("table") / "arrhenius.csv"
    datafile.write(path, arrhenius_rows(first_shell_arrhenius()))
    return path


def _run(tables, lattice, seed=11, n_events=20000):
    occ = (np.random.default_rng(2).random(lattice.n_sites) < 0.8).astype(np.int8)
    ions = IonSystem(lattice, tables, Closed().build(lattice, 300.0), 300.0, FieldModel(), seed, occupancy=occ)
    ions.set_voltage(-5.0)
    ions.advance(np.inf, max_events=n_events)
    return ions


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_table_fed_arrhenius_barriers_reproduces_its_trajectory(film, tmp_path, suffix):
    path = tmp_path / f"arrhenius{suffix}"
    datafile.write(path, arrhenius_rows(first_shell_arrhenius()))
    ref = first_shell_arrhenius().build(film, 300.0)
    tab = TableHop(path=str(path)).build(film, 300.0)
    assert np.array_equal(ref.base_rate_hz, tab.base_rate_hz)  # bit for bit
    assert np.array_equal(ref.env_static, tab.env_static) and ref.n_static == tab.n_static
    a, b = _run(ref, film), _run(tab, film)
    assert a.time_s == b.time_s and a.counters() == b.counters()
    assert np.array_equal(a.occ, b.occ) and np.array_equal(a.disp, b.disp)


def test_table_and_lce_pass_the_contract_checker(arrhenius_csv, tmp_path):
    check_hop_plugin(TableHop(path=str(arrhenius_csv)))
    lce = LceHop(path=str(arrhenius_csv))  # kra form: checked hop by hop for detailed balance
    assert lce.detailed_balance
    check_hop_plugin(lce)
    check_hop_plugin(LceHop(path="emt_nin", min_barrier_ev=0.0))  # the bundled EMT stand-in data
    check_hop_plugin(LceHop(path="emt_nin", form="barrier", max_order=1, min_barrier_ev=0.0))


def test_lce_fitted_to_arrhenius_barriers_is_arrhenius(film, arrhenius_csv):
    hop = first_shell_arrhenius()
    lce = LceHop(path=str(arrhenius_csv), alpha=0.0)
    assert lce.fit.eci("N") == pytest.approx(hop.nn_bond_ev, abs=1e-12)
    assert lce.fit.eci("Co") == pytest.approx(hop.co_shift_ev, abs=1e-12)
    assert lce.fit.intercept_ev == pytest.approx(hop.barrier_ev, abs=1e-12)
    ref, got = hop.build(film, 300.0), lce.build(film, 300.0)
    used = got.base_rate_hz > 0
    assert np.allclose(ref.base_rate_hz[used], got.base_rate_hz[used], rtol=1e-9)
    occ = (np.random.default_rng(0).random(film.n_sites) < 0.5).astype(np.int8)
    assert lce.energy_ev(film, occ) == pytest.approx(hop.energy_ev(film, occ), abs=1e-9)


def _kra_data(path, j0=0.55, j_n=0.04, j_co=-0.03, j_coco=0.012):
    """A data file whose barriers are a known kra expansion (every code, no noise)."""
    basis = ClusterBasis("kra", 2)
    eci = np.array([j_n, j_co, j_coco])
    rows = [BarrierRow(n, c, float(j0 + basis.features_code(n, c) @ eci), "synthetic kra LCE")
            for n in range(Z) for c in range(M + 1)]
    datafile.write(path, rows)
    return path


def test_lce_rates_give_boltzmann_occupations_on_a_closed_box(tmp_path):
    """Detailed balance of the lce rates: occupations on a closed box against exact enumeration of
    the plug-in's energy (as tests/core/test_hopping.py does for arrhenius)."""
    lat = RocksaltFilm(thickness_nm=1.0, cells_xy=(2, 2), co_fraction=0.5).build(5)
    t_k, n_ions = 600.0, 5
    kt = K_B_EV * t_k
    lce = LceHop(path=str(_kra_data(tmp_path / "kra.csv")), alpha=0.0)
    n_co = co_neighbours(lat)
    g = np.array([lce.fit.barrier_ev(0, c) - lce.fit.intercept_ev for c in range(M + 1)])
    assert abs(g[2] - 2 * g[1]) > 1e-3  # the Co–Co pair makes G non-linear in n_co
    adj = np.zeros((lat.n_sites, lat.n_sites), dtype=np.int64)
    for i, row in enumerate(lat.hop_nbr):
        adj[i, row[row >= 0]] = 1
    combos = np.array(list(combinations(range(lat.n_sites), n_ions)))
    bonds = sum(adj[combos[:, i], combos[:, j]] for i, j in combinations(range(n_ions), 2))
    energy = -lce.fit.eci("N") * bonds - g[n_co[combos]].sum(axis=1)
    occ_all = np.zeros((len(combos), lat.n_sites))
    np.put_along_axis(occ_all, combos, 1.0, axis=1)
    for c in range(3):  # energy_ev is the energy the enumeration uses
        assert lce.energy_ev(lat, occ_all[c]) == pytest.approx(energy[c], abs=1e-12)
    w = np.exp(-(energy - energy.min()) / kt)
    w /= w.sum()
    exact_site = w @ occ_all
    exact_bonds = np.bincount(bonds, weights=w, minlength=bonds.max() + 1)

    tables = lce.build(lat, t_k)
    occ = np.zeros(lat.n_sites, dtype=np.int8)
    occ[combos[0]] = 1
    ions = IonSystem(lat, tables, Closed().build(lat, t_k), t_k, FieldModel(), 9, occupancy=occ)
    ions.advance(np.inf, max_events=20000)
    site = np.zeros(lat.n_sites)
    hist = np.zeros(len(exact_bonds))
    n_snap = 6000
    for _ in range(n_snap):
        ions.advance(ions.time_s + 30.0 / ions.total_rate_hz())
        site += ions.occ
        b = int(ions.nocc[ions.occ == 1].sum()) // 2
        hist[b] += 1
    by_class = [(n_co == c) for c in np.unique(n_co)]
    measured = np.array([site[m].mean() / n_snap for m in by_class])
    expected = np.array([exact_site[m].mean() for m in by_class])
    assert np.allclose(measured, expected, atol=0.03), (measured, expected)
    assert np.allclose(hist / n_snap, exact_bonds, atol=0.03), (hist / n_snap, exact_bonds)
    assert expected.max() - expected.min() > 0.1 and exact_bonds[1:].sum() > 0.3  # the energies matter


# --- errors: one line, naming what is wrong ---------------------------------------------------
def _write(tmp_path, text, name="bad.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


GOOD_HEADER = "n_occ,n_co,barrier_ev,source\n"


@pytest.mark.parametrize("text, message", [
    ("n_occ,n_co,source\n11,0,x\n", "the header has no column barrier_ev"),
    (GOOD_HEADER + "11,0,nan,x\n", "line 2: barrier_ev = 'nan': must be finite"),
    (GOOD_HEADER + "11,0,-0.2,x\n", "line 2: barrier_ev = '-0.2': barriers must be >= 0 eV"),
    (GOOD_HEADER + "11,0,abc,x\n", "line 2: barrier_ev = 'abc': not a number"),
    (GOOD_HEADER + "11,0,0.5\n", "line 2: 3 fields, the header has 4"),
    (GOOD_HEADER + "11,-1,0.5,x\n", "n_co = '-1': must be an integer >= 0"),
    (GOOD_HEADER + "11,0,0.5,\n", "line 2: no source"),
    (GOOD_HEADER, "no barrier rows"),
    ('{"rows": [{"n_occ": 1, "n_co": 0, "barrier_ev": null, "source": "x"}]}', "row 0: no barrier_ev"),
    ("{not json", "not valid JSON"),
    ("task,n_occ,n_co,shell,metals,barrier_ev,source\nt,10,0,111111111110,000000,0.5,x\n",
     "shell/metals give n_occ=11, n_co=0, the row says n_occ=10, n_co=0"),
])
def test_bad_data_file_is_one_line_error(tmp_path, text, message):
    path = _write(tmp_path, text)
    for cls in (TableHop, LceHop):
        with pytest.raises(ValueError) as info:
            cls(path=path)
        assert message in str(info.value) and "\n" not in str(info.value)


def test_missing_file_and_missing_path(tmp_path):
    with pytest.raises(ValueError, match=r"barrier data file '.*nowhere.csv' not found .*bundled data set: emt_nin"):
        TableHop(path=str(tmp_path / "nowhere.csv"))
    with pytest.raises(ValueError, match="path: required"):
        LceHop()


def test_table_names_the_environment_it_lacks(film, tmp_path):
    path = _write(tmp_path, GOOD_HEADER + "".join(f"{n},{c},0.6,x\n" for n in range(12) for c in range(7)
                                                 if (n, c) != (3, 2)))
    with pytest.raises(config.ConfigError) as info:
        TableHop(path=path).build(film, 300.0)
    msg = str(info.value)
    assert "has no barrier for the environment n_occ=3, n_co=2, which the lattice needs" in msg and "\n" not in msg
    tables = TableHop(path=path, default_barrier_ev=0.7).build(film, 300.0)
    assert tables.base_rate_hz[3 * 7 + 2] == pytest.approx(1e13 * np.exp(-0.7 / (K_B_EV * 300.0)))


def test_config_reports_data_problems_as_config_errors(tmp_path):
    bad = _write(tmp_path, GOOD_HEADER + "11,0,-1,x\n")
    with pytest.raises(config.ConfigError, match="hops = .*barriers must be >= 0 eV"):
        config.load("quick", {"hops.name": "table", "hops.path": bad})
    with pytest.raises(config.ConfigError, match="hops = .*form = 'saddle': must be one of kra, barrier"):
        config.load("quick", {"hops.name": "lce", "hops.path": "emt_nin", "hops.form": "saddle"})


def test_lce_names_a_negative_predicted_barrier(film):
    with pytest.raises(config.ConfigError, match=r"the fit predicts a barrier of -0\.0\d+ eV for the environment "
                                                 r"n_occ=0, n_co=0"):
        LceHop(path="emt_nin").build(film, 300.0)
    lce = LceHop(path="emt_nin", min_barrier_ev=0.0)
    assert lce.build(film, 300.0).base_rate_hz.max() <= 1e13 and not lce.detailed_balance


def test_hop_tables_refuse_a_second_shell_that_overlaps_the_hop_neighbours():
    """HopTables' contract: shell2 is symmetric and disjoint from the hop neighbours (a law reading
    its first shell twice would count each neighbour in both nocc and nocc2)."""
    from kmc.lattices.cubic import CubicTestLattice
    from kmc.plugins.hops.tables import HopTables

    lat = CubicTestLattice("sc", (3, 3, 3), 3.0, periodic_z=True).build(0)
    z = lat.hop_nbr.shape[1]
    overlap = HopTables(base_rate_hz=np.ones((z + 1) ** 2), env_static=np.zeros(lat.n_sites, dtype=np.int64),
                        n_static=1, charge_e=-3.0, shell2=lat.hop_nbr.astype(np.int64))
    overlap.check(lat.n_sites, z)  # symmetric: passes without the lattice's hop table
    with pytest.raises(ValueError, match="disjoint from the hop neighbours"):
        overlap.check(lat.n_sites, z, lat.hop_nbr)
    ArrheniusHop().build(lat, 300.0).check(lat.n_sites, z, lat.hop_nbr)  # the real second shell passes
