"""The example plug-in package (examples/plugins), installed like a user's: ``pip install ./examples/plugins``.

Marked ``example``: the plain ``pytest`` deselects them; ``pytest -m example tests`` runs them.
"""

import subprocess
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from kmc import plugins
from kmc.testing import check_exchange_plugin, check_hop_plugin, tiny_lattices

pytestmark = pytest.mark.example
examples = pytest.importorskip("mikmc_examples", reason="pip install ./examples/plugins first")
MIKMC = [os.path.join(os.path.dirname(sys.executable), "mikmc")]  # the installed console script
SMALL = ["lattice.thickness_nm=3.0", "lattice.cells_xy=[2,2]", 'segments.0.duration="20 s"',
         'segments.1.duration="10 s"']


def test_installed_package_not_kmc_tree():
    assert "kmc" not in Path(examples.__file__).parts[-2:]
    assert plugins.distribution_of("mikmc.hops", "vacancy_assisted")[0] == "mikmc-example-plugins"


def test_discovered_by_the_cli():
    out = subprocess.run([*MIKMC, "plugins"], capture_output=True, text=True, check=True).stdout
    assert "vacancy_assisted     mikmc_examples.hops:VacancyAssistedHop" in out
    assert "clock                mikmc_examples.clock:Clock" in out


def test_hop_law_passes_the_contract_checker():
    check_hop_plugin(plugins.load("mikmc.hops", "vacancy_assisted"))


@pytest.mark.parametrize("q", [2, 6])
def test_clock_model_passes_the_contract_checker(q):
    check_exchange_plugin(plugins.load("mikmc.exchange", "clock")(q=q))


def test_hop_law_differs_from_arrhenius_where_the_film_is_depleted():
    from kmc.plugins.hops.arrhenius import ArrheniusHop

    lat = tiny_lattices()["rocksalt_film"]
    va = plugins.load("mikmc.hops", "vacancy_assisted")(nn_bond_ev=0.0, lowering_ev=0.15).build(lat, 300.0)
    ar = ArrheniusHop(barrier_ev=0.75, nn_bond_ev=0.0, co_shift_ev=0.0, nn2_bond_ev=0.0).build(lat, 300.0)
    bulk = int(np.flatnonzero((lat.hop_nbr >= 0).all(axis=1))[0])
    full, empty = 12 * va.n_static + va.env_static[bulk], va.env_static[bulk]
    assert va.base_rate_hz[full] == pytest.approx(ar.base_rate_hz[12 * ar.n_static])
    assert va.base_rate_hz[empty] / ar.base_rate_hz[0] == pytest.approx(np.exp(0.15 / (8.617333262e-5 * 300)))


def test_clock_spins_land_on_clock_states():
    from kmc.model.magnet import Magnet, MagnetParams
    from kmc.plugins.phases.coordination import CoordinationPhases

    lat = tiny_lattices()["rocksalt_film"]
    phases = CoordinationPhases().build(lat)
    model = plugins.load("mikmc.exchange", "clock")(q=4).build(lat, phases, 300.0)
    mag = Magnet(lat, phases, model, MagnetParams(), 300.0, 3)
    mag.update_phases(np.zeros(lat.n_sites, dtype=np.int8))
    mag.relax(200)
    s = mag.spins[mag.active]
    on_state = np.isclose(np.abs(s[:, 0]) + np.abs(s[:, 1]), 1.0) & np.isclose(s[:, 2], 0.0)
    assert on_state.mean() > 0.95


@pytest.mark.parametrize("sets", [["hops.name=\"vacancy_assisted\""], ["exchange.name=\"clock\"", "exchange.q=4"]])
def test_quick_protocol_runs(tmp_path, sets):
    args = [*MIKMC, "run", "quick", "--quiet", "-o", str(tmp_path / "r.zarr")]
    for s in [*sets, *SMALL]:
        args += ["--set", s]
    res = subprocess.run(args, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "done:" in res.stdout
    info = subprocess.run([*MIKMC, "info", str(tmp_path / "r.zarr")], capture_output=True, text=True, check=True)
    assert sets[0].split("=")[1].strip('"') in info.stdout
