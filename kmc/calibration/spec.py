"""What a calibration is, once read: the parameters to fit (bounds, unit coordinates), the targets,
the base protocols and the run settings (:class:`Calibration`), the options of the surrogate
method (:class:`SurrogateOptions`) and its fidelity levels (:func:`level_calibration`).

Parameter values are in the units of their config key; unit coordinates u ∈ [0, 1] map the bounds
linearly (``scale = "linear"``) or linearly in the logarithm (``"log"``). A target's value and sigma
are in the units of its quantity (:mod:`kmc.calibration.quantities`). Read and checked from a file by
:mod:`kmc.calibration.parse`.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kmc.calibration.quantities import QUANTITIES, array_quantity
from kmc.campaigns import campaign as cp
from kmc.campaigns.campaign import _sha256


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


@dataclass(frozen=True)
class SurrogateOptions:
    initial_points: int | None = None      # default 2d + 2
    batch_size: int | None = None          # default: one per (ranks / runs per evaluation)
    max_core_hours: float | None = None    # core-hours
    kappa: float = 1.0
    low_set: dict | None = None            # [fidelity.low] set; None: one level
    low_replicas: int | None = None        # default: the file's replicas
    low_reduce: dict | None = None         # [fidelity.low] reduce: a similarity-reduced film


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
    surrogate: SurrogateOptions | None = None     # method = "surrogate"
    reduce: dict | None = None                    # runs on a similarity-reduced film (campaign [reduce])

    def canonical(self) -> dict:
        return {"bases": {k: _sha256(tomllib.loads(p.read_text())) for k, p in self.bases.items()},
                "replicas": self.replicas, "seed": self.seed, "set": self.fixed,
                "parameters": [dataclasses.asdict(p) for p in self.parameters],
                "targets": [dataclasses.asdict(t) for t in self.targets], "method": self.method,
                "diff_step": self.diff_step, "tolerance": self.tolerance,
                **({"surrogate": _options(self.surrogate)} if self.surrogate else {})}

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
                             **({"reduce": self.reduce} if self.reduce else {}),
                             "title": f"{self.title}: {base} at {self.point(params)}"}, source=self.source)


def level_calibration(cal: Calibration, level: str) -> Calibration:
    """The calibration whose evaluations are those of ``level`` ("high": the file's; "low": [fidelity.low])."""
    o = cal.surrogate
    if level == "high" or o is None or o.low_set is None:
        return cal
    return dataclasses.replace(cal, fixed={**cal.fixed, **o.low_set}, replicas=o.low_replicas or cal.replicas,
                               reduce=o.low_reduce)


def _options(o: SurrogateOptions) -> dict:
    """The surrogate options as stored; an unset ``low_reduce`` is left out (older stores have none)."""
    d = dataclasses.asdict(o)
    if d["low_reduce"] is None:
        del d["low_reduce"]
    return d
