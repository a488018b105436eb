"""Regenerate the numbers and figures of docs/paper.md from a paper result, so that none is typed.

Run:  python -m kmc.publish.paper_doc docs/data/paper_result.json [--doc docs/paper.md] [--figures docs/figures]
      python -m kmc.publish.paper_doc paper.zarr [more stores] --save docs/data/paper_result.json
      python -m kmc.publish.paper_doc --calibration fit.zarr --save docs/data/table1_surrogate_result.json
      python -m kmc.publish.paper_doc --levers docs/data/table1_hop_barrier_result.json
      python -m kmc.publish.paper_doc --levers docs/data/table1_nn_sign_result.json --block levers-nn-sign
      python -m kmc.publish.paper_doc --prediction docs/data/table1_nn_sign_predict_result.json \
          --fit table1_nn_sign_fit --block predict-nn-sign --figures docs/figures

With ``--prediction``, ``--figures`` draws the depth and alignment figures of that result
(``NAME_depth.png``, ``NAME_alignment.png``). A JSON argument is a result written by ``mikmc report`` (``result.json``, :mod:`kmc.paper.result`);
store arguments are summarised first (``--save`` keeps that summary). Every block between
``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->`` in the page is replaced by the matching
function below; text outside the markers is left as written. ``--calibration`` does the same for
the result of a calibration store (or its saved JSON) in docs/calibration.md, block
``calibration-<name of the calibration file>``. tests/test_paper_doc.py fails when a committed
page and its committed result disagree.
"""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

import numpy as np

from kmc.paper import result as paper_result
from kmc.paper import claim_status
from kmc.paper.claim_status import TABLE1_TOLERANCE, status_markdown
from kmc.paper.claims import STATE_NAMES, STATES
from kmc.paper.protocols import identify_state
from kmc.paper.report import claims_markdown, mean_pm, table_markdown
from kmc.analysis.stats import mean_se
from kmc.publish.calibration_doc import calibration_block, config_value, levers_markdown, load_calibration_result

ROOT = Path(__file__).resolve().parents[2]  # the source checkout (kmc/publish/paper_doc.py -> ../..)
#: the calibration whose result is the plug-in defaults (docs/calibration.md); its targets are
#: "fit targets" in the held-out table, everything else is held out
DEFAULTS_CALIBRATION = "table1_nn_sign_wide_fit"
QUANTITY_KEYS = {"delta_ms": "dMS", "delta_mr": "dMR", "mr_ratio": "ratio"}
#: seed paper, discussion of Table 1: "In the High M sample, M_S increases by a factor close to 2
#: between the first and last cycles ... the Mid M and Low M samples show ... a factor of approximately 3.6"
PAPER_GROWTH_FACTOR = {"low": 3.6, "mid": 3.6, "high": 2.0}


def fit_targets(calibration: str = DEFAULTS_CALIBRATION) -> set[tuple[str, str, str]]:
    """(state, relax, Table 1 key) of every target of the calibration that set the defaults (a
    bundled calibration name or a path)."""
    from kmc import config
    from kmc.calibration.parse import load_calibration

    cal = load_calibration(calibration)
    out = set()
    for t in cal.targets:
        state, relax = identify_state({"config": config.load(str(cal.bases[t.protocol])).resolved()})
        if state and t.quantity in QUANTITY_KEYS:
            out.add((state, relax, QUANTITY_KEYS[t.quantity]))
    return out


def fitted_parameters(calibration: str = DEFAULTS_CALIBRATION) -> list[str]:
    """Dotted keys of the parameters the calibration that set the defaults fits: named with their
    values in the provenance line, so the page says which defaults its numbers were run with."""
    from kmc.calibration.parse import load_calibration

    return [p.key for p in load_calibration(calibration).parameters]


