"""The ferromagnetic-network table of docs/paper.md, generated from a ``mikmc network`` result.

Run:  mikmc network paper.zarr -o docs/data/paper_network.json
      python -m kmc.publish.network_doc docs/data/paper_network.json [--doc docs/paper.md]
      python -m kmc.publish.network_doc docs/data/paper_network_m2n_paramagnetic.json --block network-m2n

Replaces the block ``<!-- generated:network -->`` (or ``--block``); tests/test_paper_doc.py fails when the committed
page and the committed JSON disagree. Records are grouped by paper state, relaxation and snapshot
(the segment it closes); each number is the replica mean ± standard error.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from kmc.analysis.stats import mean_se
from kmc.paper.claims import STATE_NAMES
from kmc.publish.paper_doc import ROOT, _relative, replace_blocks

#: order of the rows
RELAXES = ("3min", "1h", "field-on")
STATES = ("low", "mid", "high")
SHARE_PHASES = ("Co2N/Fe2N", "Fe4N", "CoFe")


def _order_at_run_temperature(rec: dict) -> dict | None:
    for o in rec["order"]:
        if math.isclose(o["temperature_k"], rec["temperature_run_k"]):
            return o
    return None


def _fifths(block_order: list) -> tuple[float, float]:
    """Mean |M|/M_S of the bottom and top fifth of the film (the first and last two of ten blocks)."""
    def mean(xs):
        v = [x for x in xs if x is not None and math.isfinite(x)]
        return sum(v) / len(v) if v else math.nan
    return mean(block_order[:2]), mean(block_order[-2:])


def summarize(data: dict) -> list[dict]:
    """One row per (state, relaxation, snapshot label): replica mean ± SE of every number of the table."""
    groups: dict[tuple, list[dict]] = {}
    for rec in data["records"]:
        if rec["state"] in STATES and rec["relax"] in RELAXES:
            groups.setdefault((rec["state"], rec["relax"], rec["label"]), []).append(rec)
    rows = []
    for (state, relax, label), recs in sorted(groups.items(), key=lambda kv: (
            RELAXES.index(kv[0][1]), STATES.index(kv[0][0]), min(r["time_s"] for r in kv[1]))):
        orders = [_order_at_run_temperature(r) for r in recs]
        row = {"state": state, "relax": relax, "label": label, "replicas": len(recs),
               "time_s": recs[0]["time_s"],
               "ferro": mean_se([r["ferro_sites"] / r["metal_sites"] for r in recs]),
               "ms": mean_se([r["ms_emu_cm3"] for r in recs]),
               "spanning": mean_se([r["spanning_share"] for r in recs]),
               "stored": mean_se([r["stored_alignment"] for r in recs]),
               "order_first": mean_se([o["order"][0] for o in orders if o]),
               "order_last": mean_se([o["order"][-1] for o in orders if o]),
               "alignment_last": mean_se([o["alignment"][-1] for o in orders if o]),
               "bottom": mean_se([_fifths(o["block_order"])[0] for o in orders if o]),
               "top": mean_se([_fifths(o["block_order"])[1] for o in orders if o]),
               "sweeps": orders[0]["sweeps"] if orders and orders[0] else [],
               "temperature_k": recs[0]["temperature_run_k"]}
        for p in SHARE_PHASES:
            row[p] = mean_se([r["moment_share"].get(p, 0.0) for r in recs])
        rows.append(row)
    return rows


def _pm(ms, fmt="{:.2f}") -> str:
    m, se = ms
    if not math.isfinite(m):
        return "n/a"
    return fmt.format(m) + (" ± " + fmt.format(se) if math.isfinite(se) else "")


def network_markdown(data: dict, source: str) -> str:
    """The generated block: provenance line and the table."""
    rows = summarize(data)
    if not rows:
        return f"From `{source}`: no record of a paper protocol."
    first, last = (int(x) for x in (rows[0]["sweeps"][0], rows[0]["sweeps"][-1]))
    t = rows[0]["temperature_k"]
    changed = data["records"][0].get("overrides") or {}
    head = (f"From `{source}` ({len(data['records'])} snapshots of {len({r['store'] for r in data['records']})} runs; "
            + (f"magnetism changed for the analysis: {', '.join(f'`{k} = {v}`' for k, v in changed.items())}; "
               if changed else "")
            + f"replica mean ± SE). Order test: every ferromagnetic spin along the field axis, zero field, "
            f"Metropolis sweeps at {t:.0f} K with the run's exchange; |M|/M_S of the spanning network after "
            f"{first} and {last} sweeps, its projection on the axis after {last}, and |M|/M_S of the bottom and "
            f"top fifth of the film after {last}. *Run*: the alignment M·e/M_S of the spanning network in the "
            f"stored spins.\n\n")
    cols = ["state", "snapshot", "M_S (emu/cm³)", "ferromagnetic metal sites", "moment share M₂N / Fe₄N / CoFe",
            "spanning share",
            "run: alignment", f"order after {first}", f"order after {last}", f"alignment after {last}",
            "order bottom / top fifth"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        shares = " / ".join(_pm(r[p]) for p in SHARE_PHASES)
        lines.append("| " + " | ".join([
            f"{STATE_NAMES[r['state']]}, {r['relax']}", f"end of {r['label']}", _pm(r["ms"], "{:.0f}"),
            _pm(r["ferro"]), shares,
            _pm(r["spanning"]), _pm(r["stored"]), _pm(r["order_first"]), _pm(r["order_last"]),
            _pm(r["alignment_last"]), f"{_pm(r['bottom'])} / {_pm(r['top'])}"]) + " |")
    return head + "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("result", help="JSON written by mikmc network")
    ap.add_argument("--doc", default=str(ROOT / "docs" / "paper.md"), help="page to regenerate")
    ap.add_argument("--block", default="network", help="name of the block (<!-- generated:NAME -->)")
    args = ap.parse_args(argv)
    data = json.loads(Path(args.result).read_text())
    names = replace_blocks(Path(args.doc), {args.block: network_markdown(data, _relative(args.result))})
    print(f"{args.doc}: regenerated {', '.join(names) or f'nothing (no generated:{args.block} block)'}")


if __name__ == "__main__":
    main()
