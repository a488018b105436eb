"""The calibrated protocol file(s): the base protocol(s) with [set] and the fitted values applied,
written as TOML with a comment block of the fit.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from kmc import config as cfg
from kmc.calibration.result import Result
from kmc.campaigns.campaign import _canonical_json


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return _canonical_json(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_canonical_json(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {v!r} as TOML")


def dumps_toml(data: dict) -> str:
    """A protocol dict as TOML: scalars first, then tables, then arrays of tables ([[segments]])."""
    out = []

    def table(d, name):
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict)
                   and not (isinstance(v, list) and v and all(isinstance(x, dict) for x in v))}
        if name and scalars:
            out.append(f"\n[{name}]")
        for k, v in scalars.items():
            out.append(f"{k} = {_toml_value(v)}")
        for k, v in d.items():
            if isinstance(v, dict):
                table(v, f"{name}.{k}" if name else k)
        for k, v in d.items():
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                for item in v:
                    out.append(f"\n[[{f'{name}.{k}' if name else k}]]")
                    for kk, vv in item.items():
                        out.append(f"{kk} = {_toml_value(vv)}")
    table(data, "")
    return "\n".join(out) + "\n"


def write_configs(result: Result, path) -> list[Path]:
    """The base protocol(s) with [set] and the fitted values applied, each with a comment block of
    the fit. One base: ``path``; several: ``<stem>_<base>.toml`` next to it."""
    cal = result.calibration
    path = Path(path)
    fitted = cal.point(result.params)
    comment = ["# Calibrated by `mikmc calibrate` from " + cal.source,
               f"# {result.message}; chi2 = {result.chi2:.4g} over {len(cal.targets)} targets, "
               f"{cal.replicas} replicas per evaluation, root seed {cal.seed}",
               "# fitted parameters (± 1 sigma from (J^T W J)^-1):"]
    comment += [f"#   {p.key} = {result.params[j]:.6g} ± {result.sigma_params[j]:.3g}  (start {p.start:g})"
                for j, p in enumerate(cal.parameters)]
    comment.append("# targets: value ± sigma | model mean ± sem | (model - value)/s")
    e = result.evaluation
    comment += [f"#   {t.name}: {t.value:.4g} ± {t.sigma:.3g} | {e.mean[i]:.4g} ± {e.sem[i]:.3g} | "
                f"{result.residuals()[i]:+.2f}" for i, t in enumerate(cal.targets)]
    written = []
    for base, proto in cal.bases.items():
        data = cfg.apply_overrides(tomllib.loads(proto.read_text()), {**cal.fixed, **fitted})
        data.setdefault("run", {})["seed"] = data.get("run", {}).get("seed", cal.seed)
        if "title" in data:
            data["title"] = f"{data['title']} (calibrated)"
        text = "\n".join(comment + [f"# base protocol: {proto}", ""]) + dumps_toml(data)
        cfg.from_dict(tomllib.loads(text))  # what we write must load
        out = path if len(cal.bases) == 1 else path.with_name(f"{path.stem}_{base.replace('/', '_')}{path.suffix}")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        written.append(out)
    return written