def heldout_markdown(result: dict, targets=None, calibration: str = DEFAULTS_CALIBRATION) -> str:
    """Table 1 values side by side with the paper, each marked fit target (of ``calibration``), from fit
    targets (a ratio ΔM_R/ΔM_S both of whose terms are targets: not counted as held out) or held out."""
    targets = fit_targets(calibration) if targets is None else targets
    runs = {(r["state"], r["relax"]): r for r in result["runs"]}
    paper = result["paper"]
    rows = ["| state | quantity | protocol | role | sim | paper | diff | within 25 % |", "|---|---|---|---|---|---|---|---|"]
    held = []
    for s in STATES:
        for key, relax, paper_value in (("dMS", "3min", paper[s]["dMS"]), ("dMS", "field-on", paper[s]["dMS"]),
                                        ("dMH", "field-on", paper[s]["dMS"]),
                                        ("dMR", "3min", paper[s]["dMR"]["3min"]), ("ratio", "3min", paper[s]["ratio"]["3min"]),
                                        ("dMS", "1h", paper[s]["dMS"]), ("dMR", "1h", paper[s]["dMR"]["1h"]),
                                        ("ratio", "1h", paper[s]["ratio"]["1h"])):
            r = runs.get((s, relax))
            if r is None:
                continue
            mean, se = r["table1"][key]["mean"], r["table1"][key]["se"]
            role = ("fit target" if (s, relax, key) in targets
                    else "from fit targets" if key == "ratio" and {(s, relax, "dMS"), (s, relax, "dMR")} <= targets
                    else "held out")
            ok = mean is not None and abs(mean / paper_value - 1) <= TABLE1_TOLERANCE
            if role == "held out":
                held.append(ok)
            unit = " %" if key == "ratio" else ""
            label = {"dMS": "ΔM_S", "dMR": "ΔM_R", "ratio": "ΔM_R/ΔM_S", "dMH": "ΔM at 10 kOe (VSM)"}[key]
            diff = f"{100 * (mean / paper_value - 1):+.0f} %" if mean is not None else "n/a"
            rows.append(f"| {STATE_NAMES[s]} | {label} | {relax} | {role} | {mean_pm(mean, se)}{unit} | "
                        f"{paper_value:.0f}{unit} | {diff} | {'yes' if ok else 'no'} |")
    rows.append("")
    rows.append(f"Held out: {sum(held)} of {len(held)} values within {TABLE1_TOLERANCE:.0%} of the paper. "
                f"Fit targets: those of `runs/calibrations/{calibration}.toml`.")
    return "\n".join(rows)


def prediction_markdown(result: dict, calibration: str) -> str:
    """A held-out test of a calibration: Table 1 beside the paper (:func:`heldout_markdown`), then
    the orderings of the paper issue's done-when and claims 2, 4, 5 as kmc.paper.claim_status
    judges them on these runs (:func:`kmc.paper.claim_status.holds`)."""
    summaries = paper_result.runs_of(result)
    by = claim_status.by_state(summaries)
    checks = [f"{text}: {'yes' if holds else 'no'}" for text, holds in claim_status.ratio_orderings(by).items()]
    dms = {k: [t["dMS"] for t in v[1]] for k, v in by.items()}
    order = []
    for relax in ("3min", "1h"):
        if all((s, relax) in dms for s in STATES):
            high = all(claim_status.above(dms[("high", relax)], dms[(s, relax)]) for s in ("low", "mid"))
            mid = all(claim_status.above(dms[(s, relax)], dms[("mid", relax)]) for s in ("low", "high"))
            order.append(f"{relax}: High M above both others {'yes' if high else 'no'}, Mid M below both {'yes' if mid else 'no'}")
    verdict = claim_status.verdicts(summaries, result["paper"])
    claims = {c.number: c.text for c in claim_status.CLAIMS}
    return "\n".join([heldout_markdown(result, calibration=calibration), "",
                      "Order of ΔM_S as in Table 1 (beyond the same bound): " + "; ".join(order) + ".", "",
                      f"Orderings of ΔM_R/ΔM_S ({claim_status.bound_text()}): " + "; ".join(checks) + ".", "",
                      "Claims on these runs: " + "; ".join(
                          f"{n} ({claims[n]}): {'shown' if verdict[n] else 'not shown' if verdict[n] is False else 'not evaluated'}"
                          for n in (2, 4, 5)) + "."])


