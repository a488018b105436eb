"""Claim 4's ΔM_R/ΔM_S orderings in every regime the model has been run in, generated from the
committed paper results (``mikmc report``).

Run:  python -m kmc.publish.orderings_doc docs/data/paper_result.json docs/data/*_result.json [--doc docs/paper.md]

A *regime* is one set of model parameters: the runs of a result whose configurations agree but for
the protocol (segments) and the seed. Each regime is judged on those of the seven orderings of the
paper issue's done-when (:data:`kmc.paper.claim_status.RATIO_ORDERINGS`) whose two zero-field
protocols it ran, exactly as the claim status judges them: an ordering holds when the replica means
differ beyond the Student t bound on their combined standard error (kmc.paper.claim_status.holds).
The block ``<!-- generated:orderings -->`` lists every regime that ran a 1 h protocol with each
ordering's difference in percentage points, its z = difference / combined SE and the bound z must
exceed, and how many of the paper's own differences its errors would resolve; it summarises the
regimes with 3 min protocols only (scans and probes) per result, and counts where each ordering
holds. Inputs that are not paper results (calibration results) or judge no ordering are skipped and
named. The first result names the defaults: its
magnet section is the one the ``magnet`` column calls "defaults'". tests/test_orderings_doc.py fails
when the committed page and the committed JSON disagree.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from kmc.paper import claim_status
from kmc.paper import result as paper_result
from kmc.paper.claims import STATES
from kmc.publish.crossover_doc import protocol_times
from kmc.publish.paper_doc import ROOT, _relative, replace_blocks, require_files

#: configuration entries that make a protocol, not a regime
PROTOCOL_KEYS = ("segments", "run", "title", "description")
ZERO_FIELD = tuple((s, relax) for s in STATES for relax in ("3min", "1h"))


def flat_config(tree: dict, prefix: str = "") -> dict:
    """{'section.key': value} of a nested configuration."""
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flat_config(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def regime_key(config: dict) -> str:
    return json.dumps({k: v for k, v in config.items() if k not in PROTOCOL_KEYS}, sort_keys=True)


def regime_labels(configs: list[dict]) -> list[str]:
    """For each configuration, the settings that tell its regime from the others' ('—' where all agree)."""
    flats = [flat_config({k: v for k, v in c.items() if k not in PROTOCOL_KEYS}) for c in configs]
    varying = sorted({k for f in flats for k in f if any(g.get(k) != f.get(k) for g in flats)})
    return [", ".join(f"{k} = {f.get(k)}" for k in varying) or "—" for f in flats]


def regimes(result: dict) -> list[dict]:
    """The result's regimes whose zero-field protocols judge at least one of the orderings (both of
    its states run), in order of first appearance: each a dict with ``runs`` (the result's run
    entries of that regime, zero-field only), ``config`` (one run's configuration), ``label`` (the
    settings that tell it from the result's other regimes, '—' for a result's only regime) and
    ``replicas`` (the smallest replica count of its runs)."""
    groups: dict[str, list] = {}
    for run in result["runs"]:
        if protocol_times(run.get("config") or {}) is not None and (run["state"], run["relax"]) in ZERO_FIELD:
            groups.setdefault(regime_key(run["config"]), []).append(run)
    complete = [runs for runs in groups.values() if _judged({(r["state"], r["relax"]) for r in runs})]
    labels = regime_labels([runs[0]["config"] for runs in complete])
    return [{"runs": runs, "config": runs[0]["config"], "replicas": min(r["n_replicas"] for r in runs),
             "label": label} for runs, label in zip(complete, labels)]


def _judged(states: set) -> bool:
    return any(a in states and b in states for _, a, b in claim_status.RATIO_ORDERINGS)


def separations(regime: dict) -> dict[str, claim_status.Separation]:
    """Ordering text -> difference of the mean ratios in percentage points with its SE of a regime,
    by kmc.paper.claim_status (the same judgement as the claim status)."""
    runs = paper_result.runs_of({"runs": regime["runs"]})
    return claim_status.ratio_separations(claim_status.by_state(runs))


def hop_law(config: dict) -> str:
    hops = config.get("hops") or {}
    energy = hops.get("metal_energy")
    return str(hops.get("name")) + (f", {energy}" if energy not in (None, "none") else "")


def rows(results: list[dict], sources: list[str]) -> list[dict]:
    """One row per regime: source, label, hop law, magnet ('defaults'' or 'other'), cells,
    replicas, {ordering: claim_status.Separation} of the orderings its runs judge, the number of
    those that hold, and ``resolvable``: the number whose paper difference would hold with this
    regime's standard errors and degrees of freedom (could these replicas see the paper's orderings?)."""
    magnet = json.dumps(results[0]["runs"][0]["config"].get("magnet"), sort_keys=True)
    out = []
    for res, src in zip(results, sources):
        paper = claim_status.paper_ratio_differences(res["paper"])
        for reg in regimes(res):
            sep = separations(reg)
            out.append({"source": src, "label": reg["label"], "law": hop_law(reg["config"]),
                        "magnet": "defaults'" if json.dumps(reg["config"].get("magnet"), sort_keys=True) == magnet
                        else "other", "cells": reg["runs"][0].get("cells_xy"), "replicas": reg["replicas"],
                        "separations": sep,
                        "held": sum(map(claim_status.holds, sep.values())),
                        "resolvable": sum(claim_status.holds(x._replace(diff=paper[n])) for n, x in sep.items())})
    return out


