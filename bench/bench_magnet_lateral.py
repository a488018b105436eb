"""Magnetism against the film's lateral size: M_S, M_R, ΔM_R/ΔM_S, replica mean ± standard error.

Run:  python bench/bench_magnet_lateral.py [--cells 3 6 12] [--replicas 4 3 1] [--protocol paper/high_m_3min]
      python bench/bench_magnet_lateral.py --docs      # rewrite the table in docs/magnetism.md

Each (size, replica) runs ``mikmc run`` in a fresh process (seed = 1000 + replica, the same seeds at
every size) and appends one JSON line to ``docs/data/magnet_lateral.jsonl`` (resumable: finished
pairs are skipped; each line records the magnet settings it ran with). ``--docs`` writes the table
between the markers in docs/magnetism.md from that file, so the numbers in the docs are generated, never typed. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import zarr

from kmc.paper.claims import claim_numbers
from kmc.paper.report import table1
from kmc.storage.store import read_frames
from kmc.analysis.summary import segment_end_frames

OUT = Path(__file__).parent.parent / "docs" / "data" / "magnet_lateral.jsonl"
DOC = Path(__file__).parent.parent / "docs" / "magnetism.md"
BEGIN, END = "<!-- lateral-study:begin -->", "<!-- lateral-study:end -->"


def run(protocol: str, cells: int, seed: int, overrides: tuple[str, ...] = (), extra=None) -> dict:
    """One run (``overrides``: extra ``--set`` assignments); the magnetic observables of the paper's
    Table 1 and claim 3, and its cost; ``extra(group, path)``: more entries, read while the store exists."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.zarr"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kmc.cli", "run", protocol, "-o", str(out), "--quiet",
                        "--seed", str(seed), "--set", f"lattice.cells_xy=[{cells},{cells}]",
                        *[a for o in overrides for a in ("--set", o)]],
                       check=True, cwd=tmp, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        group = zarr.open_group(str(out), mode="r")
        data, attrs = read_frames(group), dict(group.attrs)
        more = extra(group, str(out)) if extra else {}
    ends = segment_end_frames(np.asarray(data["segment"]))
    ms, m = np.asarray(data["saturation_magnetization"]), np.asarray(data["magnetization"])
    claims, t1 = claim_numbers(data, attrs), table1(data)
    perf = attrs["performance"]
    return {"protocol": protocol, "cells": cells, "seed": seed, "overrides": list(overrides), "width_nm": math.sqrt(attrs["film"]["area_nm2"]),
            "magnet": attrs["config"]["magnet"], "mikmc_version": attrs.get("mikmc_version"),
            "ms_gate": float(ms[ends[0]]), "alignment_relax": float(m[ends[1]] / ms[ends[1]]) if ms[ends[1]] else math.nan,
            "mr_final": claims.get("mr_final", math.nan), "m_final": float(m[-1]), "ms_final": float(ms[-1]),
            "dMS": t1["dMS"], "dMR": t1["dMR"], "ratio_pct": t1["ratio"],
            "events": perf["events"], "wall_s": wall, "ion_s": perf.get("ion_wall_time_s", math.nan),
            "spin_s": perf.get("process_wall_time_s", math.nan), **more}


def load(protocol: str) -> list[dict]:
    if not OUT.exists():
        return []
    rows = [json.loads(line) for line in OUT.read_text().splitlines() if line.strip()]
    return [r for r in rows if r["protocol"] == protocol]


def mean_se(values) -> str:
    v = np.asarray([x for x in values if math.isfinite(x)], float)
    if len(v) == 0:
        return "n/a"
    if len(v) == 1:
        return f"{v[0]:.3g} (1 run)"
    return f"{v.mean():.3g} ± {v.std(ddof=1) / math.sqrt(len(v)):.2g}"


