"""``mikmc report``: Table 1 of the seed paper from runs, figures, energy accounting, report.md.

Table 1 quantities of one run (paper protocols ``runs/paper/{low,mid,high}_m_{3min,1h}``):

- ΔM_S: final ``saturation_magnetization`` minus its minimum from the end of the first relaxation
  segment on (the moment left after relaxation, before the zero-field cycles);
- ΔM_R: the same for ``magnetization`` over zero-field frames (remanence);
- ΔM_R/ΔM_S;
- ΔM_H: for field-on cycles, the same for ``magnetization`` under the field: the moment a VSM
  measures at 10 kOe, which the paper calls M_S (``saturation_magnetization`` counts every
  ferromagnetic moment as aligned, which small superparamagnetic clusters are not at 10 kOe).

The state (Low/Mid/High M, 3 min or 1 h relaxation, field-on) is :func:`kmc.paper.protocols.identify_state`
of the run: from its segments, else its ``source`` (file name) or ``title``. Campaign stores (``points/<p>/replicas/<r>``) give replica
means and standard errors per point.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kmc.paper.claim_status import status_markdown
from kmc.paper.claims import (PAPER_TABLE1, STATE_NAMES, baseline_frame, claim_numbers, depth_profiles,
                              relaxation_end)
from kmc.paper.result import fingerprint, summarize, write
from kmc.paper.protocols import identify_state
from kmc.analysis.stats import mean_se as _mean_se
from kmc.analysis.summary import segment_end_frames

#: seed paper: VSM electromagnet at 10 kOe vs gating at remanence. The paper prints
#: "(104 V × 6.5 A)/(25 V × 10⁻⁵ A) = 2.7 × 10⁶": 104 V × 6.5 A = 676 W.
MAGNET_POWER_W = 104.0 * 6.5
GATE_POWER_W = 25.0 * 1e-5
PAPER_AREA_NM2 = 25e12          # 5 × 5 mm²
E_CHARGE_C = 1.602176634e-19


def table1(data: dict) -> dict:
    """ΔM_S, ΔM_R, ΔM_R/ΔM_S, ΔM_H (emu/cm³, %) of one run's frames (``kmc.storage.store.read_frames``)."""
    out = {"dMS": math.nan, "dMR": math.nan, "ratio": math.nan, "dMH": math.nan}
    if "saturation_magnetization" not in data or len(data["time"]) < 2:
        return out
    ends = segment_end_frames(np.asarray(data["segment"]))
    start = relaxation_end(ends)
    ms = np.asarray(data["saturation_magnetization"], float)
    out["dMS"] = float(ms[-1] - ms[baseline_frame(ms, ends)])
    m = np.asarray(data["magnetization"], float)
    zero = np.flatnonzero(np.asarray(data["field"]) == 0)
    zero = zero[zero >= start]
    if len(zero) and zero[-1] == len(m) - 1:
        out["dMR"] = float(m[-1] - np.nanmin(m[zero]))
    if out["dMS"] and math.isfinite(out["dMR"]):
        out["ratio"] = 100.0 * out["dMR"] / out["dMS"]
    if np.all(np.asarray(data["field"])[start:] != 0):                  # field-on cycles: what a VSM reads
        out["dMH"] = float(m[-1] - np.nanmin(m[start:]))
    return out


def gate_current(data: dict, attrs: dict) -> dict:
    """Ionic gate current estimate: (exits − entries) per second × 3e, scaled to the paper's 5×5 mm² film."""
    t = np.asarray(data["time"], float)
    net = np.asarray(data["exits"], float) - np.asarray(data["entries"], float)
    area = float(attrs.get("film", {}).get("area_nm2", math.nan))
    scale = PAPER_AREA_NM2 / area
    gated = np.asarray(data["voltage"], float)[1:] < 0
    dt = np.diff(t)
    rate = np.divide(np.diff(net), dt, out=np.zeros_like(dt), where=dt > 0)
    amps = rate * 3 * E_CHARGE_C * scale
    mean_gate = float(np.sum(amps[gated] * dt[gated]) / np.sum(dt[gated])) if gated.any() else math.nan
    return {"mean_gate_a": mean_gate, "peak_a": float(np.max(np.abs(amps))) if len(amps) else math.nan,
            "time": t[1:], "amps": amps}


