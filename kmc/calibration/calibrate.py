"""Calibration: fit model parameters to target quantities by running campaigns (docs/calibration.md).

A calibration file names one or several base protocols, the parameters to fit (dotted config keys
with bounds), and the targets (a quantity of one base protocol's runs, a value and a sigma). Every
evaluation of the objective at a parameter vector runs, per base protocol, a one-point campaign of
``replicas`` replicas into its own campaign store inside the calibration store::

    OUT.zarr/                              attrs: mikmc_calibration (file, fingerprint), result
      evaluations/<base>/<fingerprint16>/  a campaign store (kmc.campaigns.campaign_store) of one point:
                                           the base protocol + [set] + the parameter values

All evaluations use the same root seed and the same spawn keys (0, r): common random numbers, so
the objective is a smooth-ish function of the parameters. The store name is the campaign
fingerprint (base protocol content, seed, replicas, [set], parameter values rounded to 12 digits),
so a rerun finds every finished evaluation and only runs what is missing: calibrations resume.

Objective: r_i = (mean_i(p) - value_i) / s_i with s_i = sqrt(sigma_i² + sem_i(p0)²), mean/sem over
the replicas; sem is taken at the start point and then held fixed so the objective does not change
its weights as the fit moves. Parameters are fitted in unit coordinates u in [0, 1] between their
bounds (linear or log); scipy.optimize.least_squares (trust region reflective, forward-difference
Jacobian whose points are run as one batch, spread over MPI ranks) or Nelder-Mead; or
``method = "surrogate"``: Gaussian-process models of the targets, optionally on a cheaper fidelity
level with its bias corrected on the full one (kmc.calibration.surrogate_search).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from kmc.campaigns import campaign as cp
from kmc import config as cfg
from kmc.campaigns.campaign import _canonical_json, _sha256, flatten
from kmc.config import ConfigError, read_toml

ATTR = "mikmc_calibration"
CALIBRATION_KEYS = ("title", "description", "base", "replicas", "seed", "set", "parameters", "targets",
                    "method", "max_evaluations", "diff_step", "tolerance", "table1_sigma_percent",
                    "initial_points", "batch_size", "max_core_hours", "kappa", "fidelity")
PARAMETER_KEYS = ("start", "lower", "upper", "scale")
TARGET_KEYS = ("name", "protocol", "quantity", "array", "segment", "at", "index", "value", "sigma")
METHODS = ("least_squares", "nelder-mead", "surrogate")


# --- quantities -------------------------------------------------------------------------------

def _table1(key):
    def q(data):
        from kmc.paper.report import table1
        return table1(data)[key]
    return q


def _total_ions(data):
    return float(np.asarray(data["n_film"], float)[0] + np.asarray(data["n_electrolyte"], float)[0])


#: named quantities of one run (the dict of arrays of kmc.storage.store.read_frames) -> float
QUANTITIES: dict[str, Callable[[dict], float]] = {
    "delta_ms": _table1("dMS"),
    "delta_mr": _table1("dMR"),
    "mr_ratio": _table1("ratio"),
    "n_electrolyte_final": lambda d: float(np.asarray(d["n_electrolyte"])[-1]),
    "final_n_film_fraction": lambda d: float(np.asarray(d["n_film"])[-1]) / _total_ions(d),
    "saturation_magnetization_final": lambda d: float(np.asarray(d["saturation_magnetization"])[-1]),
    "magnetization_final": lambda d: float(np.asarray(d["magnetization"])[-1]),
}
AT = ("end", "start", "mean", "min", "max")


def array_quantity(data: dict, array: str, segment: int = -1, at: str = "end", index=None) -> float:
    """A store array reduced to a number: frames of ``segment`` (negative: from the last), reduced by
    ``at``; for arrays with a trailing axis (n_profile, tracer_msd), the mean over ``index = [a, b]``
    of that axis (python slice; default: all)."""
    if array not in data:
        raise KeyError(f"no array {array!r} in the run; arrays: {', '.join(sorted(data))}")
    values = np.asarray(data[array], float)
    seg = np.asarray(data["segment"])
    s = segment if segment >= 0 else int(seg.max()) + 1 + segment
    frames = np.flatnonzero(seg == s)
    if len(frames) == 0:
        raise KeyError(f"segment {segment} has no frames")
    v = values[frames]
    if v.ndim > 1:
        sl = slice(*index) if index is not None else slice(None)
        v = v.reshape(len(frames), -1)[:, sl].mean(axis=1)
    return float({"end": lambda x: x[-1], "start": lambda x: x[0], "mean": np.mean,
                  "min": np.min, "max": np.max}[at](v))


# --- the calibration file -----------------------------------------------------------------------

@dataclass
class Parameter:
    key: str
    start: float
    lower: float
    upper: float
    scale: str = "linear"

    def _t(self, p):
        return np.log(p) if self.scale == "log" else p

    def to_unit(self, p: float) -> float:
        return float((self._t(p) - self._t(self.lower)) / (self._t(self.upper) - self._t(self.lower)))

    def from_unit(self, u: float) -> float:
        t = self._t(self.lower) + u * (self._t(self.upper) - self._t(self.lower))
        return float(np.exp(t) if self.scale == "log" else t)

    def dp_du(self, p: float) -> float:
        span = self._t(self.upper) - self._t(self.lower)
        return float(span * (p if self.scale == "log" else 1.0))


@dataclass
class Target:
    name: str
    protocol: str
    value: float
    sigma: float
    quantity: str | None = None
    array: dict | None = None   # {array, segment, at, index}

    def evaluate(self, data: dict) -> float:
        if self.quantity is not None:
            return QUANTITIES[self.quantity](data)
        return array_quantity(data, **self.array)

    def describe(self) -> str:
        if self.quantity:
            return self.quantity
        a = self.array
        return f"{a['array']}[seg {a['segment']}, {a['at']}" + (f", {a['index']}" if a.get("index") else "") + "]"


@dataclass
class Calibration:
    bases: dict[str, Path]           # protocol key -> file
    parameters: list[Parameter]
    targets: list[Target]
    replicas: int = 2
    seed: int = 1
    fixed: dict = field(default_factory=dict)
    method: str = "least_squares"
    max_evaluations: int = 50
    diff_step: float = 0.05
    tolerance: float = 1e-3
    title: str = ""
    source: str = "<dict>"
    surrogate: object = None         # kmc.calibration.surrogate_search.Options (method = "surrogate")

    def canonical(self) -> dict:
        return {"bases": {k: _sha256(tomllib.loads(p.read_text())) for k, p in self.bases.items()},
                "replicas": self.replicas, "seed": self.seed, "set": self.fixed,
                "parameters": [dataclasses.asdict(p) for p in self.parameters],
                "targets": [dataclasses.asdict(t) for t in self.targets], "method": self.method,
                "diff_step": self.diff_step, "tolerance": self.tolerance,
                **({"surrogate": dataclasses.asdict(self.surrogate)} if self.surrogate else {})}

    def point(self, params: np.ndarray) -> dict:
        return {p.key: float(f"{v:.12g}") for p, v in zip(self.parameters, params)}

    def to_params(self, u) -> np.ndarray:
        """Parameter values of unit coordinates ``u`` (clipped to [0, 1], i.e. to the bounds)."""
        return np.array([p.from_unit(min(max(float(x), 0.0), 1.0)) for p, x in zip(self.parameters, u)])

    def start_unit(self) -> np.ndarray:
        """Unit coordinates of the start point."""
        return np.array([p.to_unit(p.start) for p in self.parameters])

    def campaign(self, base: str, params: np.ndarray) -> cp.Campaign:
        """The one-point campaign of one base protocol at a parameter vector."""
        return cp.from_dict({"base": str(self.bases[base]), "replicas": self.replicas, "seed": self.seed,
                             "set": dict(self.fixed), "points": [self.point(params)],
                             "title": f"{self.title}: {base} at {self.point(params)}"}, source=self.source)


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
        for k in spec:
            if k not in PARAMETER_KEYS:
                raise ConfigError(f"{where}.{k}", spec[k], f"unknown key; allowed: {', '.join(PARAMETER_KEYS)}")
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
    from kmc.calibration import surrogate_search as calibrate_surrogate
    cal = Calibration(bases=bases, parameters=params, targets=targets, replicas=replicas, seed=seed, fixed=fixed,
                      method=method, max_evaluations=_int("max_evaluations", data.get("max_evaluations", 50), 1),
                      diff_step=diff_step, tolerance=_number("tolerance", data.get("tolerance", 1e-3), True),
                      title=str(data.get("title", Path(source).stem)), source=source)
    return calibrate_surrogate.parse_options(data, cal)


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
    for k in t:
        if k not in TARGET_KEYS:
            raise ConfigError(f"{where}.{k}", t[k], f"unknown key; allowed: {', '.join(TARGET_KEYS)}")
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


# --- evaluations ------------------------------------------------------------------------------

@dataclass
class Evaluation:
    params: np.ndarray
    mean: np.ndarray          # per target, over complete replicas
    sem: np.ndarray
    n: np.ndarray             # replicas used per target
    ran: int = 0              # replicas run for it now (0: all reused)
    core_s: float = 0.0       # core-seconds of its complete replicas (their recorded wall time), all bases


class Evaluator:
    """Runs (or reuses) the campaigns of parameter vectors; collective over ``comm``."""

    def __init__(self, cal: Calibration, store_path, comm=None, log=lambda m: None):
        self.cal, self.store, self.comm = cal, str(store_path), comm
        self.rank = 0 if comm is None else comm.Get_rank()
        self.log = log if self.rank == 0 else (lambda m: None)
        self.history: list[Evaluation] = []
        self.new_evaluations = 0
        self.replicas_run = 0

    def path(self, base: str, camp: cp.Campaign) -> str:
        return f"{self.store}/evaluations/{base}/{camp.fingerprint()[:16]}"

    def evaluate(self, batch: list[np.ndarray], cals: list[Calibration] | None = None) -> list[Evaluation]:
        """Evaluate parameter vectors (all bases, all replicas) as one batch of replicas over the ranks;
        ``cals``: per vector, a variant of the calibration ([set], replicas) to run it with."""
        from kmc.campaigns import campaign_store as cs
        from kmc.campaigns import scheduler
        cal = self.cal
        jobs = {}       # (i, base) -> (campaign, path)
        tasks = []
        if self.rank == 0:
            import zarr

            evals = zarr.open_group(self.store, mode="a").require_group("evaluations")
            for base in cal.bases:
                evals.require_group(base)
            for i, params in enumerate(batch):
                for base in cal.bases:
                    camp = (cals[i] if cals else cal).campaign(base, params)
                    path = self.path(base, camp)
                    camp = cs.prepare(path, camp)
                    jobs[(i, base)] = (camp, path)
                    states = cs.replica_states(path, camp)
                    tasks += [((i, base), r) for (p, r), s in sorted(states.items()) if s not in ("complete", "failed")]
        if self.comm is not None:
            jobs = self.comm.bcast(jobs, root=0)
        ran = {}

        def work(task, poll):
            camp, path = jobs[task[0]]
            return cp.run_replica(path, camp, 0, task[1], poll)

        def on_result(task, result, source):
            ran[task[0]] = ran.get(task[0], 0) + 1
            if result["status"] == "failed":
                self.log(f"  replica failed ({task[0][1]}, {task[1]}): {result['error']}")

        wall0 = time.perf_counter()
        scheduler.run_dynamic(self.comm, tasks, work, on_result)
        out = None
        if self.rank == 0:
            out = []
            for i, params in enumerate(batch):
                for base in cal.bases:
                    if ran.get((i, base)):
                        camp, path = jobs[(i, base)]
                        cs.write_summary(path, camp, 0)
                out.append(self._collect(i, params, jobs, sum(ran.get((i, b), 0) for b in cal.bases)))
            if tasks:
                self.log(f"  ran {len(tasks)} replica(s) for {len(batch)} parameter vector(s) in "
                         f"{time.perf_counter() - wall0:.1f} s")
        if self.comm is not None:
            out = self.comm.bcast(out, root=0)
        for e in out:
            self.history.append(e)
            self.new_evaluations += e.ran > 0
            self.replicas_run += e.ran
        return out

    def _collect(self, i, params, jobs, ran) -> Evaluation:
        import zarr

        from kmc.campaigns import campaign_store as cs
        from kmc.storage.store import read_frames

        cal = self.cal
        values = {base: [] for base in cal.bases}
        core_s = 0.0
        for base in cal.bases:
            camp, path = jobs[(i, base)]
            root = zarr.open_group(path, mode="r")
            for r in range(camp.replicas):
                if cs.replica_state(root, 0, r) == "complete":
                    group = root[f"points/0/replicas/{r}"]
                    values[base].append(read_frames(group))
                    core_s += float(group.attrs.get("performance", {}).get("wall_time_s", 0.0))
        mean, sem, n = [], [], []
        for t in cal.targets:
            v = np.array([t.evaluate(d) for d in values[t.protocol]], float)
            v = v[np.isfinite(v)]
            n.append(len(v))
            mean.append(v.mean() if len(v) else math.nan)
            sem.append(v.std(ddof=1) / math.sqrt(len(v)) if len(v) > 1 else math.nan)
        return Evaluation(np.asarray(params, float), np.array(mean), np.array(sem), np.array(n), ran, core_s)


# --- the fit ----------------------------------------------------------------------------------

class Budget(Exception):
    pass


@dataclass
class Result:
    calibration: Calibration
    params: np.ndarray
    evaluation: Evaluation
    scale: np.ndarray                      # s_i used in the objective
    sigma_params: np.ndarray               # 1 sigma
    covariance: np.ndarray
    sensitivity: np.ndarray                # d target / d ln(param), targets x params
    chi2: float
    evaluations: int
    new_evaluations: int
    replicas_run: int
    converged: bool
    message: str
    wall_s: float

    def residuals(self) -> np.ndarray:
        return (self.evaluation.mean - np.array([t.value for t in self.calibration.targets])) / self.scale

    def table(self) -> str:
        cal = self.calibration
        lines = [f"{cal.title}: {'converged' if self.converged else 'NOT converged'} ({self.message}); "
                 f"{self.evaluations} evaluations ({self.new_evaluations} new, {self.replicas_run} replicas run), "
                 f"chi2 = {self.chi2:.3g} for {len(cal.targets)} targets, {self.wall_s:.1f} s", "",
                 f"{'parameter':34s} {'start':>11s} {'fitted':>11s} {'± 1σ':>10s}  bounds"]
        for j, p in enumerate(cal.parameters):
            lines.append(f"{p.key:34s} {p.start:11.5g} {self.params[j]:11.5g} {self.sigma_params[j]:10.3g}  "
                         f"[{p.lower:g}, {p.upper:g}] {p.scale}")
        lines += ["", f"{'target':34s} {'quantity':28s} {'value':>10s} {'sigma':>8s} {'model':>10s} {'± sem':>8s} "
                      f"{'(m-v)/s':>8s}"]
        for i, t in enumerate(cal.targets):
            e = self.evaluation
            lines.append(f"{t.name[:34]:34s} {t.describe()[:28]:28s} {t.value:10.4g} {t.sigma:8.3g} {e.mean[i]:10.4g} "
                         f"{e.sem[i]:8.3g} {self.residuals()[i]:+8.2f}")
        lines += ["", "sensitivity d target / d ln(param) at the fit:",
                  f"{'target':34s} " + " ".join(f"{p.key[-16:]:>16s}" for p in cal.parameters)]
        for i, t in enumerate(cal.targets):
            lines.append(f"{t.name[:34]:34s} " + " ".join(f"{s:16.4g}" for s in self.sensitivity[i]))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        cal = self.calibration
        return {"parameters": {p.key: {"value": float(self.params[j]), "sigma": float(self.sigma_params[j]),
                                       "start": p.start} for j, p in enumerate(cal.parameters)},
                "targets": {t.name: {"value": t.value, "sigma": t.sigma, "model_mean": float(self.evaluation.mean[i]),
                                     "model_sem": float(self.evaluation.sem[i]), "scale": float(self.scale[i]),
                                     "residual": float(self.residuals()[i])} for i, t in enumerate(cal.targets)},
                "covariance": self.covariance.tolist(), "sensitivity_dlnp": self.sensitivity.tolist(),
                "chi2": self.chi2, "evaluations": self.evaluations, "new_evaluations": self.new_evaluations,
                "replicas_run": self.replicas_run, "converged": self.converged, "message": self.message}


def prepare_store(cal: Calibration, store_path) -> None:
    """Create the calibration store, or check that an existing store is one. Rank 0 only."""
    import zarr

    from kmc import __version__
    path = Path(store_path)
    if path.exists():
        try:
            root = zarr.open_group(str(path), mode="r+")
        except Exception as exc:
            raise ValueError(f"{path}: exists and is not a readable Zarr group ({exc})") from None
        if ATTR not in root.attrs:
            raise ValueError(f"{path}: exists and is not a mikmc calibration store; choose another -o path")
    else:
        root = zarr.open_group(str(path), mode="w")
    root.attrs.update({ATTR: {"title": cal.title, "source": cal.source,
                              "bases": {k: str(v) for k, v in cal.bases.items()},
                              "fingerprint": _sha256(cal.canonical()), "mikmc_version": __version__,
                              "calibration": _jsonable(cal.canonical())}})


def _jsonable(obj):
    return __import__("json").loads(_canonical_json(obj))


def calibrate(cal: Calibration, store_path, comm=None, max_evaluations: int | None = None,
              log=lambda m: None, evaluate: Callable | None = None, **options) -> Result:
    """Fit ``cal`` (collective over ``comm``: every rank runs the same optimiser on broadcast values).

    Stops after ``max_evaluations`` parameter vectors (reused ones count) and reports the best so far.
    ``evaluate(batch, levels=None) -> [Evaluation]`` replaces the campaign runs (tests); ``options``
    go to the surrogate method (``max_core_hours``).
    """
    from scipy import optimize

    if cal.method == "surrogate":
        from kmc.calibration import surrogate_search as calibrate_surrogate
        return calibrate_surrogate.calibrate(cal, store_path, comm, max_evaluations, log, evaluate, **options)
    rank = 0 if comm is None else comm.Get_rank()
    say = log if rank == 0 else (lambda m: None)
    wall0 = time.perf_counter()
    if rank == 0:
        prepare_store(cal, store_path)
    ev = Evaluator(cal, store_path, comm, log=say)
    budget = max_evaluations or cal.max_evaluations
    values = np.array([t.value for t in cal.targets])
    P = cal.parameters
    to_params = cal.to_params
    cache: dict[str, Evaluation] = {}
    scale_box: list = []

    def key(u):
        return _canonical_json(cal.point(to_params(u)))

    def run(us):
        need = [u for u in us if key(u) not in cache]
        unique = list({key(u): u for u in need}.values())
        if len(cache) + len(unique) > budget:
            unique = unique[:max(0, budget - len(cache))]
            if not unique:
                raise Budget()
        for u, e in zip(unique, (evaluate or ev.evaluate)([to_params(u) for u in unique])):
            cache[key(u)] = e
            say(f"eval {len(cache):3d}: " + ", ".join(f"{p.key}={v:.6g}" for p, v in zip(P, e.params))
                + (f"  chi2={_chi2(e, values, scale_box):.4g}" if scale_box else "")
                + ("" if e.ran else "  (reused)"))
        if any(key(u) not in cache for u in us):
            raise Budget()
        return [cache[key(u)] for u in us]

    def resid(u):
        e = run([u])[0]
        r = (e.mean - values) / scale_box[0]
        return np.where(np.isfinite(r), r, 1e6)

    h = cal.diff_step

    def steps(u):
        out = []
        for j in range(len(u)):
            d = np.array(u, float)
            d[j] += h if u[j] + h <= 1.0 else -h
            out.append(d)
        return out

    def jac(u):
        us = steps(u)
        r0 = resid(u)
        rs = [(e.mean - values) / scale_box[0] for e in run(us)]
        return np.column_stack([(r - r0) / (d[j] - u[j]) for j, (r, d) in enumerate(zip(rs, us))])

    u0 = cal.start_unit()
    e0 = run([u0])[0]
    scale = np.sqrt(np.array([t.sigma for t in cal.targets]) ** 2 + np.nan_to_num(e0.sem) ** 2)
    scale_box.append(scale)
    say(f"start: chi2 = {_chi2(e0, values, scale_box):.4g}")
    converged, message = False, ""
    try:
        if cal.method == "least_squares":
            res = optimize.least_squares(resid, u0, jac=jac, bounds=(0.0, 1.0), method="trf",
                                         xtol=cal.tolerance, ftol=cal.tolerance, gtol=cal.tolerance,
                                         max_nfev=budget)
        else:
            res = optimize.minimize(lambda u: float(np.sum(resid(u) ** 2)), u0, method="Nelder-Mead",
                                    bounds=[(0.0, 1.0)] * len(P),
                                    options={"xatol": cal.tolerance, "fatol": cal.tolerance,
                                             "maxfev": budget, "initial_simplex": _simplex(u0, 0.2)})
        converged, message = bool(res.success), str(res.message)
    except Budget:
        message = f"stopped after {budget} evaluations"
    # the best evaluated point
    best_key = min(cache, key=lambda k: _chi2(cache[k], values, scale_box))
    best = cache[best_key]
    u_best = np.array([p.to_unit(v) for p, v in zip(P, best.params)])
    J, cov, sig, sens = None, np.full((len(P), len(P)), np.nan), np.full(len(P), np.nan), \
        np.full((len(cal.targets), len(P)), np.nan)
    try:
        J = jac(u_best)
    except Budget:
        say("no Jacobian at the fit (evaluation budget): uncertainties and sensitivities unavailable")
    if J is not None:
        cov_u = np.linalg.pinv(J.T @ J)
        dpdu = np.array([p.dp_du(v) for p, v in zip(P, best.params)])
        cov = cov_u * np.outer(dpdu, dpdu)
        sig = np.sqrt(np.clip(np.diag(cov), 0, None))
        # d mean_i / d ln p_j = (d r_i/du_j) s_i * du_j/dln p_j, du/dln p = p / (dp/du)
        sens = J * scale[:, None] * (best.params / dpdu)[None, :]
    result = Result(cal, best.params, best, scale, sig, cov, sens, _chi2(best, values, scale_box), len(cache),
                    ev.new_evaluations, ev.replicas_run, converged, message, time.perf_counter() - wall0)
    if rank == 0:
        import zarr

        zarr.open_group(str(store_path), mode="r+").attrs.update({"result": _jsonable(result.to_dict())})
    return result


def _chi2(e: Evaluation, values, scale_box) -> float:
    r = (e.mean - values) / scale_box[0]
    return float(np.sum(np.where(np.isfinite(r), r, 1e6) ** 2))


def _simplex(u0, size):
    pts = [u0]
    for j in range(len(u0)):
        d = np.array(u0, float)
        d[j] += size if d[j] + size <= 1 else -size
        pts.append(d)
    return np.array(pts)


# --- the calibrated config --------------------------------------------------------------------

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


def fingerprint16(obj) -> str:
    return hashlib.sha256(_canonical_json(obj).encode()).hexdigest()[:16]