def table(rows: list[dict]) -> str:
    """Markdown table: one line per lateral size."""
    lines = ["| cells | width (nm) | runs | M_S end of gating | M/M_S end of relaxation (10 kOe) | M_R final | "
             "M_R / M_S final | ΔM_S | ΔM_R | ΔM_R/ΔM_S (%) | wall per run (s) | ions / spins (s) |",
             "|" + "---|" * 12]
    for cells in sorted({r["cells"] for r in rows}):
        rs = [r for r in rows if r["cells"] == cells]
        lines.append(
            f"| {cells}×{cells} | {rs[0]['width_nm']:.2f} | {len(rs)} | {mean_se(r['ms_gate'] for r in rs)} | "
            f"{mean_se(r['alignment_relax'] for r in rs)} | {mean_se(r['mr_final'] for r in rs)} | "
            f"{mean_se(r['mr_final'] / r['ms_final'] for r in rs)} | {mean_se(r['dMS'] for r in rs)} | "
            f"{mean_se(r['dMR'] for r in rs)} | {mean_se(r['ratio_pct'] for r in rs)} | "
            f"{np.mean([r['wall_s'] for r in rs]):.0f} | {np.mean([r['ion_s'] for r in rs]):.0f} / "
            f"{np.mean([r['spin_s'] for r in rs]):.0f} |")
    return "\n".join(lines)


def stability_threshold(t_s: float = 3600.0, temperature_k: float = 300.0) -> str:
    """Smallest finite CoFe cluster that keeps its direction over t_s at zero field, from the
    default plug-in parameters: E_B = N K_site ≥ kT ln(f₀ t)."""
    from kmc.lattices.rocksalt_film import RocksaltFilm
    from kmc.model.magnet import MagnetParams
    from kmc.plugins.phases.coordination import METAL, CoordinationPhases
    from kmc.units import K_B_EV, MU_B_EV_PER_T, TESLA_PER_OE

    lat = RocksaltFilm(thickness_nm=2.0, cells_xy=(2, 2)).build(0)
    tables = CoordinationPhases().build(lat)
    k_site = tables.anisotropy_ev[METAL]
    f0 = MagnetParams().attempt_frequency_hz
    need = K_B_EV * temperature_k * math.log(f0 * t_s)
    n = need / k_site
    site_nm3 = lat.volume_cm3 * 1e21 / len(lat.host)
    d_nm = (6 * n * site_nm3 / math.pi) ** (1 / 3)
    mu_mub = float(tables.moment_mub[:, METAL].mean())
    h_k_oe = 2 * k_site / (mu_mub * MU_B_EV_PER_T) / TESLA_PER_OE
    return (f"Anisotropy field of a CoFe layer spanning the cell, H_K = 2K_site/μ = {h_k_oe:.0f} Oe. "
            f"With the default parameters a finite CoFe cluster keeps its direction for {t_s / 3600:g} h at "
            f"{temperature_k:g} K only if E_B = N·K_site ≥ kT·ln(f₀t) = {need:.3f} eV, i.e. N ≥ {n:.2g} metal sites "
            f"(K_site = {k_site:.3g} eV), a sphere {d_nm:.0f} nm across.")


def write_docs(protocol: str) -> None:
    text = DOC.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{DOC}: markers {BEGIN} / {END} not found")
    rows = load(protocol)
    if len({json.dumps(r.get("magnet"), sort_keys=True) for r in rows}) > 1:
        raise SystemExit(f"{OUT}: rows of {protocol} ran with different magnet settings; keep one set")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    body = (f"\n`{protocol}`, emu/cm³ per initial film volume, replica mean ± standard error "
            f"(generated by `python bench/bench_magnet_lateral.py --docs` from docs/data/magnet_lateral.jsonl):\n\n"
            f"{table(rows)}\n\n{stability_threshold()}\n")
    DOC.write_text(head + BEGIN + body + END + tail)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, nargs="+", default=[3, 6, 12])
    ap.add_argument("--replicas", type=int, nargs="+", default=[4, 3, 1], help="per size, same order as --cells")
    ap.add_argument("--protocol", default="paper/high_m_3min")
    ap.add_argument("--docs", action="store_true", help="only rewrite the table in docs/magnetism.md")
    args = ap.parse_args()
    if args.docs:
        write_docs(args.protocol)
        sys.exit(0)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    done = {(r["cells"], r["seed"]) for r in load(args.protocol)}
    for cells, n_rep in zip(args.cells, args.replicas):
        for rep in range(n_rep):
            seed = 1000 + rep
            if (cells, seed) in done:
                continue
            row = run(args.protocol, cells, seed)
            with OUT.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
    print(table(load(args.protocol)))
