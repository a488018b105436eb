"""Where the zero-field cycles' moment comes from, per state: the table of docs/paper.md, generated
from the records of ``mikmc regrowth``.

Run:  python -m kmc.publish.regrowth_doc docs/data/heldout_fit_regrowth.json \\
          docs/data/heldout_fit_regrowth_exact.json --block regrowth-heldout [--doc docs/paper.md]

One row per file, state and relaxation, over that file's runs (replica mean ± SE): the share of the
final moment that grew after the field's switch-off, the share of that which nucleated apart from
the network (:mod:`kmc.model.regrowth`), the alignment M·e/M of the residual, grown-on and
nucleated-apart moment, and the regrown moment's share and alignment per phase, beside the paper's
ΔM_R/ΔM_S. A file's runs are *exact* when a snapshot was taken at every coupling. Runs of the
same seed and campaign key in two files are compared at their end (a snapshot only observes).
tests/test_regrowth_doc.py fails when the committed page and the committed JSON disagree.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from kmc.analysis.stats import mean_se
from kmc.paper.claims import PAPER_TABLE1, STATE_NAMES, STATES
from kmc.paper.report import mean_pm
from kmc.publish.paper_doc import ROOT, _grid, _relative, _save, replace_blocks, require_files

RELAXES = ("3min", "1h")
RELAX_NAMES = {"3min": "3 min", "1h": "1 h"}
REGROWN = ("grown_on", "apart")


def read(path) -> list[dict]:
    """The records of a ``mikmc regrowth`` JSON file."""
    return json.loads(Path(path).read_text())["records"]


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def run_values(rec: dict) -> dict:
    """One run's shares (of moment, μB/μB) and alignments (M·e/M) from its record."""
    o = rec["origins"]
    regrown = sum(o[k]["moment_mub"] for k in REGROWN)
    total = regrown + o["residual"]["moment_mub"]
    out = {"regrown_share": _ratio(regrown, total),
           "apart_share": _ratio(o["apart"]["moment_mub"], regrown),
           "regrown_alignment": _ratio(sum(o[k]["projection_mub"] for k in REGROWN), regrown),
           "regrown_height_nm": _ratio(sum(o[k]["height_nm"] * o[k]["moment_mub"] for k in REGROWN
                                           if o[k]["moment_mub"] > 0), regrown)}
    for k in ("residual", *REGROWN):
        out[f"{k}_alignment"] = _ratio(o[k]["projection_mub"], o[k]["moment_mub"])
    for phase in o["grown_on"]["phases"]:
        mu = sum(o[k]["phases"][phase]["moment_mub"] for k in REGROWN)
        out[f"share:{phase}"] = _ratio(mu, regrown)
        out[f"alignment:{phase}"] = _ratio(sum(o[k]["phases"][phase]["projection_mub"] for k in REGROWN), mu)
    return out


