"""Are the two numerical parameters of the magnet converged? Coupling interval and equilibration sweeps.

Run:  python bench/bench_magnet_convergence.py [--protocol paper/reduced_high_m] [--cells 2] [--replicas 4]

Runs the protocol with the defaults (coupling 10 s, 20 sweeps), with the coupling interval halved
and with 4× the sweeps, the same seeds for each, and prints M_S, M/M_S after the field-on
relaxation, M at the end (M_R for the zero-field protocols, M under 10 kOe for the field-on ones)
and ΔM_S as replica mean ± standard error. Converged: the variants agree with the
default within their errors. Nothing is asserted.
"""

from __future__ import annotations

import argparse

from bench_magnet_lateral import mean_se, run

VARIANTS = {"default": (), "coupling 5 s": ("magnet.coupling_interval_s=5",),
            "80 sweeps": ("magnet.equilibration_sweeps=80",)}

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--protocol", default="paper/reduced_high_m")
    ap.add_argument("--cells", type=int, default=2)
    ap.add_argument("--replicas", type=int, default=4)
    args = ap.parse_args()
    print(f"{args.protocol}, {args.cells}x{args.cells} cells, {args.replicas} replicas (seeds 1000...)")
    print("| variant | M_S end of gating | M/M_S end of relaxation | M final (M_R at zero field) | ΔM_S | spins (s) |"
          "\n|---|---|---|---|---|---|")
    for name, overrides in VARIANTS.items():
        rows = [run(args.protocol, args.cells, 1000 + r, overrides) for r in range(args.replicas)]
        print(f"| {name} | {mean_se(r['ms_gate'] for r in rows)} | {mean_se(r['alignment_relax'] for r in rows)} | "
              f"{mean_se(r['m_final'] for r in rows)} | {mean_se(r['dMS'] for r in rows)} | "
              f"{sum(r['spin_s'] for r in rows) / len(rows):.1f} |", flush=True)
