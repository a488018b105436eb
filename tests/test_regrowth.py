"""Where regrown moment comes from (kmc.model.regrowth, mikmc regrowth, kmc.publish.regrowth_doc), on
cases whose answer is known: a chain of sites, a metal slab that grows on itself beside a lone
nucleus, a short run traced at every coupling and at segment ends."""

import json
import math

import numpy as np
import pytest

from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.model.magnet import Magnet, MagnetParams
from kmc.model.regrowth import APART, GROWN_ON, NONE, RESIDUAL, grown_on_network, origin_summary, walk
from kmc.plugins.exchange.heisenberg import Heisenberg
from kmc.plugins.phases.coordination import CoordinationPhases
from kmc.units import MU_B_EMU


def test_a_piece_grows_on_the_network_only_through_bonds_with_exchange():
    """Chain 0-1-2-3 and pair 4-5; site 0 old; 1, 2, 3, 4, 5 gained. With every J > 0, 1-3 grew on the
    network and 4-5 nucleated apart; with J = 0 on the bond 1-2, only 1 did."""
    nbr = np.array([[1, -1], [0, 2], [1, 3], [2, -1], [5, -1], [4, -1]], dtype=np.int64)
    jb = np.where(nbr >= 0, 0.01, 0.0)
    old = np.array([1, 0, 0, 0, 0, 0], dtype=bool)
    gained = ~old
    assert grown_on_network(gained, old, nbr, jb).tolist() == [False, True, True, True, False, False]
    jb[1, 1] = jb[2, 0] = 0.0
    assert grown_on_network(gained, old, nbr, jb).tolist() == [False, True, False, False, False, False]
    assert not grown_on_network(np.zeros(6, bool), old, nbr, jb).any()


@pytest.fixture(scope="module")
def film():
    return RocksaltFilm(thickness_nm=3.0, cells_xy=(3, 3)).build(2)


def _snapshot(magnet, occ, k):
    magnet.update_phases(occ)
    return {"index": k, "occupancy": occ.copy(), "phase": magnet.phase.copy(), "spin": magnet.spins.copy()}


def test_a_slab_grows_on_itself_beside_a_lone_nucleus(film):
    phases = CoordinationPhases().build(film)
    model = Heisenberg().build(film, phases, 300.0)
    scratch = Magnet(film, phases, model, MagnetParams(), 300.0, 1)
    occ = np.ones(film.n_sites, dtype=np.int8)
    occ[film.layer < 3] = 0
    snaps = [_snapshot(scratch, occ, 0)]
    residual = scratch.is_ferro.copy()
    grown = occ.copy()
    grown[film.layer < 5] = 0
    top = int(np.flatnonzero(film.host_layer == film.host_layer.max())[0])  # a metal site far from the slab
    grown[film.host_mobile_nbr[top][film.host_mobile_nbr[top] >= 0]] = 0
    snaps.append(_snapshot(scratch, grown, 1))
    new = scratch.is_ferro & ~residual
    lone = film.host_layer > film.host_layer.max() // 2  # the nucleus: the top site and neighbours it leaves N-poor
    magnet = Magnet(film, phases, model, MagnetParams(), 300.0, 2)
    origin = walk(magnet, snaps)
    assert (origin[residual] == RESIDUAL).all()
    assert (origin[new & ~lone] == GROWN_ON).all() and (origin[new & lone] == APART).all() and origin[top] == APART
    assert (origin[~magnet.is_ferro] == NONE).all()
    # the grown layers return to the nitride: their sites are no longer counted; the slab stays residual
    back = walk(magnet, [*snaps, _snapshot(scratch, occ, 2)])
    assert (back == np.where(residual, RESIDUAL, NONE)).all()
    # moment and projection per origin add up to the magnet's M_S and M (all spins along the axis here)
    walk(magnet, snaps)
    magnet.spins[magnet.active] = magnet.axis
    s = origin_summary(magnet, origin)
    total = sum(v["moment_mub"] for v in s.values())
    assert total * MU_B_EMU / magnet.volume_cm3 == pytest.approx(magnet.saturation_emu_cm3())
    assert s["residual"]["projection_mub"] == pytest.approx(s["residual"]["moment_mub"])
    assert sum(p["moment_mub"] for p in s["residual"]["phases"].values()) == pytest.approx(s["residual"]["moment_mub"])
    for v in s.values():
        assert sum(v["block_moment_mub"]) == pytest.approx(v["moment_mub"])
    # the slab at the electrode, the layers grown on it above, the nucleus near the top
    assert s["residual"]["height_nm"] < s["grown_on"]["height_nm"] < s["apart"]["height_nm"] < 3.0
    assert s["residual"]["block_moment_mub"][-1] == 0 and s["apart"]["block_moment_mub"][0] == 0
    with pytest.raises(ValueError, match="no snapshot"):
        walk(magnet, [])