@dataclass
class RunResult:
    name: str
    path: str
    attrs: dict
    data: dict
    labels: list
    state: tuple
    complete: bool
    t1: dict = field(default_factory=dict)
    current: dict = field(default_factory=dict)
    replicas: list = field(default_factory=list)   # table1 dicts of campaign replicas
    claims: list = field(default_factory=list)     # kmc.paper.claims numbers of each replica (or of the run)
    profiles: list = field(default_factory=list)   # kmc.paper.claims.depth_profiles of each replica
    fingerprint: str = ""                          # kmc.paper.result.fingerprint of the run groups


def _runs_in(path: Path):
    """(name, group, replicas, every replica started) of each run in a run store or a campaign store
    (checked: kmc.storage.integrity)."""
    from kmc.storage.integrity import check_run, child_groups, open_verified
    from kmc.storage.store import CAMPAIGN_ATTR

    root = open_verified(path)
    if "points" not in root:
        yield path.stem, root, [], True
        return
    expected = int(root.attrs.get(CAMPAIGN_ATTR, {}).get("replicas", 0))
    for p_name, point in child_groups(root["points"]):
        reps = child_groups(point["replicas"]) if "replicas" in point else []
        for _, g in reps:
            check_run(g)
        # a running campaign: replicas not begun (no group) or without a frame yet add only their incompleteness
        started = [g for _, g in reps if "frames_written" in g.attrs]
        if started:
            yield f"{path.stem}/{p_name}", started[0], started, len(started) == max(len(reps), expected)


def load(path) -> list[RunResult]:
    from kmc.storage.store import read_frames

    path = Path(path)
    out = []
    for name, group, replicas, all_started in _runs_in(path):
        attrs = dict(group.attrs)
        if "frames_written" not in attrs:
            raise ValueError(f"{path}: not a mikmc store")
        data = read_frames(group)
        labels = list(group["segment"].attrs.get("labels", []))
        complete = all_started and bool(attrs.get("complete")) and all(bool(g.attrs.get("complete")) for g in replicas)
        res = RunResult(name, str(path), attrs, data, labels, identify_state(attrs), complete)
        res.t1 = table1(data)
        res.current = gate_current(data, attrs) if len(data["time"]) > 1 else {}
        frames = [(read_frames(g), dict(g.attrs)) for g in replicas] or [(data, attrs)]
        res.replicas = [table1(d) for d, _ in frames] if replicas else []
        res.claims = [claim_numbers(d, a) for d, a in frames]
        names = group["phase_profile"].attrs.get("phase_names", []) if "phase_profile" in group else []
        res.profiles = [depth_profiles(d, a, names) if "CoFe" in names else {} for d, a in frames]
        res.fingerprint = fingerprint(replicas or [group])
        out.append(res)
    return out


def _f(x, fmt="{:.2f}"):
    return fmt.format(x) if x is not None and math.isfinite(x) else "n/a"


def _rel(sim, paper):
    return f"{100 * (sim - paper) / paper:+.0f} %" if math.isfinite(sim) and math.isfinite(paper) and paper else "n/a"


def mean_pm(mean, se, fmt="{:.0f}") -> str:
    """'mean ± se' in ``fmt`` (the SE without a forced sign); 'n/a' for a missing mean, no ± for a missing SE."""
    if mean is None or not math.isfinite(mean):
        return "n/a"
    return _f(mean, fmt) + (f" ± {_f(se, fmt.replace('+', ''))}" if se is not None and math.isfinite(se) else "")


