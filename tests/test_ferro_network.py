"""The ferromagnetic-network measures (kmc.model.ferro_network) on states whose answer is known:
a metallic slab spanning the cell orders well below its Curie temperature and loses its order above
it; isolated moments span nothing; the result depends only on the seed."""

import math

import numpy as np
import pytest

from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.model.ferro_network import network_summary, order_retained
from kmc.model.magnet import Magnet, MagnetParams
from kmc.plugins.exchange.heisenberg import Heisenberg
from kmc.plugins.exchange.ising import Ising
from kmc.plugins.phases.coordination import CoordinationPhases


@pytest.fixture(scope="module")
def film():
    return RocksaltFilm(thickness_nm=3.0, cells_xy=(3, 3)).build(2)


def magnet(film, occ, exchange=Heisenberg):
    phases = CoordinationPhases().build(film)
    mg = Magnet(film, phases, exchange().build(film, phases, 300.0), MagnetParams(), 300.0, 5)
    mg.update_phases(occ)
    return mg


def slab(film, layers=4):
    occ = np.ones(film.n_sites, dtype=np.int8)
    occ[film.layer < layers] = 0  # N-free metal at the electrode, periodic in x and y
    return occ


def test_summary_of_a_slab_and_of_isolated_moments(film):
    s = network_summary(magnet(film, slab(film)))
    assert s["clusters"] == 1 and s["spanning_share"] == pytest.approx(1.0)
    assert sum(s["moment_share"].values()) == pytest.approx(1.0)
    assert s["moment_share"]["CoFe"] > 0.5  # the slab's top layer borders the nitride: Fe4N/M2N-like
    occ = np.ones(film.n_sites, dtype=np.int8)
    lone = [40, 200]  # two metal sites far apart, every N neighbour removed: two one-site clusters
    for i in lone:
        occ[film.host_mobile_nbr[i][film.host_mobile_nbr[i] >= 0]] = 0
    mg = magnet(film, occ)
    s = network_summary(mg)
    assert s["spanning_share"] == 0.0 and s["clusters"] >= 2
    r = order_retained(mg, 300.0, sweeps=(10,))
    assert math.isnan(r["order"][0]) and math.isnan(r["alignment"][0])


@pytest.mark.parametrize("exchange", [Heisenberg, Ising])
def test_a_slab_keeps_its_order_below_the_curie_temperature_and_loses_it_above(film, exchange):
    """CoFe (T_C = 1250 K with the defaults, which tests/test_curie.py checks): at 300 K a classical
    spin keeps M/M_S ≈ 0.85–0.95 (Heisenberg; Ising ≈ 1); at 3 T_C the slab's order falls to the
    1/√N of a paramagnet of a few hundred spins."""
    mg = magnet(film, slab(film), exchange)
    cold = order_retained(mg, 300.0, sweeps=(100, 400))
    assert min(cold["order"]) > 0.8 and min(cold["alignment"]) > 0.8
    assert all(x > 0.7 for x in cold["block_order"] if not math.isnan(x))
    hot = order_retained(mg, 3750.0, sweeps=(100, 400))
    assert hot["order"][-1] < 0.3
    assert hot["order"][-1] < cold["order"][-1] - 0.5


def test_same_seed_same_numbers_and_bad_input(film):
    a = order_retained(magnet(film, slab(film)), 900.0, sweeps=(50, 100), seed=3)
    b = order_retained(magnet(film, slab(film)), 900.0, sweeps=(50, 100), seed=3)
    assert repr(a) == repr(b)  # NaN blocks included
    mg = magnet(film, slab(film))
    with pytest.raises(ValueError, match="increasing"):
        order_retained(mg, 300.0, sweeps=(100, 50))
    with pytest.raises(ValueError, match="temperature_k"):
        order_retained(mg, 0.0)


