"""The result of a calibration: fitted parameters (in their config units) with 1σ and covariance,
the evaluation there, χ² and the sensitivities d target / d ln(param), and every point evaluated on
the way (``history``); as a table and as a dict (the calibration store's ``result`` attribute).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kmc.calibration.evaluate import Evaluation
from kmc.calibration.spec import Calibration


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
    history: list = field(default_factory=list)   # (level, Evaluation) of every point evaluated, in order

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
                "replicas_run": self.replicas_run, "converged": self.converged, "message": self.message,
                "history": [history_entry(cal, level, e) for level, e in self.history]}


def history_entry(cal: Calibration, level: str, e: Evaluation) -> dict:
    """One evaluated point as stored in the result: its parameters (config units), the fidelity level,
    each target's replica mean, SEM and replicas used."""
    return {"level": level, "parameters": {p.key: float(v) for p, v in zip(cal.parameters, e.params)},
            "targets": {t.name: {"mean": float(e.mean[i]), "sem": float(e.sem[i]), "n": int(e.n[i])}
                        for i, t in enumerate(cal.targets)}}