def table_markdown(results: list[RunResult]) -> str:
    rows = ["| run | state | complete | ΔM_S sim | ΔM_S paper | diff | ΔM_R sim | ΔM_R paper | diff | "
            "ΔM_R/ΔM_S sim | paper | diff |", "|" + "---|" * 12]
    for r in results:
        s, relax = r.state
        t1 = dict(r.t1)
        pm = "" if not r.replicas or len(r.replicas) < 2 else None
        if r.replicas and len(r.replicas) > 1:
            stats = {k: _mean_se([x[k] for x in r.replicas]) for k in ("dMS", "dMR", "ratio")}
            t1 = {k: v[0] for k, v in stats.items()}
            pm = {k: f" ± {_f(v[1])}" if math.isfinite(v[1]) else "" for k, v in stats.items()}
        pm = pm or {"dMS": "", "dMR": "", "ratio": ""}
        paper = PAPER_TABLE1.get(s)
        p_ms = paper["dMS"] if paper else math.nan
        p_mr = paper["dMR"].get(relax, math.nan) if paper else math.nan      # no ΔM_R for field-on cycles
        p_ra = paper["ratio"].get(relax, math.nan) if paper else math.nan
        state = f"{STATE_NAMES[s]}, {relax}" if s else "unknown"
        rows.append(f"| {r.name} | {state} | {'yes' if r.complete else '**NO**'} | {_f(t1['dMS'])}{pm['dMS']} | "
                    f"{_f(p_ms)} | {_rel(t1['dMS'], p_ms)} | {_f(t1['dMR'])}{pm['dMR']} | {_f(p_mr)} | "
                    f"{_rel(t1['dMR'], p_mr)} | {_f(t1['ratio'], '{:.1f} %')}{pm['ratio']} | "
                    f"{_f(p_ra, '{:.1f} %')} | {_rel(t1['ratio'], p_ra)} |")
    return "\n".join(rows)


def claims_markdown(results: list[RunResult]) -> str:
    """The paper's claims 1, 3, 5, 6 per run (kmc.paper.claims), replica mean ± SE for campaign points."""
    rows = ["| run | state | M_S end of gating | relaxation | 0 V halves lowering M_S | potentiation | "
            "M_R final | M_R final / M_S end of gating | N bottom/middle/top third, end of gating | "
            "electrolyte saturation | dM_S/dt per 4 min block of gating |", "|" + "---|" * 11]

    def cell(claims, key, fmt="{:.0f}", index=None):
        vals = [c[key] if index is None else c[key][index] for c in claims
                if key in c and (index is None or len(c[key]) > index)]
        return mean_pm(*_mean_se(vals), fmt)

    for r in results:
        if not any(r.claims):
            continue
        s, relax = r.state
        state = f"{STATE_NAMES[s]}, {relax}" if s else "unknown"
        n_blocks = min(len(c.get("slopes", [])) for c in r.claims if c)
        c = r.claims
        thirds = " / ".join(cell(c, "thirds", "{:.2f}", i) for i in range(3))
        slopes = ", ".join(cell(c, "slopes", "{:.1f}", i) for i in range(n_blocks))
        rows.append(f"| {r.name} | {state} | {cell(c, 'gate_ms')} | {cell(c, 'relax_pct', '{:+.1f}')} % | "
                    f"{cell(c, 'cycle_relax_lowers', '{:.2f}')} | {cell(c, 'potentiation')} | {cell(c, 'mr_final')} | "
                    f"{cell(c, 'mr_over_gate_ms', '{:.2f}')} | {thirds} | {cell(c, 'saturation', '{:.2f}')} | {slopes} |")
    return "\n".join(rows)


# ---------------------------------------------------------------- figures

def _shade(ax, t_min, voltage, field_oe):
    """Shade gating (V < 0) and field-on spans."""
    for mask, color, label in ((voltage < 0, "tab:red", "−25 V gate"), (field_oe != 0, "tab:blue", "field on")):
        first = True
        edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(int), 0]))
        for a, b in zip(edges[::2], edges[1::2]):
            ax.axvspan(t_min[max(a - 1, 0)], t_min[b - 1], color=color, alpha=0.12, lw=0,
                       label=label if first else None)
            first = False