def _cell(sep: claim_status.Separation | None) -> str:
    """'+12 (+2.3 / 2.9)': the difference in percentage points, z = difference / SE and the bound z must
    exceed (claim_status.Separation.bound), bold where the ordering holds; '—' for an ordering the
    regime's runs do not judge."""
    if sep is None:
        return "—"
    diff, se = sep.diff, sep.se
    text = f"{diff:+.0f} ({diff / se:+.1f} / {sep.bound:.1f})" if se > 0 else f"{diff:+.0f} (one replica)"
    return f"**{text}**" if claim_status.holds(sep) else text


def _three_minute_lines(table: list[dict]) -> list[str]:
    """One row per result of the regimes that judge only the 3 min ordering (3 min protocols only)."""
    name = claim_status.RATIO_ORDERINGS[0][0]
    by_source: dict[str, list] = {}
    for r in table:
        by_source.setdefault(r["source"], []).append(r)
    lines = ["| result | regimes | hop law | magnet | cells | replicas | " + name + ": held in | z from … to |",
             "|---|---|---|---|---|---|---|---|"]
    for src, regs in by_source.items():
        z = [sep.diff / sep.se for sep in (r["separations"][name] for r in regs) if sep.se > 0]
        lines.append(f"| `{Path(src).name}` | {len(regs)} | {', '.join(sorted({r['law'] for r in regs}))} | "
                     f"{', '.join(sorted({r['magnet'] for r in regs}))} | "
                     f"{', '.join(sorted({_cells(r) for r in regs}))} | "
                     f"{', '.join(sorted({str(r['replicas']) for r in regs}))} | "
                     f"{sum(claim_status.holds(r['separations'][name]) for r in regs)} of {len(regs)} | "
                     + (f"{min(z):+.1f} … {max(z):+.1f} |" if z else "n/a |"))
    return lines


def _cells(row: dict) -> str:
    return "×".join(str(c) for c in row["cells"]) if row["cells"] else "?"


def orderings_markdown(results: list[dict], sources: list[str], skipped: list[str]) -> str:
    """The generated block: the regimes that ran a 1 h protocol, one row each with the seven
    orderings as difference (z); those with 3 min protocols only, one row per result; a summary."""
    table = rows(results, sources)
    names = [text for text, _, _ in claim_status.RATIO_ORDERINGS]
    hour = [r for r in table if len(r["separations"]) > 1]
    lines = [f"From {len(sources)} paper results, the first (`{Path(sources[0]).name}`) the defaults'. Each "
             "cell: the difference of the two mean ΔM_R/ΔM_S in percentage points (the ordering's first state "
             "minus its second) and, in brackets, that difference over its combined standard error / the bound it must "
             "exceed on the replicas' Welch degrees of freedom; **bold** "
             f"where the ordering holds ({claim_status.bound_text()}). Magnet: the defaults' magnet section "
             "or another (earlier) one." + (" Skipped (calibration results, or no zero-field pair to judge): "
                                             f"{', '.join(f'`{Path(s).name}`' for s in skipped)}." if skipped else "")
             + " Last column: how many of the paper's own differences would hold with the regime's standard errors "
             "and degrees of freedom — whether its replicas could see the paper's orderings at all.",
             "", "| result | hop law | magnet | cells | replicas | " + " | ".join(names)
             + " | held | the paper's differences would hold |", "|" + "---|" * (7 + len(names))]
    for r in hour:
        label = "" if r["label"] == "—" else f" ({r['label']})"
        lines.append(f"| `{Path(r['source']).name}`{label} | {r['law']} | {r['magnet']} | {_cells(r)} | {r['replicas']} | "
                     + " | ".join(_cell(r["separations"].get(n)) for n in names)
                     + f" | {r['held']} of {len(r['separations'])} | {r['resolvable']} of {len(r['separations'])} |")
    lines += ["", "Regimes that ran the 3 min protocols only (scans and probes; they judge the first ordering):", ""]
    lines += _three_minute_lines([r for r in table if len(r["separations"]) == 1])
    full = [r for r in hour if len(r["separations"]) == len(names)]
    claim4 = [n for n, _, _ in claim_status.CLAIM4_ORDERINGS]
    lines += ["", f"{len(table)} regimes, {len(full)} with all six zero-field protocols. Each ordering holds in: "
              + "; ".join(f"{n}: {sum(claim_status.holds(r['separations'].get(n)) for r in table)} of "
                          f"{sum(n in r['separations'] for r in table)} regimes" for n in names)
              + f". The most held in one regime with all six: {max((r['held'] for r in full), default=0)} of "
              f"{len(names)}; all five of claim 4's in {sum(all(claim_status.holds(r['separations'][n]) for n in claim4) for r in full)}."]
    return "\n".join(lines)


def load(paths: list[str]) -> tuple[list[dict], list[str], list[str]]:
    """(paper results, their sources, skipped sources) of the given JSON files; a file that is not a
    paper result, or holds no regime that judges an ordering, is skipped; a file given twice is read once."""
    results, sources, skipped = [], [], []
    for p in dict.fromkeys(str(Path(q).resolve()) for q in paths):  # once each, in the order given
        try:
            res = paper_result.read(p)
        except ValueError:
            skipped.append(_relative(p))
            continue
        if regimes(res):
            results.append(res)
            sources.append(_relative(p))
        else:
            skipped.append(_relative(p))
    return results, sources, skipped


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+", help="paper results (JSON written by mikmc report); the first is the defaults'")
    ap.add_argument("--doc", default=str(ROOT / "docs" / "paper.md"), help="page to regenerate")
    args = ap.parse_args(argv)
    require_files(ap, args.results)
    results, sources, skipped = load(args.results)
    names = replace_blocks(Path(args.doc), {"orderings": orderings_markdown(results, sources, skipped)})
    print(f"{args.doc}: regenerated {', '.join(names) or 'nothing (no generated:orderings block)'}")


if __name__ == "__main__":
    main()
