"""Are the magnet's numerical parameters converged? Equilibration sweeps, coupling interval, held layers.

Run:  python bench/bench_magnet_convergence.py [--protocol paper/high_m_3min] [--cells 6] [--replicas 2]
                                              [--set hops.metal_energy=formation_hull ...] [--jobs 2]
      python bench/bench_magnet_convergence.py --docs      # rewrite the table in docs/magnetism.md

Runs the protocol once per variant and replica, the same seeds (1000 + replica) for every variant,
so the ions move identically in all of them (the spins never act on the ions) and the variants
differ only in the spins. Besides Table 1's quantities it reports the internal order |M|/M_S of the
largest network spanning the cell at the end, which does not depend on where the network points
(the remanence does, and scatters with it). Each run appends one JSON line to ``docs/data/magnet_convergence.jsonl``
(resumable: finished runs are skipped); ``--docs`` writes the table between the markers in
docs/magnetism.md from it. Converged: the variants agree within their errors. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from bench_magnet_lateral import mean_se, run

OUT = Path(__file__).parent.parent / "docs" / "data" / "magnet_convergence.jsonl"
DOC = Path(__file__).parent.parent / "docs" / "magnetism.md"
BEGIN, END = "<!-- convergence-study:begin -->", "<!-- convergence-study:end -->"

#: name -> --set assignments on top of the base
OLD = ("magnet.spanning_orientation=free", "magnet.new_site_passes=0", "magnet.equilibration_sweeps=20")
VARIANTS = {
    "before: free, unsettled, 20 sweeps": OLD,
    "held, unsettled, 20 sweeps": ("magnet.new_site_passes=0", "magnet.equilibration_sweeps=20"),
    "held, unsettled, 200 sweeps": ("magnet.new_site_passes=0",),
    "held, settled, 20 sweeps": ("magnet.equilibration_sweeps=20",),
    "defaults: held, settled, 200 sweeps": (),
    "held, settled, 1000 sweeps": ("magnet.equilibration_sweeps=1000",),
    "held, settled, 200 sweeps, coupling 5 s": ("magnet.coupling_interval_s=5",),
}


def network_order(group, path: str) -> dict:
    """|M|/M_S of the largest spanning cluster in the run's last snapshot (its internal order, which
    does not depend on where it points), rebuilt from the stored N occupancy and spins."""
    from kmc.engine.checkpoint import rebuild
    from kmc.storage.snapshots import read_snapshot

    magnet = rebuild(dict(group.attrs), path, None).processes[0]
    snap = read_snapshot(group, -1)
    magnet.update_phases(snap["occupancy"])
    magnet.spins[:] = snap["spin"] if magnet.model.vector else snap["spin"].astype(np.int8)
    best = (0.0, float("nan"))
    for c in np.flatnonzero(magnet.wraps):
        sites = magnet.members[magnet.ptr[c]:magnet.ptr[c + 1]]
        ms = magnet.mu[sites].sum()
        m = magnet.mu[sites] @ (magnet.spins[sites] if magnet.model.vector else magnet.spins[sites, None] * magnet.axis)
        if ms > best[0]:
            best = (float(ms), float(np.linalg.norm(m) / ms))
    return {"network_order_final": best[1], "network_moment_share": best[0] / max(float(magnet.mu.sum()), 1e-300)}


def load() -> list[dict]:
    if not OUT.exists():
        return []
    return [json.loads(line) for line in OUT.read_text().splitlines() if line.strip()]


def table(rows: list[dict]) -> str:
    """Markdown table: one line per (protocol, base, variant)."""
    lines = ["| protocol | base | variant | runs | M/M_S end of relaxation (10 kOe) | M/M_S final (zero field) | "
             "largest network: share of M_S / order at the end | ΔM_S | ΔM_R | ΔM_R/ΔM_S (%) | spins (s per run) |",
             "|" + "---|" * 11]
    keys = []
    for r in rows:
        k = (r["protocol"], " ".join(r["base"]), r["variant"])
        if k not in keys:
            keys.append(k)
    for protocol, base, variant in keys:
        rs = [r for r in rows if (r["protocol"], " ".join(r["base"]), r["variant"]) == (protocol, base, variant)]
        lines.append(f"| {protocol} | {base or 'defaults'} | {variant} | {len(rs)} | "
                     f"{mean_se(r['alignment_relax'] for r in rs)} | {mean_se(r['m_final'] / r['ms_final'] for r in rs)} | "
                     f"{mean_se(r['network_moment_share'] for r in rs)} / {mean_se(r['network_order_final'] for r in rs)} | "
                     f"{mean_se(r['dMS'] for r in rs)} | {mean_se(r['dMR'] for r in rs)} | "
                     f"{mean_se(r['ratio_pct'] for r in rs)} | {np.mean([r['spin_s'] for r in rs]):.0f} |")
    return "\n".join(lines)


def write_docs() -> None:
    text = DOC.read_text()
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{DOC}: markers {BEGIN} / {END} not found")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    body = ("\nReplica mean ± standard error, the same seeds for every variant (generated by "
            "`python bench/bench_magnet_convergence.py --docs` from docs/data/magnet_convergence.jsonl):\n\n"
            f"{table(load())}\n")
    DOC.write_text(head + BEGIN + body + END + tail)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--protocol", default="paper/high_m_3min")
    ap.add_argument("--cells", type=int, default=6)
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--set", dest="base", action="append", default=[], help="base override KEY=VALUE (repeatable)")
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--jobs", type=int, default=2, help="runs at once (each its own process)")
    ap.add_argument("--docs", action="store_true", help="only rewrite the table in docs/magnetism.md")
    args = ap.parse_args()
    if args.docs:
        write_docs()
        sys.exit(0)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    done = {(r["protocol"], tuple(r["base"]), r["variant"], r["seed"]) for r in load()}
    todo = [(v, 1000 + rep) for rep in range(args.replicas) for v in args.variants
            if (args.protocol, tuple(args.base), v, 1000 + rep) not in done]

    def one(job):
        variant, seed = job
        row = run(args.protocol, args.cells, seed, (*args.base, *VARIANTS[variant]), extra=network_order)
        row.update(base=list(args.base), variant=variant)
        with OUT.open("a") as f:  # one line per run, written whole (threads share the process)
            f.write(json.dumps(row) + "\n")
        print(f"{variant}, seed {seed}: ratio {row['ratio_pct']:.1f} %, spins {row['spin_s']:.0f} s", flush=True)

    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(one, todo))
    print(table([r for r in load() if r["protocol"] == args.protocol]))