def test_cli_rebuilds_the_run_and_measures_its_snapshots(tmp_path):
    """``mikmc network`` on a short run: the phases it recomputes from the stored N occupancy are the
    stored ones (else it refuses), one record per snapshot asked for, the order test's numbers."""
    import json

    import zarr
    from click.testing import CliRunner

    from kmc.cli import main
    from kmc.config import load
    from kmc.engine.simulation import Simulation

    out = tmp_path / "s.zarr"
    sets = {"lattice.thickness_nm": 4.0, "lattice.cells_xy": [3, 3], "segments.0.duration": "60 s",
            "segments.1.duration": "30 s"}
    sim = Simulation(load("quick", sets), seed=2)
    sim.run(sim.open_store(zarr.open_group(str(out), mode="w")))
    res = CliRunner().invoke(main, ["network", str(out), "-o", str(tmp_path / "n.json"), "--sweeps", "10,20",
                                    "--snapshot", "1", "--snapshot", "-1", "--temperature", "300"])
    assert res.exit_code == 0, res.output
    recs = json.loads((tmp_path / "n.json").read_text())["records"]
    assert [r["snapshot"] for r in recs] == [1, 2] and recs[0]["label"] == sim.config.segments[0].label
    assert all(len(r["order"]) == 1 and r["order"][0]["sweeps"] == [10.0, 20.0] for r in recs)
    group = zarr.open_group(str(out), mode="r+")
    phase = group["snapshots/phase"]
    phase[1] = np.where(phase[1] == 0, 3, 0).astype(np.int8)  # stored phases no longer those of the occupancy
    res = CliRunner().invoke(main, ["network", str(out), "-o", str(tmp_path / "m.json"), "--sweeps", "10",
                                    "--snapshot", "1"])
    assert res.exit_code != 0 and "differ from the stored ones" in res.output
    res = CliRunner().invoke(main, ["network", str(out), "-o", str(tmp_path / "m.json"), "--sweeps", "20,10"])
    assert res.exit_code != 0 and "increasing" in res.output
    res = CliRunner().invoke(main, ["network", str(out), "-o", str(tmp_path / "m.json"), "--sweeps", "10",
                                    "--set", "hops.barrier_ev=1.0"])
    assert res.exit_code != 0 and "only the magnetism" in res.output
    para = ["--set", "phases.m2n_fe_mub=0", "--set", "phases.m2n_co_mub=0", "--set", "phases.m2n_curie_k=0"]
    res = CliRunner().invoke(main, ["network", str(out), "-o", str(tmp_path / "p.json"), "--sweeps", "10",
                                    "--snapshot", "-1", *para])
    assert res.exit_code == 0, res.output
    rec = json.loads((tmp_path / "p.json").read_text())["records"][0]
    assert rec["moment_share"]["Co2N/Fe2N"] == 0.0 and rec["overrides"]["phases.m2n_curie_k"] == 0
    assert rec["ms_emu_cm3"] <= recs[1]["ms_emu_cm3"] and rec["ferro_sites"] <= recs[1]["ferro_sites"]


def test_cli_refuses_a_run_without_snapshots(tmp_path):
    """A run written with snapshots off has nothing to analyse: a one-line error, no JSON."""
    import zarr
    from click.testing import CliRunner

    from kmc.cli import main
    from kmc.config import load
    from kmc.engine.simulation import Simulation

    out = tmp_path / "s.zarr"
    sets = {"lattice.thickness_nm": 4.0, "lattice.cells_xy": [3, 3], "segments.0.duration": "20 s",
            "segments.1.duration": "10 s", "run.snapshot_interval": "off"}
    sim = Simulation(load("quick", sets), seed=2)
    sim.run(sim.open_store(zarr.open_group(str(out), mode="w")))
    res = CliRunner().invoke(main, ["network", str(out), "-o", str(tmp_path / "n.json"), "--sweeps", "10"])
    assert res.exit_code != 0 and "no snapshot" in res.output and not (tmp_path / "n.json").exists()
