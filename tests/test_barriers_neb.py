"""mikmc barriers: the EMT NEB of one N hop against a direct ASE NEB, the end states it builds,
sampling from a run's snapshots, and the campaign (resume, limit, refusal, one-line errors)."""

import os
import warnings

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.constraints import FixAtoms
from ase.optimize import FIRE
from click.testing import CliRunner

from kmc.barriers import campaign, datafile
from kmc.barriers.environments import (HOP, METALS, SHELL_N, Environment, Grid, environment_on_grid,
                                       sample_snapshots)
from kmc.barriers.neb import CalculatorSpec, NebResult, NebSettings, Structure, end_states, run_neb
from kmc.cli import main
from kmc.config import ConfigError

A = 4.24  # Å
VACANT = (-1, 0, 1)  # a/2: an N neighbour behind the start site (the NEB test: asymmetric, ΔE != 0)
COPPER = (0, 0, 1)  # a/2: the metal above the start site


def _env(vacant=VACANT, copper=COPPER) -> Environment:
    shell = "".join("0" if v in (HOP, vacant) else "1" for v in SHELL_N)
    metals = "".join("1" if v == copper else "0" for v in METALS)
    return Environment(shell, metals)


def direct_ase_neb() -> tuple[float, float]:
    """The same hop written out with ASE alone: (forward, backward) barrier in eV."""
    from ase.mep import NEB  # ASE 3.23+ (ase.neb before)

    atoms = bulk("NiN", "rocksalt", a=A, cubic=True).repeat((2, 2, 2))
    cell = np.diag(atoms.cell.array)

    def site(xyz):  # index of the atom at xyz (minimum image)
        d = atoms.positions - xyz
        d -= cell * np.round(d / cell)
        return int(np.argmin((d * d).sum(axis=1)))

    start = atoms.positions[site(cell / 2 + [A / 2, 0, 0])].copy()
    half = A / 2
    atoms[site(start + half * np.array(COPPER))].symbol = "Cu"
    gone = sorted([site(start + half * np.array(HOP)), site(start + half * np.array(VACANT))], reverse=True)
    for i in gone:
        del atoms[i]
    ion = site(start)
    mid = start + half * np.array(HOP) / 2
    d = atoms.positions - mid
    d -= cell * np.round(d / cell)
    free = np.sqrt((d * d).sum(axis=1)) <= 2.2
    free[ion] = True
    initial, final = atoms, atoms.copy()
    final.positions[ion] = start + half * np.array(HOP)
    for end in (initial, final):
        end.set_constraint(FixAtoms(mask=~free))
        end.calc = EMT()
        FIRE(end, maxstep=0.1, logfile=None).run(fmax=0.05, steps=300)
    images = [initial] + [initial.copy() for _ in range(3)] + [final]
    for im in images[1:-1]:
        im.set_constraint(FixAtoms(mask=~free))
        im.calc = EMT()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        neb = NEB(images, climb=True, method="improvedtangent")
    neb.interpolate(mic=True)
    FIRE(neb, maxstep=0.1, logfile=None).run(fmax=0.1, steps=300)
    e = [im.get_potential_energy() for im in images]
    return max(e) - e[0], max(e) - e[-1]


def test_emt_neb_matches_a_direct_ase_neb():
    settings = NebSettings(images=3, fmax_ev_per_a=0.1, endpoint_fmax_ev_per_a=0.05, relax_radius_a=2.2)
    got = run_neb(_env(), Structure(A, (2, 2, 2), "Ni", "Cu", "N"), settings, CalculatorSpec("emt"))
    forward, backward = direct_ase_neb()
    assert got.converged
    assert got.barrier_ev == pytest.approx(forward, abs=2e-3)
    assert got.barrier_back_ev == pytest.approx(backward, abs=2e-3)
    assert got.delta_e_ev == pytest.approx(forward - backward, abs=2e-3)
    assert 0.05 < got.barrier_ev < 2.0 and abs(got.delta_e_ev) > 5e-3  # a barrier, not a collapse; asymmetric


def test_end_states_hold_the_environment_and_its_reverse():
    env = _env(vacant=(0, 1, -1), copper=(1, 0, 0))  # both shared by the start and the target site
    initial, final, ion, env_end, _ = end_states(env, Structure(A, (2, 2, 2), "Ni", "Cu", "N"))
    assert initial.get_chemical_formula() == "CuN30Ni31" and len(final) == len(initial)
    assert np.allclose(final.positions[ion] - initial.positions[ion], np.array(HOP) * A / 2)
    sym = np.array(initial.get_chemical_symbols())
    is_n = sym == "N"
    # every N site of the ideal cell, occupied or not, for the look-up
    ideal = bulk("NiN", "rocksalt", a=A, cubic=True).repeat((2, 2, 2))
    ideal_n = ideal.positions[np.array(ideal.get_chemical_symbols()) == "N"]
    grid = Grid(ideal_n, initial.positions[~is_n], initial.cell.array, initial.pbc, half_a=A / 2)
    occupied_pts = {grid.wrap(p) for p in np.round((initial.positions[is_n] - ideal_n[0]) / (A / 2)).astype(int)}
    cu = {grid.wrap(tuple(grid.m_pos[k])) for k, s in enumerate(sym[~is_n]) if s == "Cu"}
    p = np.round((initial.positions[ion] - ideal_n[0]) / (A / 2)).astype(int)

    def occupied(q):
        return None if grid.n_site(q) is None else grid.wrap(q) in occupied_pts

    assert environment_on_grid(occupied, lambda q: grid.wrap(q) in cu, p, p + np.array(HOP)) == env.canonical()
    # the reverse hop: ion on the target, start vacant; the target shares the Cu and the vacancy
    assert env_end.n_occ == 10 and env_end.n_co == 1


