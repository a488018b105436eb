"""Reading and checking a calibration file (docs/calibration.md) into a
:class:`~kmc.calibration.spec.Calibration`; every error is a :class:`~kmc.config.ConfigError` naming
the key. Without ``[[targets]]``, the paper's Table 1 (ΔM_S, ΔM_R in emu/cm³) is the target, with
sigma a percentage of each value.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import numpy as np

from kmc import config as cfg
from kmc.calibration.quantities import AT, QUANTITIES
from kmc.calibration.spec import Calibration, Parameter, SurrogateOptions, Target, level_calibration
from kmc.campaigns.campaign import check_reduce, flatten
from kmc.config import ConfigError, check_keys, read_toml

CALIBRATION_KEYS = ("title", "description", "base", "replicas", "seed", "set", "parameters", "targets",
                    "method", "max_evaluations", "diff_step", "tolerance", "table1_sigma_percent",
                    "initial_points", "batch_size", "max_core_hours", "kappa", "fidelity")
PARAMETER_KEYS = ("start", "lower", "upper", "scale")
TARGET_KEYS = ("name", "protocol", "quantity", "array", "segment", "at", "index", "value", "sigma")
METHODS = ("least_squares", "nelder-mead", "surrogate", "sensitivity")
OPTION_KEYS = ("initial_points", "batch_size", "max_core_hours", "kappa", "fidelity")
LEVEL_KEYS = ("set", "replicas", "reduce")


def _number(where, value, positive=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(where, value, "must be a finite number")
    if positive and value <= 0:
        raise ConfigError(where, value, "must be > 0")
    return float(value)


def _int(where, value, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(where, value, f"must be an integer >= {minimum}")
    return value


def table1_targets(bases: dict[str, Path], sigma_percent: float = 10.0) -> list[Target]:
    """Table 1 of the paper (kmc.paper.report.PAPER_TABLE1) as targets, for every base named like a paper
    protocol (low|mid|high)_m_(3min|1h): ΔM_S (from the 3 min protocol of a state, or the 1 h one
    if that is the only one) and ΔM_R of each; sigma = sigma_percent of the value."""
    from kmc.paper.report import PAPER_TABLE1

    states = {}
    for key, path in bases.items():
        m = re.search(r"(low|mid|high)_m_(3min|1h)", f"{key} {Path(path).stem}".lower())
        if m:
            states[key] = (m.group(1), m.group(2))
    targets = []
    for key, (state, relax) in states.items():
        paper = PAPER_TABLE1[state]
        others = [k for k, (s, r) in states.items() if s == state and r == "3min"]
        if relax == "3min" or not others:
            targets.append(Target(f"{key}: dMS", key, paper["dMS"], paper["dMS"] * sigma_percent / 100, "delta_ms"))
        value = paper["dMR"][relax]
        targets.append(Target(f"{key}: dMR", key, value, value * sigma_percent / 100, "delta_mr"))
    if not targets:
        raise ConfigError("targets", None, "not given, and no base is a paper protocol "
                                           "((low|mid|high)_m_(3min|1h)) to take Table 1 targets for")
    return targets


def load_calibration(path) -> Calibration:
    """Read and check a calibration file; errors are :class:`ConfigError` naming the key."""
    path = cfg.find_bundled("calibration", path, "calibrations")
    return from_dict(read_toml("calibration", path), source=str(path), root=path.parent)


def from_dict(data: dict, source: str = "<dict>", root: Path | None = None) -> Calibration:
    for key in data:
        if key not in CALIBRATION_KEYS:
            raise ConfigError(key, data[key], f"unknown calibration key; allowed: {', '.join(CALIBRATION_KEYS)}")
    root = root or Path.cwd()
    base = data.get("base")
    if isinstance(base, str) and base:
        base = {"base": base}
    if not isinstance(base, dict) or not base or not all(isinstance(v, str) for v in base.values()):
        raise ConfigError("base", base, 'required: a protocol ("quick", "paper/low_m_3min", or a path relative '
                                        'to this file), or a table of name -> protocol')
    bases = {}
    for key, name in base.items():
        candidate = root / name
        try:
            bases[key] = candidate if candidate.is_file() else cfg.find_protocol(name)
        except ConfigError as exc:
            raise ConfigError(f"base.{key}", name, str(exc.args[0]) if exc.args else "not found") from None
    replicas = _int("replicas", data.get("replicas", 2), 1)
    seed = _int("seed", data.get("seed", 1), 0)
    fixed = data.get("set", {})
    if not isinstance(fixed, dict):
        raise ConfigError("set", fixed, "must be a table of dotted config keys -> values")
    fixed = flatten(fixed)

    raw = data.get("parameters")
    if not isinstance(raw, dict) or not raw:
        raise ConfigError("parameters", raw, "required: a table of dotted config key -> "
                                             "{start, lower, upper, scale = \"linear\"|\"log\"}")
    params = []
    for key, spec in _parameter_items(raw):
        where = f"parameters.{key}"
        if key == "run.seed" or key in fixed:
            raise ConfigError(where, spec, "cannot be fitted (run.seed, or also set in [set])")
        check_keys(where, spec, PARAMETER_KEYS)
        for k in ("start", "lower", "upper"):
            if k not in spec:
                raise ConfigError(f"{where}.{k}", None, "required")
        p = Parameter(key, *(_number(f"{where}.{k}", spec[k]) for k in ("start", "lower", "upper")),
                      scale=spec.get("scale", "linear"))
        if p.scale not in ("linear", "log"):
            raise ConfigError(f"{where}.scale", p.scale, 'must be "linear" or "log"')
        if not p.lower < p.upper:
            raise ConfigError(where, spec, "needs lower < upper")
        if not p.lower <= p.start <= p.upper:
            raise ConfigError(f"{where}.start", p.start, f"must lie in [{p.lower}, {p.upper}]")
        if p.scale == "log" and p.lower <= 0:
            raise ConfigError(f"{where}.lower", p.lower, "must be > 0 for scale = \"log\"")
        params.append(p)

    raw_targets = data.get("targets")
    if raw_targets is None:
        targets = table1_targets(bases, _number("table1_sigma_percent", data.get("table1_sigma_percent", 10.0), True))
    elif not isinstance(raw_targets, list) or not raw_targets or not all(isinstance(t, dict) for t in raw_targets):
        raise ConfigError("targets", raw_targets, "must be an array of tables [[targets]] (or omitted: Table 1)")
    else:
        targets = [_target(i, t, bases) for i, t in enumerate(raw_targets)]
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise ConfigError("targets", names, "target names must be distinct")

    method = data.get("method", "least_squares")
    if method not in METHODS:
        raise ConfigError("method", method, f"one of {', '.join(METHODS)}")
    diff_step = _number("diff_step", data.get("diff_step", 0.05), True)
    if diff_step >= 0.5:
        raise ConfigError("diff_step", diff_step, "a fraction of each parameter's range, < 0.5")
    cal = Calibration(bases=bases, parameters=params, targets=targets, replicas=replicas, seed=seed, fixed=fixed,
                      method=method, max_evaluations=_int("max_evaluations", data.get("max_evaluations", 50), 1),
                      diff_step=diff_step, tolerance=_number("tolerance", data.get("tolerance", 1e-3), True),
                      title=str(data.get("title", Path(source).stem)), source=source)
    return parse_surrogate_options(data, cal)


def _parameter_items(raw: dict):
    """Dotted keys -> spec tables, whether written "hops.barrier_ev" = {...} or [parameters.hops.barrier_ev]."""
    out = []

    def walk(node, prefix):
        for k, v in node.items():
            key = f"{prefix}{k}"
            if not isinstance(v, dict):
                raise ConfigError(f"parameters.{key}", v, "must be a table {start, lower, upper, scale}")
            if any(x in v for x in PARAMETER_KEYS):
                out.append((key, v))
            else:
                walk(v, key + ".")
    walk(raw, "")
    return out


def _target(i: int, t: dict, bases: dict) -> Target:
    where = f"targets[{i}]"
    check_keys(where, t, TARGET_KEYS)
    protocol = t.get("protocol", next(iter(bases)) if len(bases) == 1 else None)
    if protocol not in bases:
        raise ConfigError(f"{where}.protocol", protocol, f"one of the bases: {', '.join(bases)}")
    value = _number(f"{where}.value", t.get("value"))
    sigma = _number(f"{where}.sigma", t.get("sigma"), positive=True)
    quantity, array = t.get("quantity"), None
    if (quantity is None) == ("array" not in t):
        raise ConfigError(where, t, "give either quantity = one of "
                          f"{', '.join(QUANTITIES)}, or array = a store array (with segment, at, index)")
    if quantity is not None and quantity not in QUANTITIES:
        raise ConfigError(f"{where}.quantity", quantity, f"one of {', '.join(QUANTITIES)} (or use array = ...)")
    if quantity is None:
        at = t.get("at", "end")
        if at not in AT:
            raise ConfigError(f"{where}.at", at, f"one of {', '.join(AT)}")
        index = t.get("index")
        if index is not None and not (isinstance(index, list) and len(index) == 2):
            raise ConfigError(f"{where}.index", index, "[start, stop] along the array's last axis")
        array = {"array": str(t["array"]), "segment": int(t.get("segment", -1)), "at": at, "index": index}
    elif any(k in t for k in ("segment", "at", "index")):
        raise ConfigError(where, t, "segment/at/index go with array = ..., not with quantity")
    name = str(t.get("name", f"{protocol}: {quantity or array['array']}"))
    return Target(name, protocol, value, sigma, quantity, array)


def parse_surrogate_options(data: dict, cal: Calibration) -> Calibration:
    """``cal`` with its surrogate options; refuses them with another method. Errors name the key."""
    present = [k for k in OPTION_KEYS if k in data]
    if cal.method != "surrogate":
        if present:
            raise ConfigError(present[0], data[present[0]], 'only with method = "surrogate"')
        return cal
    n0 = data.get("initial_points")
    if n0 is not None:
        _int("initial_points", n0, 2)
    q = data.get("batch_size")
    if q is not None:
        _int("batch_size", q, 1)
    hours = data.get("max_core_hours")
    if hours is not None:
        hours = _number("max_core_hours", hours, positive=True)
    kappa = _number("kappa", data.get("kappa", 1.0))
    if kappa < 0:
        raise ConfigError("kappa", kappa, "must be >= 0")
    low_set = low_replicas = low_reduce = None
    fid = data.get("fidelity")
    if fid is not None:
        if not isinstance(fid, dict) or set(fid) != {"low"}:
            raise ConfigError("fidelity", fid,
                              "a table with one level: low = { set = {...}, reduce = {...}, replicas = n }")
        low = fid["low"]
        if not isinstance(low, dict):
            raise ConfigError("fidelity.low", low,
                              "a table { set = {dotted key = value}, reduce = { thickness_nm = L }, replicas = n }")
        check_keys("fidelity.low", low, LEVEL_KEYS)
        low_set = low.get("set", {})
        if not isinstance(low_set, dict):
            raise ConfigError("fidelity.low.set", low_set, "must be a table of dotted config keys -> values")
        low_set = flatten(low_set)
        fitted = {p.key for p in cal.parameters}
        for k in low_set:
            if k in fitted or k == "run.seed":
                raise ConfigError(f"fidelity.low.set.{k}", low_set[k], "cannot be set (fitted, or run.seed)")
        low_replicas = _int("fidelity.low.replicas", low.get("replicas", cal.replicas), 1)
        low_reduce = check_reduce("fidelity.low.reduce", low.get("reduce"))
        if not low_set and low_reduce is None and low_replicas == cal.replicas:
            raise ConfigError("fidelity.low", low, "the same as the full level: give set, reduce and/or fewer replicas")
    cal = dataclasses.replace(cal, surrogate=SurrogateOptions(n0, q, hours, kappa, low_set, low_replicas,
                                                              low_reduce))
    if fid is not None:  # the low level's protocols must load (after the full level's)
        start = np.array([p.start for p in cal.parameters])
        for base in cal.bases:
            cal.campaign(base, start)
            try:
                level_calibration(cal, "low").campaign(base, start)
            except ConfigError as exc:
                raise ConfigError("fidelity.low.set", low_set, str(exc)) from None
    return cal
