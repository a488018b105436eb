"""The replicas behind one protocol's mean, across results, and the results pooled where they ran the
same model: how far a few replicas can mislead, generated from committed paper results.

Run:  python -m kmc.publish.replicas_doc docs/data/heldout_fit_predict_result.json \\
          docs/data/mid_m_check_heldout_point_result.json ... --state mid --relax 3min \\
          --block replicas-mid-3min [--doc docs/calibration.md]

For one state and relaxation (``--state``, ``--relax``) the block lists every committed run of that
protocol: its result, the parameters that tell its regime (kmc.publish.orderings_doc's regimes: the
configuration but for protocol and seed) from the others', each replica's ΔM_R/ΔM_S, ΔM_S and ΔM_R,
and their mean ± SE. Runs of one regime are then pooled (their replicas are independent: every
campaign draws fresh seeds), and two pooled regimes are compared by kmc.paper.claim_status's test.
tests/test_heldout_fit_doc.py fails when the committed page and the committed JSON disagree.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kmc.analysis.stats import mean_se
from kmc.paper import claim_status
from kmc.paper import result as paper_result
from kmc.paper.claims import STATE_NAMES
from kmc.paper.report import mean_pm
from kmc.publish.orderings_doc import regime_key, regime_labels
from kmc.publish.paper_doc import ROOT, _relative, replace_blocks, require_files

RELAX_NAMES = {"3min": "3 min", "1h": "1 h"}
#: the Table 1 quantities listed per replica: key, heading
QUANTITIES = (("ratio", "ΔM_R/ΔM_S (%)"), ("dMS", "ΔM_S (emu/cm³)"), ("dMR", "ΔM_R (emu/cm³)"))


def runs_of(results: list[dict], sources: list[str], state: str, relax: str) -> list[dict]:
    """Every run of ``state`` and ``relax`` in the results: source, regime key, configuration and the
    replicas' Table 1 values."""
    out = []
    for res, src in zip(results, sources):
        for run in res["runs"]:
            if run["state"] == state and run["relax"] == relax:
                out.append({"source": src, "key": regime_key(run["config"]), "config": run["config"],
                            "replicas": [t for t in run["replicas"]["table1"] if t]})
    return out


def _labels(runs: list[dict]) -> dict[str, str]:
    """Regime key -> the settings that tell it from the other regimes of ``runs``."""
    configs = {r["key"]: r["config"] for r in runs}
    return dict(zip(configs, regime_labels(list(configs.values()))))


def pooled(runs: list[dict]) -> dict[str, list[dict]]:
    """Regime key -> the replicas of all its runs, in order of first appearance."""
    out: dict[str, list[dict]] = {}
    for r in runs:
        out.setdefault(r["key"], []).extend(r["replicas"])
    return out


def replicas_markdown(results: list[dict], sources: list[str], state: str, relax: str) -> str:
    """The generated block: one row per run (each replica's values, mean ± SE), one per pooled regime,
    and the comparison of the first two pooled regimes' ΔM_R/ΔM_S."""
    runs = runs_of(results, sources, state, relax)
    if not runs:
        raise ValueError(f"no run of {state} / {relax} in {', '.join(sources)}")
    labels = _labels(runs)
    regime_no = {key: i + 1 for i, key in enumerate(dict.fromkeys(r["key"] for r in runs))}
    lines = [f"{STATE_NAMES[state]}, {RELAX_NAMES.get(relax, relax)} relaxation: every committed run of the protocol in "
             + ", ".join(f"`{Path(s).name}`" for s in sources) + ". Regimes: "
             + "; ".join(f"{regime_no[k]}: {labels[k]}" for k in regime_no) + ".", "",
             "| result | regime | replicas | " + " | ".join(f"{h}, each replica | mean ± SE" for _, h in QUANTITIES) + " |",
             "|" + "---|" * (3 + 2 * len(QUANTITIES))]
    for r in runs:
        lines.append(f"| `{Path(r['source']).name}` | {regime_no[r['key']]} | {len(r['replicas'])} | "
                     + " | ".join(_values(r["replicas"], q) for q, _ in QUANTITIES) + " |")
    pools = pooled(runs)
    for key, reps in pools.items():
        lines.append(f"| pooled | {regime_no[key]} | {len(reps)} | "
                     + " | ".join(f"— | {mean_pm(*mean_se([t[q] for t in reps]))}" for q, _ in QUANTITIES) + " |")
    if len(pools) >= 2:
        (ka, a), (kb, b) = list(pools.items())[:2]
        sep = claim_status.separation([t["ratio"] for t in a], [t["ratio"] for t in b])
        z = f"{sep.diff / sep.se:+.1f} SE" if sep.se > 0 else "no replica scatter"
        lines += ["", f"Pooled ΔM_R/ΔM_S, regime {regime_no[ka]} minus regime {regime_no[kb]}: {sep.diff:+.1f} ± "
                  f"{sep.se:.1f} percentage points ({z}; the difference "
                  f"{'holds' if claim_status.holds(sep) or claim_status.holds(_flip(sep)) else 'does not hold'} "
                  f"{claim_status.bound_text()}, bound {sep.bound:.1f} on {sep.dof:.1f} degrees of freedom)."]
    return "\n".join(lines)


def _flip(sep: claim_status.Separation) -> claim_status.Separation:
    return sep._replace(diff=-sep.diff)


def _values(replicas: list[dict], key: str) -> str:
    values = [t[key] for t in replicas]
    return ", ".join(f"{v:.0f}" for v in values) + f" | {mean_pm(*mean_se(values))}"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+", help="paper results (JSON written by mikmc report)")
    ap.add_argument("--state", required=True, choices=sorted(STATE_NAMES))
    ap.add_argument("--relax", required=True, help="relaxation of the protocol (3min, 1h, field-on)")
    ap.add_argument("--block", required=True, help="name of the block (<!-- generated:NAME -->)")
    ap.add_argument("--doc", default=str(ROOT / "docs" / "calibration.md"), help="page to regenerate")
    args = ap.parse_args(argv)
    require_files(ap, args.results)
    try:
        results = [paper_result.read(p) for p in args.results]
        body = replicas_markdown(results, [_relative(p) for p in args.results], args.state, args.relax)
    except ValueError as exc:
        ap.error(str(exc))
    names = replace_blocks(Path(args.doc), {args.block: body})
    print(f"{args.doc}: regenerated {', '.join(names) or f'nothing (no generated:{args.block} block)'}")


if __name__ == "__main__":
    main()
