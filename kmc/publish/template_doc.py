"""The remanence against the moment present when the field goes off, across campaigns run with one
magnet, generated from paper results (``mikmc report``).

Run:  python -m kmc.publish.template_doc docs/data/paper_result.json docs/data/crossover_result.json \\
          docs/data/crossover_placed_result.json docs/data/hull_fit_predict_result.json \\
          docs/data/baseline_fit_predict_result.json [--doc docs/paper.md]

The paper reads its zero-field remanence as new CoFe aligning by exchange to the CoFe already there
when the field was removed ("exchange coupling (J) with the underneath CoFe magnetic layer"). The
block ``<!-- generated:template -->`` lays every zero-field paper-shaped run of the given results side
by side: ΔM_S's baseline (the M_S minimum from the end of the relaxation on, emu/cm³: the moment the
cycles start from, the field switched off at the relaxation's end) and ΔM_R/ΔM_S, replica mean ± SE,
with their Pearson correlation over the runs and the paper's baseline as its text gives it
(ΔM_S / (growth factor − 1)). The results must share one magnet section (like for like: only the
ion side differs). tests/test_paper_doc.py fails when the committed page and the committed JSON
disagree.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from kmc.analysis.stats import mean_se
from kmc.paper import result as paper_result
from kmc.paper.claims import STATE_NAMES, STATES
from kmc.paper.report import mean_pm
from kmc.publish.crossover_doc import protocol_times
from kmc.publish.paper_doc import PAPER_GROWTH_FACTOR, ROOT, _relative, replace_blocks


def paper_baselines(paper: dict) -> dict[str, float]:
    """The paper's ΔM_S baseline per state (emu/cm³): ΔM_S / (growth factor − 1), from Table 1 and the
    factors its text gives (kmc.publish.paper_doc.PAPER_GROWTH_FACTOR)."""
    return {s: paper[s]["dMS"] / (PAPER_GROWTH_FACTOR[s] - 1.0) for s in STATES}


def rows(results: list[dict], sources: list[str]) -> list[dict]:
    """One row per zero-field paper-shaped run: source, run name, hop law, gating (min), relaxation,
    baseline and ratio (mean, SE). Refuses results run with different magnet sections."""
    magnets = {json.dumps(run["config"]["magnet"], sort_keys=True) for res in results for run in res["runs"]}
    if len(magnets) > 1:
        raise ValueError(f"the results were run with {len(magnets)} different magnet sections; compare like for like")
    out = []
    for res, src in zip(results, sources):
        for run in res["runs"]:
            times = protocol_times(run["config"])
            if times is None:
                continue
            claims = [c for c in paper_result._nan(run["replicas"]["claims"]) if c]
            ratio = [t["ratio"] for t in paper_result._nan(run["replicas"]["table1"])]
            hops = run["config"]["hops"]
            law = hops["name"] + (f", {hops['metal_energy']}" if hops.get("metal_energy") not in (None, "none") else "")
            out.append({"source": src, "name": run["name"], "law": law, "gate_min": times[0], "relax": times[1],
                        "state": run.get("state"), "baseline": mean_se([c["ms_min"] for c in claims]),
                        "ratio": mean_se(ratio)})
    return out


def correlation(table: list[dict]) -> float:
    """Pearson r of the rows' mean ratio against their mean baseline (NaN for fewer than 3 rows)."""
    if len(table) < 3:
        return float("nan")
    return float(np.corrcoef([r["baseline"][0] for r in table], [r["ratio"][0] for r in table])[0, 1])


def template_markdown(results: list[dict], sources: list[str]) -> str:
    """The generated block: provenance, the table, the correlation and the paper's baselines."""
    table = rows(results, sources)
    paper = results[0]["paper"]
    base = paper_baselines(paper)
    lines = [f"From {', '.join(f'`{s}`' for s in sources)} (one magnet section): every zero-field run, replica "
             "mean ± SE. Baseline: ΔM_S's baseline, the M_S minimum from the end of the relaxation on (the "
             "moment the cycles start from; the field is switched off at the relaxation's end).", "",
             "| result | run | hop law | gating (min) | relaxation | baseline (emu/cm³) | ΔM_R/ΔM_S |", "|---|---|---|---|---|---|---|"]
    for r in table:
        lines.append(f"| `{Path(r['source']).name}` | {r['name']} | {r['law']} | {r['gate_min']:g} | {r['relax']} | "
                     f"{mean_pm(*r['baseline'], '{:.0f}')} | {mean_pm(*r['ratio'], '{:.0f}')} % |")
    laws = sorted({r["law"] for r in table})
    lines += ["", f"Pearson r of ΔM_R/ΔM_S against the baseline: all {len(table)} runs {correlation(table):.2f}; "
              + "; ".join(f"{law} ({sum(r['law'] == law for r in table)} runs) "
                          f"{correlation([r for r in table if r['law'] == law]):.2f}" for law in laws)
              + ". The paper's baselines (ΔM_S / (growth factor − 1), Table 1 and its text) and ratios: "
              + "; ".join(f"{STATE_NAMES[s]} {base[s]:.0f} emu/cm³, {paper[s]['ratio']['3min']:.0f} % (3 min) / "
                          f"{paper[s]['ratio']['1h']:.0f} % (1 h)" for s in STATES) + "."]
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+", help="paper results (JSON written by mikmc report), one magnet section")
    ap.add_argument("--doc", default=str(ROOT / "docs" / "paper.md"), help="page to regenerate")
    args = ap.parse_args(argv)
    body = template_markdown([paper_result.read(p) for p in args.results], [_relative(p) for p in args.results])
    names = replace_blocks(Path(args.doc), {"template": body})
    print(f"{args.doc}: regenerated {', '.join(names) or 'nothing (no generated:template block)'}")


if __name__ == "__main__":
    main()