def groups(records: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """(state, relax) -> the run values of that protocol, in the paper's order."""
    out = {}
    for state in STATES:
        for relax in RELAXES:
            vals = [run_values(r) for r in records if (r["state"], r["relax"]) == (state, relax)]
            if vals:
                out[(state, relax)] = vals
    return out


def _pm(values: list[float], scale: float = 100.0, fmt: str = "{:.0f}") -> str:
    m, se = mean_se([v * scale for v in values])
    return mean_pm(m, se, fmt)


def resolution(records: list[dict]) -> str:
    """'every coupling' if every run has a snapshot at each coupling, else the largest gap."""
    if all(r["exact"] for r in records):
        return "a snapshot at every coupling (exact)"
    return (f"snapshots at segment ends, up to {max(r['largest_gap_s'] for r in records):.0f} s apart (a piece "
            "that reached the network between two counts as grown on it)")


def same_runs(files: list[list[dict]]) -> list[tuple[dict, dict]]:
    """Pairs of records of one seed and campaign key in two different files."""
    seen, pairs = {}, []
    for i, records in enumerate(files):
        for r in records:
            key = (r["seed"], tuple(r["spawn_key"] or ()), r["state"], r["relax"],
                   json.dumps(r.get("overrides") or {}, sort_keys=True))
            if key in seen and seen[key][0] != i:
                pairs.append((seen[key][1], r))
            seen.setdefault(key, (i, r))
    return pairs


def regrowth_markdown(files: list[list[dict]], sources: list[str]) -> str:
    """The generated block: per file, one row per state and relaxation; the summary sentences."""
    phases = list(files[0][0]["origins"]["grown_on"]["phases"])
    head = ("| runs | state | relaxation | paper ΔM_R/ΔM_S (%) | regrown share of the final moment (%) | "
            "nucleated apart, share of the regrown (%) | regrown: mean height (nm) | alignment (%): residual | grown on | nucleated apart | "
            + " | ".join(f"{p}: share of the regrown (%) | alignment (%)" for p in phases) + " |")
    lines = []
    for records, src in zip(files, sources):
        changed = overrides(records)
        note = "" if not changed else (
            " Magnetism changed for the analysis: " + ", ".join(f"`{k} = {v}`" for k, v in changed.items())
            + "; the stored spins evolved under the runs' own magnetism, so no alignment is shown.")
        lines += [f"`{Path(src).name}`: {len(records)} runs, {resolution(records)}.{note}", "", head,
                  "|" + "---|" * (10 + 2 * len(phases))]
        for (state, relax), vals in groups(records).items():
            # with the magnetism changed, the stored spins evolved under another one: no alignment shown
            col = lambda k: [math.nan if changed and "alignment" in k else v[k] for v in vals]  # noqa: E731
            lines.append(
                f"| {len(vals)} | {STATE_NAMES[state]} | {RELAX_NAMES[relax]} | {PAPER_TABLE1[state]['ratio'][relax]:.0f} | "
                f"{_pm(col('regrown_share'), fmt='{:.1f}')} | {_pm(col('apart_share'), fmt='{:.2f}')} | "
                f"{_pm(col('regrown_height_nm'), 1.0, '{:.1f}')} | "
                f"{_pm(col('residual_alignment'))} | {_pm(col('grown_on_alignment'))} | "
                f"{_pm(col('apart_alignment'))} | "
                + " | ".join(f"{_pm(col(f'share:{p}'), fmt='{:.1f}')} | {_pm(col(f'alignment:{p}'))}" for p in phases) + " |")
        lines.append("")
    lines += summary(files)
    return "\n".join(lines).rstrip()


def _paper_range() -> str:
    ratios = [r for t in PAPER_TABLE1.values() for relax, r in t["ratio"].items() if relax in RELAXES]
    return f"{min(ratios):.0f}–{max(ratios):.0f} %"


def overrides(records: list[dict]) -> dict:
    """The magnetic keys a file's analysis changed (``mikmc regrowth --set``); ValueError if its runs differ."""
    sets = {json.dumps(r.get("overrides") or {}, sort_keys=True) for r in records}
    if len(sets) > 1:
        raise ValueError(f"the runs of one file were analysed with different --set: {sorted(sets)}")
    return json.loads(sets.pop()) if sets else {}


def summary(files: list[list[dict]]) -> list[str]:
    """The sentences under the tables, each computed from the records."""
    if not any(groups(records) for records in files):
        raise ValueError("no run of a paper protocol (Low/Mid/High M, 3 min or 1 h relaxation) in the records")
    every = [run_values(r) for records in files for r in records if r["state"] in STATE_NAMES]
    apart = max(v["apart_share"] for v in every) * 100
    means = [mean_se([v["grown_on_alignment"] for v in vals])[0] * 100
             for records in files if not overrides(records) for vals in groups(records).values()]
    out = [f"In every run the moment that nucleated apart from the network is at most {apart:.2f} % of the regrown "
           "moment" + (f"; the grown-on moment's mean alignment lies between {min(means):.0f} % and {max(means):.0f} % "
                       f"in every state and relaxation (paper's ΔM_R/ΔM_S: {_paper_range()})." if means else ".")]
    pairs = same_runs(files)
    if pairs:
        same = all(a["ms_emu_cm3"] == b["ms_emu_cm3"] and a["mr_emu_cm3"] == b["mr_emu_cm3"] for a, b in pairs)
        out.append(f"{len(pairs)} runs appear in two files (same seed and campaign key, other snapshot interval): "
                   + ("their final M_S and M_R are identical to the last bit." if same else
                      "their final M_S or M_R DIFFER: a snapshot changed a trajectory."))
    return out


def depth_profiles(records: list[dict], state: str, relax: str) -> dict | None:
    """Pooled over the runs of one protocol: per depth block (bottom first) the block's centre height
    (nm), the share of the regrown moment in it and that moment's alignment M·e/M (NaN where none
    regrew). None without runs of the protocol."""
    import numpy as np

    runs = [r for r in records if (r["state"], r["relax"]) == (state, relax)]
    if not runs:
        return None
    mu = sum(np.add(*(r["origins"][k]["block_moment_mub"] for k in REGROWN)) for r in runs)
    proj = sum(np.add(*(r["origins"][k]["block_projection_mub"] for k in REGROWN)) for r in runs)
    thick = float(runs[0]["thickness_nm"])
    z = (np.arange(len(mu)) + 0.5) * thick / len(mu)
    return {"z_nm": z, "share": mu / mu.sum(),
            "alignment": np.divide(proj, mu, out=np.full(len(mu), np.nan), where=mu > 0)}


def figure(records: list[dict], path: Path) -> Path:
    """Alignment and share of the regrown moment vs height, Low/Mid/High M, 3 min and 1 h relaxation."""
    fig, axes = _grid()
    for k, state in enumerate(STATES):
        for relax, color in (("3min", "tab:blue"), ("1h", "tab:red")):
            p = depth_profiles(records, state, relax)
            if p is None:
                continue
            axes[0, k].plot(p["z_nm"], p["alignment"], "o-", color=color, label=f"{RELAX_NAMES[relax]} relaxation")
            axes[1, k].plot(p["z_nm"], p["share"], "o-", color=color)
        axes[0, k].set_title(STATE_NAMES[state])
        axes[0, k].axhline(0, color="k", lw=0.5)
        axes[1, k].set_xlabel("height above the electrode (nm)")
    return _save(fig, axes, path, ("alignment M·e/M of the regrown moment", "share of the regrown moment"))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("records", nargs="+", help="JSON files written by mikmc regrowth")
    ap.add_argument("--block", required=True, help="name of the block (<!-- generated:NAME -->)")
    ap.add_argument("--doc", default=str(ROOT / "docs" / "paper.md"), help="page to regenerate")
    ap.add_argument("--figure", help="also draw the depth profiles of the first file's runs into this PNG")
    args = ap.parse_args(argv)
    require_files(ap, args.records)
    files = [read(p) for p in args.records]
    if not all(files):
        ap.error("a records file holds no run")
    try:
        body = regrowth_markdown(files, [_relative(p) for p in args.records])
    except ValueError as exc:
        ap.error(str(exc))
    names = replace_blocks(Path(args.doc), {args.block: body})
    print(f"{args.doc}: regenerated {', '.join(names) or f'nothing (no generated:{args.block} block)'}")
    if args.figure:
        print(f"{figure(files[0], Path(args.figure))}: written")


if __name__ == "__main__":
    main()
