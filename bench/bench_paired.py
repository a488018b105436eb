"""Time per event of this checkout's engine against another commit's, measured in pairs in one process.

This VM's speed varies up to 2x between sessions, so events/s of different days cannot be compared.
This script loads the engine of COMMIT (``kmc/core`` and the module holding ``IonSystem``, taken with
``git archive`` into a temporary package) next to this checkout's, builds both on the same lattice
and alternates rounds of events between them, so both see the same machine. Printed: minimum and
median CPU time per event of each and the speed-up old/new; nothing is asserted.

    python bench/bench_paired.py COMMIT [--size 8] [--rounds 6] [--events 300000]

``--size N``: closed fcc box of N³ cells with 10 % vacancies (8: 2 048 sites, 63: 1 000 188);
``--size film``: the 50 nm film (4 × 4 cells) after 5 min at −25 V. Needs a git checkout.
"""

from __future__ import annotations

import argparse
import importlib
import io
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

from kmc.lattices.cubic import CubicTestLattice
from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.model import ions as current
from kmc.model.ions import FieldModel
from kmc.plugins.boundary.closed import Closed
from kmc.plugins.boundary.solubility import SolubilityLimited
from kmc.plugins.hops.arrhenius import ArrheniusHop

REPO = Path(__file__).resolve().parents[1]
ION_MODULES = ("kmc/model/ions.py", "kmc/ions.py")  # where IonSystem lived, newest first


def engine_of(commit: str, into: Path):
    """Import the IonSystem module of ``commit`` as package ``engine_<sha>`` under ``into``."""
    sha = subprocess.run(["git", "rev-parse", "--short", commit], cwd=REPO, check=True, capture_output=True,
                         text=True).stdout.strip()
    files = subprocess.run(["git", "ls-tree", "-r", "--name-only", sha], cwd=REPO, check=True,
                           capture_output=True, text=True).stdout.split()
    ions_path = next(p for p in ION_MODULES if p in files)
    tar = subprocess.run(["git", "archive", sha, "kmc/core", ions_path], cwd=REPO, check=True,
                         capture_output=True).stdout
    name = f"engine_{sha}"
    pkg = into / name
    (pkg / "core").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        for member in t.getmembers():
            if not member.isfile():
                continue
            rel = Path(member.name)
            dest = pkg / "ions.py" if member.name == ions_path else pkg / "core" / rel.relative_to("kmc/core")
            dest.parent.mkdir(parents=True, exist_ok=True)
            text = t.extractfile(member).read().decode()
            text = re.sub(r"\bkmc\.core\b", f"{name}.core", text)
            dest.write_text(text.replace("from kmc import core", f"from {name} import core"))
    sys.path.insert(0, str(into))
    return sha, importlib.import_module(f"{name}.ions")


def build(module, size: str):
    if size == "film":
        lat = RocksaltFilm().build(1)
        ions = module.IonSystem(lat, ArrheniusHop().build(lat, 300.0), SolubilityLimited().build(lat, 300.0), 300.0,
                                FieldModel(), 42)
        ions.set_voltage(-25.0)
        ions.advance(300.0)
        return lat, ions
    c = int(size)
    lat = CubicTestLattice("fcc", (c, c, c), 4.24, periodic_z=True).build(0)
    occ = (np.random.default_rng(0).random(lat.n_sites) > 0.1).astype(np.int8)
    ions = module.IonSystem(lat, ArrheniusHop().build(lat, 300.0), Closed().build(lat, 300.0), 300.0, FieldModel(), 1,
                            occupancy=occ)
    ions.advance(1e12, max_events=20000)
    return lat, ions


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("commit")
    ap.add_argument("--size", default="8")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--events", type=int, default=300_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sha, old = engine_of(args.commit, Path(tmp))
        systems = {}
        for label, module in ((sha, old), ("this checkout", current)):
            lat, systems[label] = build(module, args.size)
        ns = {label: [] for label in systems}
        for r in range(args.rounds):
            for label in (list(systems) if r % 2 == 0 else list(systems)[::-1]):
                t0 = time.process_time()
                done = systems[label].advance(1e12, max_events=args.events)
                ns[label].append((time.process_time() - t0) / done * 1e9)
    print(f"{lat.n_sites} sites, {args.rounds} x {args.events} events, CPU ns per event (min / median):")
    for label, x in ns.items():
        print(f"  {label:>14s}: {min(x):7.0f} / {np.median(x):7.0f}")
    a, b = (np.median(x) for x in ns.values())
    print(f"speed-up of this checkout over {sha} (median): {a / b:.2f}x")


if __name__ == "__main__":
    main()