def fig_magnetization(r: RunResult, plt):
    d = r.data
    t = d["time"] / 60
    fig, (ax, axv) = plt.subplots(2, 1, sharex=True, figsize=(8, 5), gridspec_kw={"height_ratios": [3, 1]})
    if "saturation_magnetization" in d:
        ax.plot(t, d["saturation_magnetization"], label="M_S (all moments aligned)")
        ax.plot(t, d["magnetization"], label="M (M_R where field = 0)")
    _shade(ax, t, d["voltage"], d["field"])
    ax.set_ylabel("M (emu/cm³)")
    ax.legend(fontsize=8)
    ax.set_title(f"{r.name}" + ("" if r.complete else "  [INCOMPLETE]"))
    axv.step(t, d["voltage"], where="post", color="k")
    _shade(axv, t, d["voltage"], d["field"])
    axv.set_ylabel("V (V)")
    axv.set_xlabel("t (min)")
    fig.tight_layout()
    return fig


def fig_profiles(r: RunResult, plt, z_nm):
    d = r.data
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ends = segment_end_frames(d["segment"])
    cmap = plt.get_cmap("viridis")
    ax.plot(z_nm, d["n_profile"][0], color="k", ls="--", label="t = 0")
    for k, i in enumerate(ends):
        seg = int(d["segment"][i])
        lab = r.labels[seg] if seg < len(r.labels) else str(seg)
        ax.plot(z_nm, d["n_profile"][i], color=cmap(k / max(len(ends) - 1, 1)),
                label=f"{lab} ({d['time'][i] / 60:.1f} min)")
    ax.set_xlabel("depth z from electrode (nm)")
    ax.set_ylabel("N site occupancy")
    ax.legend(fontsize=6, ncol=2)
    ax.set_title("N depth profiles at segment ends")
    fig.tight_layout()
    return fig


def fig_phase_map(r: RunResult, plt, z_nm, phase_names):
    d = r.data
    prof = d["phase_profile"]
    fig, axes = plt.subplots(1, len(phase_names), figsize=(3.2 * len(phase_names), 3.6), sharey=True)
    t = d["time"] / 60
    zp = np.linspace(z_nm[0], z_nm[-1], prof.shape[1])
    for k, (ax, name) in enumerate(zip(np.atleast_1d(axes), phase_names)):
        im = ax.pcolormesh(t, zp, prof[:, :, k].T, shading="nearest", vmin=0, vmax=1, cmap="magma",
                           rasterized=True)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("t (min)")
    np.atleast_1d(axes)[0].set_ylabel("z (nm)")
    fig.colorbar(im, ax=axes, label="fraction of metal sites")
    return fig


def _save(fig, out: Path, stem: str, plt) -> str:
    fig.savefig(out / f"{stem}.png", dpi=110)
    fig.savefig(out / f"{stem}.svg")
    plt.close(fig)
    return f"{stem}.png"


