"""Claim 4 against the gating time: where the depth crossover lies and what the 1 h relaxation does
there, generated from paper results (``mikmc report``) and their network measurements (``mikmc network``).

Run:  python -m kmc.publish.crossover_doc docs/data/paper_result.json docs/data/crossover_result.json \\
          --network docs/data/paper_network.json docs/data/crossover_network.json [--doc docs/paper.md]

The paper explains Mid M's loss of alignment over a 1 h relaxation by its place between top depletion
(Low M) and bottom depletion (High M): the front smears out and the metal breaks into weakly coupled
clusters. The block ``<!-- generated:crossover -->`` lays the zero-field protocols of the results side
by side by gating time: the N left in the bottom and top third at the end of gating, the spanning
share of the ferromagnetic network when the field is switched off, ΔM_R/ΔM_S after each relaxation,
its fall over the hour, and how many replicas end with M_R along the field. Replica mean ± SE; the
fall's error combines the two points' SE. tests/test_paper_doc.py fails when the committed page and
the committed JSON disagree.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from kmc.analysis.stats import mean_se
from kmc.paper import result as paper_result
from kmc.paper.claims import STATE_NAMES
from kmc.paper.protocols import GATE_STATES, RELAX_STATES, paper_shape
from kmc.paper.report import mean_pm
from kmc.publish.paper_doc import ROOT, _relative, replace_blocks

#: the network snapshot taken when the zero-field protocols switch the field off
FIELD_OFF_LABEL = "relax, field on"


def protocol_times(config: dict) -> tuple[float, str] | None:
    """(gating time in min, '3min' | '1h') of a paper-shaped protocol whose cycles are at zero field
    (times in the paper's, kmc.paper.report.paper_shape); None for field-on cycling or another shape."""
    shape = paper_shape(config)
    if shape is None or any(seg.get("field_oe", 0) != 0 for seg in config["segments"][2:]):
        return None
    relax = RELAX_STATES.get(round(shape[1]))
    return (shape[0] / 60.0, relax) if relax else None


def points(results: list[dict], networks: list[dict] = ()) -> dict[tuple[float, str], dict]:
    """(gating min, relax) -> per-replica numbers of the zero-field points of ``results``, with the
    field-off network records of ``networks`` joined on the point's data fingerprint."""
    by_print = {}
    out = {}
    for res in results:
        for run in res["runs"]:
            key = protocol_times(run.get("config") or {})
            if key is None:
                continue
            if key in out:
                raise ValueError(f"two results hold gating {key[0]:g} min, relaxation {key[1]}")
            claims = [c for c in paper_result._nan(run["replicas"]["claims"]) if c]
            out[key] = {"name": run["name"], "ratio": [t["ratio"] for t in paper_result._nan(run["replicas"]["table1"])],
                        "bottom": [c["thirds"][0] for c in claims], "top": [c["thirds"][-1] for c in claims],
                        "mr_final": [c["mr_final"] for c in claims], "spanning": [], "alignment": []}
            by_print[run["fingerprint"]] = key
    for net in networks:
        for rec in net["records"]:
            key = by_print.get(rec.get("point_fingerprint"))
            if key is not None and rec["label"] == FIELD_OFF_LABEL and not rec.get("overrides"):
                out[key]["spanning"].append(rec["spanning_share"])
                out[key]["alignment"].append(rec["stored_alignment"])
    return out


def rows(pts: dict) -> list[dict]:
    """One row per gating time holding both relaxations: means ± SE and the ratio's fall over the hour."""
    out = []
    for gate in sorted({g for g, _ in pts}):
        short, long_ = pts.get((gate, "3min")), pts.get((gate, "1h"))
        if short is None or long_ is None:
            continue
        r3, r1 = mean_se(short["ratio"]), mean_se(long_["ratio"])
        fall = (r3[0] - r1[0], math.hypot(r3[1], r1[1]))
        both = {k: short[k] + long_[k] for k in ("bottom", "top")}
        out.append({"gate_min": gate, "state": GATE_STATES.get(round(gate * 60.0)),
                    "bottom": mean_se(both["bottom"]), "top": mean_se(both["top"]),
                    "spanning_3min": mean_se(short["spanning"]), "spanning_1h": mean_se(long_["spanning"]),
                    "align_3min": mean_se(short["alignment"]), "align_1h": mean_se(long_["alignment"]),
                    "ratio_3min": r3, "ratio_1h": r1, "fall": fall,
                    "fall_se": fall[0] / fall[1] if fall[1] > 0 else math.nan,
                    "along": (sum(m > 0 for m in short["mr_final"]), len(short["mr_final"]),
                              sum(m > 0 for m in long_["mr_final"]), len(long_["mr_final"]))})
    return out


def crossover_markdown(results: list[dict], networks: list[dict], sources: list[str]) -> str:
    """The generated block: provenance line and the table."""
    table = rows(points(results, networks))
    if not table:
        return f"From {', '.join(f'`{s}`' for s in sources)}: no gating time with both relaxations."
    head = (f"From {', '.join(f'`{s}`' for s in sources)}: the zero-field protocols by gating time, replica "
            "mean ± SE. N left in the bottom and top third of the film at the end of gating (both relaxations' "
            "runs); the ferromagnetic network when the field is switched off (end of the relaxation under "
            "10 kOe): its spanning share and its alignment M·e/M_S; ΔM_R/ΔM_S after each relaxation and its "
            "fall over the hour (in combined SE); replicas whose final M_R lies along the field.\n\n")
    cols = ["gating (min)", "state", "N bottom / top third", "spanning share at field-off, 3 min / 1 h",
            "network alignment at field-off, 3 min / 1 h", "ΔM_R/ΔM_S 3 min", "ΔM_R/ΔM_S 1 h",
            "fall over the hour", "M_R along the field, 3 min / 1 h"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in table:
        a3, n3, a1, n1 = r["along"]
        lines.append("| " + " | ".join([
            f"{r['gate_min']:g}", STATE_NAMES.get(r["state"], "–"),
            f"{mean_pm(*r['bottom'], '{:.3f}')} / {mean_pm(*r['top'], '{:.3f}')}",
            f"{mean_pm(*r['spanning_3min'], '{:.2f}')} / {mean_pm(*r['spanning_1h'], '{:.2f}')}",
            f"{mean_pm(*r['align_3min'], '{:.2f}')} / {mean_pm(*r['align_1h'], '{:.2f}')}",
            f"{mean_pm(*r['ratio_3min'], '{:.0f}')} %", f"{mean_pm(*r['ratio_1h'], '{:.0f}')} %",
            f"{mean_pm(*r['fall'], '{:.0f}')} % ({r['fall_se']:.1f} SE)", f"{a3}/{n3} / {a1}/{n1}"]) + " |")
    return head + "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+", help="paper results (JSON written by mikmc report)")
    ap.add_argument("--network", nargs="*", default=[], help="their network measurements (JSON written by mikmc network)")
    ap.add_argument("--doc", default=str(ROOT / "docs" / "paper.md"), help="page to regenerate")
    ap.add_argument("--block", default="crossover", help="name of the block (<!-- generated:NAME -->)")
    args = ap.parse_args(argv)
    results = [paper_result.read(p) for p in args.results]
    networks = [json.loads(Path(p).read_text()) for p in args.network]
    body = crossover_markdown(results, networks, [_relative(p) for p in args.results + args.network])
    names = replace_blocks(Path(args.doc), {args.block: body})
    print(f"{args.doc}: regenerated {', '.join(names) or f'nothing (no generated:{args.block} block)'}")


if __name__ == "__main__":
    main()
