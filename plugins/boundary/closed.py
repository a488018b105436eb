"""A closed top surface: no exchange with the electrolyte (for equilibrium and diffusion tests)."""

from __future__ import annotations

import math

import numpy as np


class Closed:
    """No N leaves or enters the film."""

    name = "closed"
    api_version = 1

    def build(self, lattice, temperature_k: float) -> "Closed":  # noqa: ARG002
        return self

    def rates(self, voltage_v, prev_voltage_v, t_since_switch_s, n_electrolyte):  # noqa: ARG002
        return 0.0, 0.0

    def rate_table(self, voltage_v, prev_voltage_v, t_since_switch_s, n_electrolyte):  # noqa: ARG002
        return np.zeros(len(n_electrolyte)), np.zeros(len(n_electrolyte))

    def hold_s(self, voltage_v, prev_voltage_v, t_since_switch_s):  # noqa: ARG002
        return math.inf
