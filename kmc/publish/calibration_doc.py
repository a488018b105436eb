"""Generated blocks of docs/calibration.md: a calibration's result (a fit's tables, or a sensitivity
scan's) and the campaigns of the paper's states along model parameters (runs/campaigns/table1_hop_barrier.toml,
table1_nn_sign*.toml). Run through ``python -m kmc.publish.paper_doc --calibration STORE`` or
``--levers RESULT [--block NAME]``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from kmc.paper import claim_status
from kmc.paper.claims import STATE_NAMES, STATES
from kmc.paper.report import _f, mean_pm


def calibration_markdown(result: dict, source: str, order: dict) -> str:
    """A calibration store's ``result`` attribute (kmc.calibration.result.Result.to_dict) as tables;
    ``order``: {"targets": [names], "parameters": [keys]} in the calibration's order (the stored
    result's dicts may come back sorted; its sensitivity rows and columns follow this order)."""
    def num(x, fmt="{:.4g}"):
        return _f(x, fmt)

    sur = result.get("surrogate") or {}
    rows = [f"From `{source}`: χ² = {num(result['chi2'], '{:.3g}')} for {len(result['targets'])} targets, "
            f"{result['evaluations']} evaluations" + (f" ({', '.join(f'{k} {v}' for k, v in sur['evaluations_by_level'].items())}"
                                                     f", {num(sur.get('core_hours'), '{:.2f}')} core-hours)" if sur else "")
            + f"; {'converged' if result['converged'] else 'not converged'}: {result['message'].rstrip('.')}."
            + (f" The model column is the full-film evaluation nearest to the fit; the surrogate predicts "
               f"χ² = {num(sur['chi2_predicted'], '{:.3g}')} at the fit itself." if "chi2_predicted" in sur else ""), "",
            "| parameter | start | fitted | ± 1σ | χ² < χ²_min + 1 |", "|---|---|---|---|---|"]
    box = sur.get("interval_chi2_min_plus_1", {})
    for key in order["parameters"]:
        p = result["parameters"][key]
        lo, hi = box.get(key, [None, None])
        rows.append(f"| `{key}` | {num(p['start'])} | {num(p['value'])} | {num(p['sigma'], '{:.2g}')} | "
                    f"{num(lo)} – {num(hi)} |")
    gp = sur.get("targets", {})
    rows += ["", "| target | value | σ | model (full film) | ± SEM | (model − value)/s"
             + (" | surrogate at the fit | ± sd |" if gp else " |"), "|---|---|---|---|---|---|" + ("---|---|" if gp else "")]
    for name in order["targets"]:
        t = result["targets"][name]
        rows.append(f"| {name} | {num(t['value'])} | {num(t['sigma'], '{:.3g}')} | {num(t['model_mean'])} | "
                    f"{num(t['model_sem'], '{:.2g}')} | {num(t['residual'], '{:+.2f}')} |"
                    + (f" {num(gp[name]['predicted'])} | {num(gp[name]['predicted_sd'], '{:.2g}')} |" if name in gp else ""))
    keys = order["parameters"]
    rows += ["", "| sensitivity d target / d ln p | " + " | ".join(f"`{k}`" for k in keys) + " |",
             "|---|" + "---|" * len(keys)]
    for name, sens in zip(order["targets"], result.get("sensitivity_dlnp") or []):
        rows.append(f"| {name} | " + " | ".join(num(x, "{:.0f}") for x in sens) + " |")
    return "\n".join(rows + history_markdown(result.get("history") or [], order))