def _short_run(tmp_path, name, snapshot_interval):
    import zarr

    from kmc.config import load
    from kmc.engine.simulation import Simulation

    out = tmp_path / f"{name}.zarr"
    sets = {"lattice.thickness_nm": 4.0, "lattice.cells_xy": [3, 3], "segments.0.duration": "60 s",
            "segments.1.duration": "60 s", "segments.1.voltage_v": -25, "segments.1.field_oe": 0,
            "run.snapshot_interval": snapshot_interval}
    sim = Simulation(load("quick", sets), seed=2)
    sim.run(sim.open_store(zarr.open_group(str(out), mode="w")))
    return out


def test_cli_traces_a_run_at_every_coupling_and_at_segment_ends(tmp_path):
    """The same run traced with a snapshot at every coupling (exact) and at segment ends: the same end
    state (a snapshot only observes), the same moment in all, and never less residual moment in the
    coarse trace than in the exact one."""
    from click.testing import CliRunner

    from kmc.cli import main
    from kmc.publish import regrowth_doc

    fine, coarse = _short_run(tmp_path, "fine", "10 s"), _short_run(tmp_path, "coarse", "segment")
    res = CliRunner().invoke(main, ["regrowth", str(fine), str(coarse), "-o", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    a, b = json.loads((tmp_path / "r.json").read_text())["records"]
    assert a["exact"] and not b["exact"] and a["snapshots"] == 7 and b["snapshots"] == 2
    assert a["field_off_s"] == b["field_off_s"] == 60.0
    assert a["ms_emu_cm3"] == b["ms_emu_cm3"] and a["mr_emu_cm3"] == b["mr_emu_cm3"]
    for r in (a, b):
        total = sum(o["moment_mub"] for o in r["origins"].values())
        assert total * MU_B_EMU > 0
    ta, tb = (sum(o["moment_mub"] for o in r["origins"].values()) for r in (a, b))
    assert ta == pytest.approx(tb)  # the same ferromagnetic sites at the end, whatever the trace
    # a site lost and regained between two segment ends is residual to the coarse trace, regrown to the exact one
    assert b["origins"]["residual"]["moment_mub"] >= a["origins"]["residual"]["moment_mub"]
    # the generated block: one table per file, the pair recognised as one run (named a paper protocol here)
    for r in (a, b):
        r["state"], r["relax"] = "high", "3min"
    text = regrowth_doc.regrowth_markdown([[a], [b]], ["fine.json", "coarse.json"])
    assert "a snapshot at every coupling (exact)" in text and "up to 60 s apart" in text
    assert "1 runs appear in two files" in text and "identical to the last bit" in text
    v = regrowth_doc.run_values(a)
    assert 0 <= v["apart_share"] <= 1 and math.isfinite(v["regrown_share"])


def test_cli_refuses_a_protocol_that_never_switches_its_field_off(tmp_path):
    import zarr
    from click.testing import CliRunner

    from kmc.cli import main
    from kmc.config import load
    from kmc.engine.simulation import Simulation

    out = tmp_path / "s.zarr"
    sim = Simulation(load("quick", {"lattice.thickness_nm": 4.0, "segments.0.duration": "20 s",
                                    "segments.1.duration": "10 s"}), seed=2)
    sim.run(sim.open_store(zarr.open_group(str(out), mode="w")))
    res = CliRunner().invoke(main, ["regrowth", str(out), "-o", str(tmp_path / "r.json")])
    assert res.exit_code == 2 and "never switches its field off" in res.output
    assert not (tmp_path / "r.json").exists()


def test_cli_changes_the_magnetism_only_and_says_so(tmp_path):
    """--set of a magnetic key: the M2N-like class paramagnetic leaves fewer ferromagnetic sites and records
    the change; an ion key is refused before anything is written."""
    from click.testing import CliRunner

    from kmc.cli import main

    run = _short_run(tmp_path, "run", "10 s")
    para = ["--set", "phases.m2n_fe_mub=0", "--set", "phases.m2n_co_mub=0", "--set", "phases.m2n_curie_k=0"]
    res = CliRunner().invoke(main, ["regrowth", str(run), "-o", str(tmp_path / "a.json")])
    res2 = CliRunner().invoke(main, ["regrowth", str(run), "-o", str(tmp_path / "b.json"), *para])
    assert res.exit_code == 0 and res2.exit_code == 0, res.output + res2.output
    (a,), (b,) = (json.loads((tmp_path / n).read_text())["records"] for n in ("a.json", "b.json"))
    assert a["overrides"] == {} and b["overrides"]["phases.m2n_curie_k"] == 0
    assert b["ms_emu_cm3"] < a["ms_emu_cm3"]
    assert all(p["moment_mub"] == 0 for o in b["origins"].values() for n, p in o["phases"].items() if n == "Co2N/Fe2N")
    res = CliRunner().invoke(main, ["regrowth", str(run), "-o", str(tmp_path / "c.json"), "--set", "hops.barrier_ev=1"])
    assert res.exit_code == 2 and "only the magnetism" in res.output and not (tmp_path / "c.json").exists()