def mechanism_markdown(result: dict) -> str:
    """What the cycles add, per run: ΔM_S's baseline and end, N extracted, moment per N, electrolyte fill."""
    rows = ["| run | state | M_S at ΔM_S baseline | M_S final | ΔM_S | N extracted during the cycles (% of the film's N) | "
            "ΔM_S per % of N extracted (emu/cm³) | electrolyte fill at the baseline | M_S final / baseline |", "|" + "---|" * 9]
    for r in result["runs"]:
        c = [x for x in r["replicas"]["claims"] if x]
        if not c or r["state"] is None:
            continue

        def cell(key, fmt="{:.0f}"):
            return mean_pm(*mean_se([x.get(key) for x in c]), fmt)
        rows.append(f"| {r['name']} | {STATE_NAMES[r['state']]}, {r['relax']} | {cell('ms_min')} | {cell('ms_final')} | "
                    f"{mean_pm(r['table1']['dMS']['mean'], r['table1']['dMS']['se'])} | {cell('dn_cycles', '{:.1f}')} | "
                    f"{cell('dms_per_dn', '{:.1f}')} | {cell('fill_at_min', '{:.2f}')} | "
                    f"{mean_pm(*mean_se([x['ms_final'] / x['ms_min'] for x in c if x.get('ms_min')]), '{:.1f}')} |")
    points = [(mean_se([x.get("fill_at_min") for x in r["replicas"]["claims"] if x])[0], r["table1"]["dMS"]["mean"])
              for r in result["runs"] if r["state"] and any(r["replicas"]["claims"])]
    points = np.array([p for p in points if None not in p and all(map(math.isfinite, p))])
    if len(points) > 2:
        r_fill = float(np.corrcoef(points.T)[0, 1])
        slope = float(np.polyfit(points[:, 0], points[:, 1], 1)[0])
        rows += ["", f"Across these {len(points)} points, ΔM_S against the electrolyte's fill at the baseline: "
                 f"Pearson r = {r_fill:.2f}, slope {slope:.0f} emu/cm³ per unit fill. The paper's growth of M_S "
                 f"over the cycles (final / baseline, from its text): " +
                 ", ".join(f"{STATE_NAMES[s]} ≈ {g}" for s, g in PAPER_GROWTH_FACTOR.items()) + "."]
    return "\n".join(rows)


def provenance_markdown(result: dict, source: str) -> str:
    runs = result["runs"]
    reps = sorted({r["n_replicas"] for r in runs})
    cells = sorted({"×".join(map(str, r.get("cells_xy") or ["?"])) for r in runs})
    prints = ", ".join(r["fingerprint"] for r in runs)
    keys = fitted_parameters()
    fitted = sorted({", ".join(f"`{key}` = {config_value(r['config'], key)}" for key in keys) for r in runs})
    return (f"Generated by `python -m kmc.publish.paper_doc {source}` from {len(runs)} campaign points of "
            f"{', '.join(result.get('stores') or ['?'])} "
            f"({'/'.join(map(str, reps))} replicas each) on films {', '.join(cells)} cells wide, "
            f"mikmc {result.get('mikmc_version')}; data fingerprints {prints}. "
            f"Calibrated ion parameters of these runs: {'; '.join(fitted)}.")


def blocks(result: dict, source: str = "docs/data/paper_result.json") -> dict[str, str]:
    """Generated text of each block name."""
    summaries = paper_result.runs_of(result)
    return {
        "table1": table_markdown(summaries),
        "claims": claims_markdown(summaries),
        "status": status_markdown(summaries, result["paper"]),
        "heldout": heldout_markdown(result),
        "mechanism": mechanism_markdown(result),
        "provenance": provenance_markdown(result, source),
    }