def build_report(stores, out_dir) -> Path:
    """Write report.md with Table 1, figures (PNG + SVG) and energy accounting into ``out_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results = [r for s in stores for r in load(s)]
    md = ["# mikmc report", ""]
    for r in results:
        if not r.complete:
            n, total = r.attrs.get("frames_written"), r.attrs.get("n_frames")
            md.append(f"> **WARNING: {r.name} is INCOMPLETE** ({n} of {total} frames written): its numbers "
                      "cover only the frames written and are not the protocol's result.")
            md.append("")
    md += ["## Table 1", "",
           "ΔM_S: final M_S minus its minimum from the end of the first relaxation on; ΔM_R: the same for M at "
           "zero field; units emu/cm³ per initial film volume. Paper: seed paper Table 1. "
           "Relative difference = (sim − paper)/paper. Campaign points: replica mean ± standard error.", "",
           table_markdown(results), "",
           "## The paper's claims", "",
           "Claim 1: M_S at the end of field-on gating, its change over the first 0 V relaxation, the fraction of "
           "0 V half-cycles that lower M_S, the net gain over the cycles (potentiation). Claim 3: M_R after the "
           "zero-field cycles against M_S at the end of gating (> 1 for High M, 3 min in the paper). Claim 5: N "
           "depth profile at the end of gating (Low M: depleted at the top; High M: at the bottom) and the "
           "near-surface electrolyte's N over its capacity. Claim 6: gating slope per 4 min block (High M: "
           "drops after ~10 min). emu/cm³, emu/cm³/min; campaign points: replica mean ± standard error.", "",
           claims_markdown(results), "",
           "## Claim status", "",
           "Provenance: *predicted* (no parameter set or fitted with the quantity in view), *fitted*, *set by "
           "hand* (the parameter named), *recomputed*. A claim is reproduced only when predicted and shown by "
           "these runs (kmc/paper/claim_status.py states each test).", "",
           status_markdown(results, PAPER_TABLE1), "",
           "## Energy accounting", "",
           f"- Field-assisted vs voltage-only actuation (paper): (104 V × 6.5 A)/(25 V × 10⁻⁵ A) = "
           f"{MAGNET_POWER_W:.0f} W / {GATE_POWER_W:.1e} W = {MAGNET_POWER_W / GATE_POWER_W:.2g} "
           "(the paper quotes 2.7 × 10⁶).",
           "- Simulated ionic gate current (**estimate**): (exits − entries) per second × 3e, scaled from the "
           "simulated area to the paper's 5 × 5 mm² film; it counts only N³⁻ crossing the film surface "
           "(no electronic leakage, no EDL charging).", ""]
    md += ["| run | mean ionic current while gated (A) | peak ionic current magnitude (A) | gate power at 25 V (W) | "
           "electromagnet / ionic gate power |", "|---|---|---|---|---|"]
    for r in results:
        c = r.current or {}
        i = c.get("mean_gate_a", math.nan)
        p = 25.0 * abs(i) if math.isfinite(i) else math.nan
        md.append(f"| {r.name} | {_f(i, '{:.2e}')} | {_f(c.get('peak_a', math.nan), '{:.2e}')} | {_f(p, '{:.2e}')} | "
                  f"{_f(MAGNET_POWER_W / p if p else math.nan, '{:.2e}')} |")
    md += ["", "## Figures", ""]
    for k, r in enumerate(results):
        tag = re.sub(r"[^A-Za-z0-9_]+", "_", r.name)
        md.append(f"### {r.name}" + ("" if r.complete else " (INCOMPLETE)"))
        md.append("")
        if len(r.data["time"]) == 0:
            md += ["no frames written", ""]
            continue
        z_nm = np.asarray(_layer_z(r), float)
        md.append(f"![M(t)]({_save(fig_magnetization(r, plt), out, f'{k}_{tag}_magnetization', plt)})")
        md.append(f"![N profiles]({_save(fig_profiles(r, plt, z_nm), out, f'{k}_{tag}_n_profiles', plt)})")
        if "phase_profile" in r.data:
            names = _phase_names(r)
            md.append(f"![phases]({_save(fig_phase_map(r, plt, z_nm, names), out, f'{k}_{tag}_phase_map', plt)})")
        md.append("")
    path = out / "report.md"
    path.write_text("\n".join(md) + "\n")
    write(summarize(results), out / "result.json")
    return path


def _group(r: RunResult):
    from kmc.storage.store import open_run

    root = open_run(r.path)
    if "points" in root:
        p = r.name.split("/", 1)[1]
        return sorted(root["points"][p]["replicas"].groups())[0][1]
    return root


def _layer_z(r: RunResult):
    g = _group(r)
    n = r.data["n_profile"].shape[1]
    return g["n_profile"].attrs.get("layer_z_nm", list(range(n)))


def _phase_names(r: RunResult):
    return list(_group(r)["phase_profile"].attrs["phase_names"])