def history_markdown(history: list, order: dict) -> list[str]:
    """Every evaluated point of a result (``Result.to_dict()["history"]``, older results have none),
    sorted by its parameters: the parameters, each target's replica mean ± SEM, the fidelity level."""
    if not history:
        return []
    keys, names = order["parameters"], order["targets"]
    rows = ["", f"Every point evaluated ({len(history)}), replica mean ± SEM:", "",
            "| " + " | ".join(f"`{k}`" for k in keys) + " | " + " | ".join(names) + " | level |",
            "|" + "---|" * (len(keys) + len(names) + 1)]
    for h in sorted(history, key=lambda h: [h["parameters"][k] for k in keys]):
        t = h["targets"]
        rows.append("| " + " | ".join(_f(h["parameters"][k], "{:.5g}") for k in keys) + " | "
                    + " | ".join(f"{_f(t[n]['mean'], '{:.4g}')} ± {_f(t[n]['sem'], '{:.2g}')}" for n in names)
                    + f" | {h['level']} |")
    return rows


def _state_of(target_name: str) -> tuple[str | None, str | None]:
    m = re.search(r"(low|mid|high)_m.*?(dMS|dMR)", target_name, re.I)
    return (m.group(1).lower(), m.group(2)) if m else (None, None)


def sensitivity_markdown(result: dict, source: str, order: dict) -> str:
    """A ``method = "sensitivity"`` result (kmc.calibration.sensitivity.Sensitivity.to_dict) as tables:
    the targets at the start point, each target at each parameter's p− and p+ (the response need not
    be monotonic), and High M's ΔM_S against the mean of Low and Mid M's (the contrast Table 1 needs)."""
    names, keys = order["targets"], order["parameters"]
    at = {"−": np.array(result["at_minus"], float), "+": np.array(result["at_plus"], float)}  # targets x params x 2
    rows = [f"From `{source}`: {result['evaluations']} evaluations, {result['core_hours']:.2f} core-hours; "
            "replica means ± standard errors.", "",
            "| target | model at the start | ± SEM | paper |", "|---|---|---|---|"]
    for name in names:
        t = result["targets"][name]
        rows.append(f"| {name} | {_f(t['model_mean'], '{:.0f}')} | {_f(t['model_sem'], '{:.0f}')} | {_f(t['value'], '{:.0f}')} |")
    ms = {_state_of(n)[0]: i for i, n in enumerate(names) if _state_of(n)[1] == "dMS"}
    has_contrast = {"low", "mid", "high"} <= set(ms)

    def contrast(mean, sem):  # High M's ΔM_S − mean of Low and Mid M's, and its SE
        h, lo, mi = ms["high"], ms["low"], ms["mid"]
        return (mean[h] - 0.5 * (mean[lo] + mean[mi]),
                math.sqrt(sem[h] ** 2 + 0.25 * (sem[lo] ** 2 + sem[mi] ** 2)))
    rows += ["", "| parameter | p− → p+ | " + " | ".join(f"{n} at p− → p+" for n in names)
             + (" | High M ΔM_S − mean(Low, Mid) at p− → p+ |" if has_contrast else " |"),
             "|---|---|" + "---|" * (len(names) + has_contrast)]
    points = []
    for j, key in enumerate(keys):
        p = result["parameters"][key]
        cells = [f"{_f(at['−'][i, j, 0], '{:.0f}')} → {_f(at['+'][i, j, 0], '{:.0f}')}" for i in range(len(names))]
        if has_contrast:
            c = {s: contrast(at[s][:, j, 0], at[s][:, j, 1]) for s in at}
            points += [(c[s][0], c[s][1], key, p["minus" if s == "−" else "plus"]) for s in at]
            cells.append(f"{mean_pm(*c['−'], '{:+.0f}')} → {mean_pm(*c['+'], '{:+.0f}')}")
        rows.append(f"| `{key}` | {p['minus']:.4g} → {p['plus']:.4g} | " + " | ".join(cells) + " |")
    if has_contrast:
        t = result["targets"]
        model = contrast([t[n]["model_mean"] for n in names], [t[n]["model_sem"] for n in names])
        paper = contrast([t[n]["value"] for n in names], [0.0] * len(names))[0]
        best = max(points)
        rows += ["", f"High M's ΔM_S minus the mean of Low and Mid M's: {mean_pm(*model, '{:+.0f}')} emu/cm³ at the "
                 f"start, {paper:+.0f} in the paper. The largest of any point of the scan: {mean_pm(best[0], best[1], '{:+.0f}')} "
                 f"(`{best[2]}` = {best[3]:.4g})."]
    return "\n".join(rows)