def test_environments_sampled_from_a_run(short_run):
    envs = sample_snapshots(short_run, count=5, seed=1)
    assert 1 <= len(envs) <= 5 and len(set(envs)) == len(envs)
    assert all(e.canonical() == e and e.n_co <= 6 for e in envs)
    assert sample_snapshots(short_run, count=5, seed=1) == envs  # reproducible from the seed


# --- the campaign, with a fake NEB (the EMT one is tested above) -------------------------------
def _fake_neb(env, structure, settings, calculator, poll=None):
    b = 0.5 + 0.01 * env.n_occ - 0.02 * env.n_co
    return NebResult(env=env, env_end=env, barrier_ev=b, barrier_back_ev=b, delta_e_ev=0.0, converged=True,
                     n_steps=1, wall_s=0.0, energies_ev=[0.0, b, 0.0])


CONFIG = """
title = "test"
[structure]
metal = "Ni"
co = "Cu"
[calculator]
name = "emt"
[neb]
images = 3
[[environments]]
n_occ = [11, 10]
n_co = [0, 1]
per_code = 2
"""


@pytest.fixture
def fake_neb(monkeypatch):
    monkeypatch.setattr(campaign, "run_neb", _fake_neb)


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_campaign_appends_resumes_and_refuses_other_settings(tmp_path, fake_neb, suffix):
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG)
    out = tmp_path / f"d{suffix}"
    conf = campaign.load_config(cfg)
    n = len(conf.environments())
    assert n == 1 + 2 + 2 + 2
    first = campaign.run_campaign(conf, out, limit=3, log=lambda m: None)
    assert (first.completed, first.done_before) == (3, 0)
    rest = campaign.run_campaign(conf, out, log=lambda m: None)
    assert (rest.completed, rest.done_before) == (n - 3, 3)
    again = campaign.run_campaign(conf, out, log=lambda m: None)
    assert again.completed == 0 and again.done_before == n
    data = datafile.read(out)
    assert len(data.rows) == 2 * n and data.tasks() == {e.key for e in conf.environments()}
    assert {r.direction for r in data.rows} == {"forward", "backward"}
    cfg.write_text(CONFIG.replace("images = 3", "images = 5"))
    with pytest.raises(ConfigError, match="was written with other structure, calculator or NEB settings"):
        campaign.run_campaign(campaign.load_config(cfg), out, log=lambda m: None)


def test_cli_run_envs_fit(tmp_path, fake_neb):
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG)
    out = tmp_path / "d.csv"
    res = CliRunner().invoke(main, ["barriers", "run", str(cfg), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "done: 7 NEBs" in res.output and "n_occ=10, n_co=1" in res.output
    res = CliRunner().invoke(main, ["barriers", "envs", str(cfg), "-o", str(out)])
    assert res.exit_code == 0 and res.output.count("done") == 7
    res = CliRunner().invoke(main, ["barriers", "fit", str(out), "--max-order", "1", "--alpha", "0"])
    assert res.exit_code == 0, res.output
    assert "CV RMSE" in res.output and "hops = { name = \"lce\"" in res.output
    assert "0.0100" in res.output and "-0.0200" in res.output  # the fake's ECIs: N 0.01, Co -0.02 eV


@pytest.mark.parametrize("text, message", [
    (CONFIG + "color = 1\n", "color = 1: unknown key"),
    (CONFIG.replace('name = "emt"', 'name = "nosuch.module:Calc"'), "cannot import nosuch.module:Calc"),
    (CONFIG.replace("images = 3", "images = 0"), "images = 0: must be an integer in [1, 30]"),
    (CONFIG.replace("n_occ = [11, 10]", "n_occ = [12]"), "environments[0].n_occ[0] = 12: must be an integer"),
    (CONFIG.replace('metal = "Ni"', 'metal = "N"'), "anion = 'N': must differ from metal and co"),
    (CONFIG.split("[[environments]]")[0], "needs at least one [[environments]] table"),
])
def test_bad_config_is_one_line(tmp_path, text, message):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    res = CliRunner().invoke(main, ["barriers", "run", str(cfg), "-o", str(tmp_path / "d.csv")])
    assert res.exit_code == 2 and message in res.output and res.output.count("\n") == 1, res.output
    assert not (tmp_path / "d.csv").exists()


def test_config_samples_a_runs_snapshots(tmp_path, short_run, fake_neb):
    cfg = tmp_path / "s.toml"
    cfg.write_text(CONFIG.split("[[environments]]")[0]
                   + f'[[environments]]\nsnapshots = "{os.path.relpath(short_run, tmp_path)}"\ncount = 4\n')
    conf = campaign.load_config(cfg)
    report = campaign.run_campaign(conf, tmp_path / "s.csv", log=lambda m: None)
    assert report.completed == len(conf.environments()) >= 1
    res = CliRunner().invoke(main, ["barriers", "fit", str(tmp_path / "nowhere.csv")])
    assert res.exit_code == 2 and "not found" in res.output and res.output.count("\n") == 1
