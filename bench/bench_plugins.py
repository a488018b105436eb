"""Hop-law speed: events per second with the default Arrhenius law vs the example package's
vacancy-assisted law, on the same films (the core does the same work per event; differences come
from the rate landscape, i.e. how many sum-tree leaves an event touches).

``arrhenius`` is the default law (first and second N–N shells). ``arrhenius-shell1`` is it with
ε₂ = 0: no second shell. The hop laws built from data (docs/barriers.md), ``table`` and ``lce``, run
here on the barriers of ``arrhenius-shell1`` (written to a data file; they read the first shell
only): the same rate landscape, so their events/s should equal arrhenius-shell1's within the
run-to-run scatter. ``arrhenius+shell2`` is arrhenius-shell1 with ε₂ = 10⁻⁹ eV: the same rate
landscape, but the core keeps the second shell's counts (2·z2 more records per event), so the
difference to arrhenius-shell1 is the cost of that bookkeeping. ``kra`` is the law whose barrier
follows the hop's energy change (defaults: the arrhenius defaults' energies), ``kra-v1=0.16`` it with a
first-shell repulsion of 0.16 eV: each event also updates the ions next to every vacant site whose
code changed (≈ 2(z+z2)·z more leaves), so the difference to ``arrhenius`` is the cost of the
destination factors. The last film repeats ``arrhenius`` and ``kra`` with the surface coupled to
the site energy (``boundary.site_energy_coupling``): exits and entries weighted per top site,
O(top layer) per event that touches the top layers' codes.

Run:  pip install ./examples/plugins && python bench/bench_plugins.py [--quick]
Figures are printed as a table; nothing is asserted (this is a benchmark, not a test).
"""

from __future__ import annotations

import argparse

import numpy as np

from kmc import plugins
from kmc.model.ions import FieldModel, IonSystem
from kmc.lattices.cubic import CubicTestLattice
from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.plugins.boundary.closed import Closed
from kmc.plugins.boundary.solubility import SolubilityLimited
from kmc.plugins.hops.arrhenius import ArrheniusHop
from kmc.plugins.hops.kra import KraHop
from kmc.plugins.hops.lce import LceHop
from kmc.plugins.hops.table import TableHop


from bench_kmc import events_per_s  # same measurement as the engine benchmark (bench/ is on sys.path)


def arrhenius_data_file() -> str:
    """A barrier data file holding the Arrhenius law's barriers for every code (eV)."""
    import tempfile

    from kmc.barriers import datafile

    hop = ArrheniusHop(nn2_bond_ev=0.0)
    rows = [datafile.BarrierRow(n, c, float(hop.barrier(n, c)), "arrhenius")
            for n in range(13) for c in range(7)]
    path = tempfile.NamedTemporaryFile(suffix=".csv", delete=False).name
    datafile.write(path, rows)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer events, smaller films")
    args = ap.parse_args()
    n_events = 200_000 if args.quick else 2_000_000
    hops = [name for name in ("arrhenius", "vacancy_assisted") if name in plugins.available("mikmc.hops")]
    if "vacancy_assisted" not in hops:
        print("note: the example package is not installed (pip install ./examples/plugins); default law only")
    makers = {name: plugins.load("mikmc.hops", name) for name in hops}
    data = arrhenius_data_file()
    makers["table"], makers["lce"] = (lambda: TableHop(path=data)), (lambda: LceHop(path=data))
    makers["arrhenius-shell1"] = lambda: ArrheniusHop(nn2_bond_ev=0.0)
    makers["arrhenius+shell2"] = lambda: ArrheniusHop(nn2_bond_ev=1e-9)
    makers["kra"], makers["kra-v1=0.16"] = KraHop, (lambda: KraHop(nn_pair_ev=0.16))
    hops += ["arrhenius-shell1", "table", "lce", "arrhenius+shell2", "kra", "kra-v1=0.16"]
    cells = 8 if args.quick else 16
    films = {
        f"closed fcc box {cells}³ cells, 10 % vacancies": lambda: (
            CubicTestLattice("fcc", (cells,) * 3, 4.24, periodic_z=True).build(0), Closed(), 0.0, 0.1),
        f"(Co,Fe)N film {10 if args.quick else 50} nm, gated at -25 V": lambda: (
            RocksaltFilm(thickness_nm=10 if args.quick else 50).build(1), SolubilityLimited(), -25.0, 0.0),
        "the same, surface coupled to the site energy": lambda: (
            RocksaltFilm(thickness_nm=10 if args.quick else 50).build(1),
            SolubilityLimited(site_energy_coupling=True), -25.0, 0.0),
    }
    coupled_hops = ["arrhenius", "kra"]
    print(f"{'film':45s} {'hop law':18s} {'sites':>8s} {'events/s':>10s} {'ns/event':>9s}")
    for label, make in films.items():
        for name in (coupled_hops if "coupled" in label else hops):
            lat, bnd, volts, vac = make()
            occ = (np.random.default_rng(0).random(lat.n_sites) >= vac).astype(np.int8)
            tables = makers[name]().build(lat, 300.0)
            ions = IonSystem(lat, tables, bnd.build(lat, 300.0), 300.0, FieldModel(), 42, occupancy=occ)
            ions.set_voltage(volts)
            r = events_per_s(ions, n_events)
            print(f"{label:45s} {name:18s} {lat.n_sites:8d} {r:10.3g} {1e9 / r:9.0f}")


if __name__ == "__main__":
    main()