def _grid():
    """A 2 × 3 grid of axes (rows: two quantities; columns: Low/Mid/High M) on the Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(11, 6), sharex=True, sharey="row")
    return fig, axes


def _save(fig, axes, path: Path, ylabels) -> Path:
    import matplotlib.pyplot as plt

    for row, label in enumerate(ylabels):
        axes[row, 0].set_ylabel(label)
    labelled = [ax for ax in axes[0] if ax.get_legend_handles_labels()[0]]
    if labelled:
        labelled[0].legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def figure_depth(result: dict, path: Path) -> Path:
    """CoFe fraction and N occupancy vs depth for Low/Mid/High M field-on runs: end of gating, ΔM_S's
    baseline (M_S minimum after relaxation), end of the cycles."""
    runs = {(r["state"], r["relax"]): r for r in result["runs"] if r.get("profiles")}
    fig, axes = _grid()
    for k, s in enumerate(STATES):
        r = runs.get((s, "field-on")) or runs.get((s, "3min"))
        if r is None:
            continue
        p = paper_result._nan(r["profiles"])
        for when, style in (("gate_end", ":"), ("ms_min", "--"), ("final", "-")):
            axes[0, k].plot(p["z_nm"], p[f"cofe_{when}"], style, label=when.replace("_", " "))
            axes[1, k].plot(p["z_nm"], p[f"n_{when}"], style, label=when.replace("_", " "))
        axes[0, k].set_title(f"{STATE_NAMES[s]} ({r['relax']})")
        axes[1, k].set_xlabel("height above the electrode (nm)" + ("; electrolyte →" if k == 1 else ""))
    return _save(fig, axes, path, ("CoFe fraction of metal sites", "N site occupancy"))


def figure_alignment(result: dict, path: Path) -> Path | None:
    """Alignment M/M_S vs depth of the zero-field protocols (3 min and 1 h relaxation): when the field
    is switched off and after the cycles; M_S per slice for reference. None without magnetisation
    profiles in the result (stores written before they were recorded)."""
    runs = {(r["state"], r["relax"]): r for r in result["runs"] if "m_final" in (r.get("profiles") or {})}
    if not any((s, relax) in runs for s in STATES for relax in ("3min", "1h")):
        return None
    fig, axes = _grid()
    for k, s in enumerate(STATES):
        for relax, color in (("3min", "tab:blue"), ("1h", "tab:red")):
            r = runs.get((s, relax))
            if r is None:
                continue
            p = {key: np.asarray(v, float) for key, v in paper_result._nan(r["profiles"]).items()}
            for when, style in (("relax_end", "--"), ("final", "-")):
                ms = p[f"ms_{when}"]
                align = np.divide(p[f"m_{when}"], ms, out=np.full_like(ms, np.nan), where=ms > 1.0)
                axes[0, k].plot(p["z_nm"], align, style, color=color, label=f"{relax}, {when.replace('_', ' ')}")
                axes[1, k].plot(p["z_nm"], ms, style, color=color)
        axes[0, k].set_title(STATE_NAMES[s])
        axes[0, k].axhline(0, color="k", lw=0.5)
        axes[1, k].set_xlabel("height above the electrode (nm)")
    return _save(fig, axes, path, ("M / M_S of the slice", "M_S of the slice (emu/cm³)"))


def _block_pattern(name: str) -> re.Pattern:
    """Opening marker, body (without the newlines replace_blocks puts around it), closing marker of the
    block NAME."""
    return re.compile(rf"(<!-- generated:{re.escape(name)} -->)\n?(.*?)\n?(<!-- /generated:{re.escape(name)} -->)", re.S)


def generated_block(doc: Path, name: str) -> str | None:
    """The body of ``doc``'s block between ``<!-- generated:NAME -->`` markers as
    :func:`replace_blocks` writes it (the lines between the markers); None if there is no such block."""
    m = _block_pattern(name).search(Path(doc).read_text())
    return m.group(2) if m else None


def replace_blocks(doc: Path, bodies: dict[str, str]) -> list[str]:
    """Replace the text between ``<!-- generated:NAME -->`` markers of ``doc``; returns the names found."""
    text = doc.read_text()
    done = []
    for name, body in bodies.items():
        pattern = _block_pattern(name)
        if pattern.search(text):
            text = pattern.sub(lambda m: f"{m.group(1)}\n{body}\n{m.group(3)}", text)
            done.append(name)
    doc.write_text(text)
    return done


def update(doc: Path, result: dict, source: str = "docs/data/paper_result.json") -> list[str]:
    """Rewrite the generated blocks of the paper page ``doc``; returns the names replaced."""
    return replace_blocks(doc, blocks(result, source))


def load(paths) -> dict:
    """A result from one JSON file, or summarised from run/campaign stores."""
    if len(paths) == 1 and Path(paths[0]).suffix == ".json":
        return paper_result.read(paths[0])
    from kmc.paper.report import load as load_stores

    return paper_result.summarize([r for p in paths for r in load_stores(p)])


def require_files(ap, paths: list[str]) -> None:
    """Stop the command ``ap`` with one line and exit status 2 if any of ``paths`` is not a file."""
    missing = [p for p in paths if not Path(p).is_file()]
    if missing:
        ap.error(f"no such file: {', '.join(missing)}")


def _relative(path: str) -> str:
    p = Path(path).resolve()
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else path


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*", help="a result.json, or run/campaign stores")
    ap.add_argument("--doc", help="page to regenerate (default: docs/paper.md, or docs/calibration.md)")
    ap.add_argument("--save", help="write the result (JSON) here")
    ap.add_argument("--figures", help="directory for the generated figures")
    ap.add_argument("--calibration", help="a calibration store or its saved JSON: regenerate its block")
    ap.add_argument("--levers", help="the result (JSON) of a hop-law campaign (runs/campaigns/table1_hop_barrier.toml, "
                    "table1_nn_sign.toml): regenerate its block in docs/calibration.md")
    ap.add_argument("--prediction", help="the result (JSON) of a held-out campaign: regenerate its block in "
                    "docs/calibration.md; --fit names the calibration whose targets it was fitted to")
    ap.add_argument("--fit", default=DEFAULTS_CALIBRATION, help="calibration of --prediction (bundled name)")
    ap.add_argument("--block", default="levers", help="name of that block (<!-- generated:NAME -->; default levers)")
    ap.add_argument("--ratios", action="store_true", help="with --levers: add each state's ΔM_R/ΔM_S")
    ap.add_argument("--depth", action="store_true", help="with --levers: add each state's bottom - top N and "
                    "electrolyte fill at the end of gating")
    ap.add_argument("--baseline", action="store_true", help="with --levers: add each state's ΔM_S baseline")
    args = ap.parse_args(argv)
    if args.levers or args.prediction:
        doc = Path(args.doc or ROOT / "docs" / "calibration.md")
        result = paper_result.read(args.levers or args.prediction)
        body = (levers_markdown(result, _relative(args.levers), ratios=args.ratios, depth=args.depth,
                                baseline=args.baseline) if args.levers
                else prediction_markdown(result, args.fit))
        if args.prediction and args.figures:
            print(f"figure: {figure_depth(result, Path(args.figures) / f'{args.block}_depth.png')}")
            aligned = figure_alignment(result, Path(args.figures) / f"{args.block}_alignment.png")
            print(f"figure: {aligned}" if aligned else "no magnetisation profiles in the result: no alignment figure")
        names = replace_blocks(doc, {args.block: body})
        print(f"{doc}: regenerated {', '.join(names) or f'nothing (no generated:{args.block} block)'}")
        return
    if args.calibration:
        data = paper_result._clean(load_calibration_result(args.calibration))
        name, source = data["calibration"], args.calibration
        if args.save:
            import json

            Path(args.save).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
            source = _relative(args.save)
        doc = Path(args.doc or ROOT / "docs" / "calibration.md")
        names = replace_blocks(doc, {f"calibration-{name}": calibration_block(data["result"], source, data["order"])})
        print(f"{doc}: regenerated {', '.join(names) or 'nothing (no generated:calibration-' + name + ' block)'}")
        return
    if not args.inputs:
        ap.error("give a paper result or stores, or --calibration")
    result = load(args.inputs)
    source = " ".join(args.inputs)
    if args.save:
        paper_result.write(result, args.save)
        source = _relative(args.save)
    doc = args.doc or str(ROOT / "docs" / "paper.md")
    names = update(Path(doc), result, source)
    print(f"{doc}: regenerated {', '.join(names) or 'nothing (no markers)'}")
    if args.figures:
        print(f"figure: {figure_depth(result, Path(args.figures) / 'paper_depth.png')}")
        aligned = figure_alignment(result, Path(args.figures) / "paper_alignment.png")
        print(f"figure: {aligned}" if aligned else "no magnetisation profiles in the result: no alignment figure")


if __name__ == "__main__":
    main()