#: parameters a lever campaign may vary: dotted config key -> (column heading, symbol), in column order
LEVER_COLUMNS = {"hops.nn_bond_ev": ("N–N bond ε (eV)", "ε"),
                 "hops.nn_pair_ev": ("N–N pair energy V₁ (eV)", "V₁"),
                 "hops.kra_barrier_ev": ("E_KRA (eV)", "E_KRA"),
                 "hops.nn2_bond_ev": ("second-shell N–N bond ε₂ (eV)", "ε₂"),
                 "hops.barrier_ev": ("hop barrier E_0 (eV)", "E_0"),
                 "lattice.cells_xy": ("film width (cells)", "width"),
                 "boundary.site_energy_coupling": ("exits/entries coupled to the site energy", "coupled"),
                 "boundary.solubility_per_nm2": ("electrolyte solubility (N/nm²)", "solubility"),
                 "boundary.escape_time_s": ("escape time into the bulk electrolyte (s)", "escape")}


def config_value(config: dict, key: str):
    """The value of a dotted key (``section.name``, e.g. a LEVER_COLUMNS key) in a resolved config (lists as tuples)."""
    section, name = key.split(".")
    value = (config.get(section) or {}).get(name)
    return tuple(value) if isinstance(value, list) else value


def _fmt(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return " × ".join(map(str, value)) if isinstance(value, tuple) else f"{value:g}"


def levers_markdown(result: dict, source: str, ratios: bool = False, depth: bool = False,
                    baseline: bool = False) -> str:
    """A campaign of the paper's states along model parameters (runs/campaigns/table1_hop_barrier.toml,
    table1_nn_sign*.toml) as a table: per point (the LEVER_COLUMNS that vary) ΔM_S of each state,
    where each state is depleted at the end of gating, and whether the depth reversal (claim 5: Low M
    depleted at the top, High M at the bottom) and Table 1's order of ΔM_S (High M the largest) hold;
    with ``ratios`` also ΔM_R/ΔM_S of each state (%); with ``depth`` also, after the side, the N
    fraction of the bottom third minus that of the top third and the near-surface electrolyte's fill
    (N / capacity), both at the end of gating (replica means); with ``baseline`` also ΔM_S's baseline
    (the M_S the cycles start from, emu/cm³, replica mean)."""
    runs = [r for r in result["runs"] if r["state"] is not None]
    keys = [k for k in LEVER_COLUMNS if len({config_value(r["config"], k) for r in runs}) > 1]
    points: dict[tuple, dict] = {}
    for r in runs:
        claims = [c for c in r["replicas"]["claims"] if c]
        thirds = np.mean([c["thirds"] for c in claims], axis=0)
        side = "bottom" if thirds[0] < thirds[2] else "top"
        detail = ((f" ({thirds[0] - thirds[2]:+.3f}; fill {np.mean([c['saturation'] for c in claims]):.2f})"
                   if depth else "")
                  + (f"; baseline {np.mean([c['ms_min'] for c in claims]):.0f}" if baseline else ""))
        point = points.setdefault(tuple(config_value(r["config"], k) for k in keys), {})
        if r["state"] in point:
            raise ValueError(f"{source}: two points of state {r['state']} differ in none of the lever columns "
                             f"({', '.join(LEVER_COLUMNS)}): the campaign varies something the table has no column for")
        point[r["state"]] = (r["table1"]["dMS"], side, r["table1"]["ratio"], detail, r["n_replicas"])
    rows = [f"From `{source}` ({', '.join(result.get('stores') or ['?'])}, "
            f"{'/'.join(map(str, sorted({r['n_replicas'] for r in result['runs']})))} replicas per point); ΔM_S in "
            "emu/cm³, replica mean ± SE; side: the third of the film (bottom or top) with less N at the end of gating"
            + (" (N fraction of the bottom third minus the top third; fill of the near-surface electrolyte, "
               "N / capacity)" if depth else "")
            + ("; baseline: ΔM_S's baseline, the M_S the cycles start from (emu/cm³)" if baseline else "") + ".", "",
            "| " + " | ".join(LEVER_COLUMNS[k][0] for k in keys) + " | "
            + " | ".join(f"{STATE_NAMES[s]} ΔM_S, side" for s in STATES)
            + " | depth reversal (claim 5) | High M's ΔM_S the largest |"
            + "".join(f" {STATE_NAMES[s]} ΔM_R/ΔM_S (%) |" for s in STATES if ratios),
            "|" + "---|" * (len(keys) + len(STATES) * (2 if ratios else 1) + 2)]
    reversal, largest, scale = [], [], []
    for point, states in sorted(points.items()):
        if set(states) != set(STATES):
            continue
        name = ", ".join(f"{LEVER_COLUMNS[k][1]} = {_fmt(v)}" for k, v in zip(keys, point))
        rev = states["low"][1] == "top" and states["high"][1] == "bottom"
        ms = {s: states[s][0] for s in STATES}
        summary = {s: (ms[s]["mean"], ms[s]["se"], states[s][4]) for s in STATES}  # mean, SE, replicas
        top = all(claim_status.holds(claim_status.separation_of_means(summary["high"], summary[s])) for s in ("low", "mid"))
        if rev:
            reversal.append(name)
        if top:
            largest.append(name)
        scale.append(f"{name or 'the point'}: {100 * common_scale_error(ms, result['paper']):.0f} %")
        rows.append("| " + " | ".join(_fmt(v) for v in point) + " | "
                    + " | ".join(f"{mean_pm(ms[s]['mean'], ms[s]['se'])}, {states[s][1]}{states[s][3]}" for s in STATES)
                    + f" | {'yes' if rev else 'no'} | {'yes' if top else 'no'} |"
                    + "".join(f" {mean_pm(states[s][2]['mean'], states[s][2]['se'])} |" for s in STATES if ratios))
    rows += ["", f"Depth reversal at: {'; '.join(reversal) or 'no point'}. High M's ΔM_S above both others ("
             f"{claim_status.bound_text()}) at: {'; '.join(largest) or 'no point'}. Largest deviation from Table 1's ΔM_S "
             f"after the best common scale factor of the three (what parameters that move every state alike can "
             f"reach): {'; '.join(scale)}."]
    return "\n".join(rows)


def common_scale_error(dms: dict, paper: dict) -> float:
    """min over f of max over states |f·ΔM_S(state)/paper − 1| (a fraction): how close to Table 1's
    ΔM_S a parameter that scales every state's ΔM_S alike could bring them. With r = model/paper,
    the best f = 2/(r_max + r_min) and the error (r_max − r_min)/(r_max + r_min)."""
    r = [dms[s]["mean"] / paper[s]["dMS"] for s in STATES]
    return (max(r) - min(r)) / (max(r) + min(r))


def calibration_block(result: dict, source: str, order: dict) -> str:
    """The generated block of a calibration result: a fit's tables, or a sensitivity scan's."""
    table = sensitivity_markdown if result.get("method") == "sensitivity" else calibration_markdown
    return table(result, source, order)


def load_calibration_result(path) -> dict:
    """{"calibration": file stem, "order": {"targets", "parameters"}, "result"} of a calibration store
    or of a JSON saved from one."""
    import json

    if Path(path).suffix == ".json":
        data = json.loads(Path(path).read_text())
    else:
        import zarr

        from kmc.calibration.store import ATTR

        attrs = dict(zarr.open_group(str(path), mode="r").attrs)
        if "result" not in attrs or ATTR not in attrs:
            raise ValueError(f"{path}: not a finished mikmc calibration store")
        canonical = attrs[ATTR]["calibration"]
        data = {"calibration": Path(attrs[ATTR]["source"]).stem, "result": attrs["result"],
                "order": {"targets": [t["name"] for t in canonical["targets"]],
                          "parameters": [p["key"] for p in canonical["parameters"]]}}
    return data
