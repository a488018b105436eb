"""With the default magnet parameters a pure phase orders at the Curie temperature its exchange
plug-in promises: Binder cumulants of two box sizes cross within a few % of T_C, and M(T) falls
through it. (The spins run at the real k_B·T: no rescaled temperature.)"""

import numpy as np
import pytest
from ase.build import bulk

from kmc.lattices.base import lattice_from_atoms
from kmc.model.magnet import Magnet, MagnetParams
from kmc.plugins.exchange.heisenberg import Heisenberg
from kmc.plugins.exchange.ising import Ising
from kmc.plugins.phases.coordination import METAL, CoordinationPhases


def metal_box(cells: int):
    """Rocksalt box, periodic in x, y and z, with every N site empty: pure CoFe on the fcc metal sublattice."""
    atoms = bulk("FeN", "rocksalt", a=4.24, cubic=True).repeat((cells, cells, cells))
    atoms.pbc = True
    return lattice_from_atoms(atoms, "N")


def binder_and_m(lattice, exchange, temperature_k, n_sweeps, seed):
    phases = CoordinationPhases().build(lattice)
    mg = Magnet(lattice, phases, exchange.build(lattice, phases, temperature_k), MagnetParams(), temperature_k, seed)
    mg.update_phases(np.zeros(lattice.n_sites, dtype=np.int8))
    assert (mg.phase == METAL).all()
    mg.relax(n_sweeps // 5)
    m = np.empty(n_sweeps)
    for k in range(n_sweeps):
        mg.relax(1)
        total = mg.spins.sum(axis=0)
        m[k] = np.sqrt(np.sum(total * total)) / len(mg.active)
    return 1.0 - np.mean(m ** 4) / (3.0 * np.mean(m ** 2) ** 2), m.mean()


@pytest.mark.parametrize("exchange", [Ising(), Heisenberg()], ids=["ising", "heisenberg"])
def test_pure_cofe_orders_at_its_curie_temperature_with_default_parameters(exchange):
    t_c = CoordinationPhases().curie_k[METAL]
    small, large = metal_box(3), metal_box(6)
    results = {}
    for ratio in (0.95, 1.05):
        t = ratio * t_c
        results[ratio] = [binder_and_m(lat, exchange, t, 6000, seed) for lat, seed in ((small, 1), (large, 2))]
    (u_s_below, m_s_below), (u_l_below, m_l_below) = results[0.95]
    (u_s_above, _), (u_l_above, m_l_above) = results[1.05]
    assert u_l_below > u_s_below  # ordered side: the larger box is more ordered
    assert u_l_above < u_s_above  # disordered side: the crossing lies within ±5 % of T_C
    assert m_l_below > 0.3 > m_l_above  # M falls through T_C
