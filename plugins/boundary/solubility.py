"""Solubility-limited release of N³⁻ through the double layer into the electrolyte.

Per occupied top-layer site (exit) and per vacant top-layer site (entry), in Hz:

    k_out = ν exp(−(E_b − W/2)/kT) · max(0, 1 − n_el/n_sat)
    k_in  = ν exp(−(E_b − G + W/2)/kT) · min(1, n_el/n_sat)

E_b is the release barrier, G the free energy of N in the electrolyte above that in the film
(G > 0: re-entry is downhill), n_el the N ions released so far into the near-surface electrolyte,
n_sat = s·A its capacity (solubility per film area s, in ions/nm²). W = q·E_EDL·δ is the work of
the double-layer field E_EDL = η·V_eff/d on an ion of charge q crossing the release distance δ
(W > 0 pushes N³⁻ out when V < 0). At a voltage switch the double layer overshoots and relaxes,
V_eff(t) = V + r (V − V_prev) e^(−t/τ): at 0 V after −25 V it briefly reverses (V_eff > 0) and
pushes N back in, as the sign change of the gate current at 0 V in the seed paper suggests.
The limit is local: N in the near-surface electrolyte diffuses away into the bulk of the
electrolyte (a volume far larger than the film's) with a mean time τ_esc per ion, which frees
capacity at the surface slowly and lets a saturated film keep releasing N, at the pace of that
escape (``escape_rate_hz`` = 1/τ_esc per near-surface ion; bulk N does not come back).

Defaults: d = 0.5 nm and η = 0.01 give 5 MV/cm at −25 V ("several MV/cm" in a < 1 nm EDL, seed
paper); δ = one N layer spacing of rocksalt (2.12 Å). E_b, G, r, τ are hand-set model parameters:
they give minute-scale release at −25 V and a visible double-layer reversal at 0 V. s and τ_esc
are fitted together with the hop barrier E_0 of ``hops.arrhenius``
(``mikmc calibrate table1_nn_sign_wide_fit``, docs/calibration.md): a Gaussian-process surrogate fit
against the three ΔM_S of the seed paper's Table 1, 3 min column, on the paper protocols' 50 nm films
6 × 6 cells wide, s = 1186 ± 34 000 ions/nm² and τ_esc = 1000 ± 8 100 s (χ² = 7.3 for 3 targets;
the defaults are these values rounded). Only E_0 is determined by that fit: s and τ_esc lie in a flat
valley of it (d ΔM_S / d ln p ≤ 4 emu/cm³; τ_esc ends on the lower bound of its box), so their
defaults are one point of that valley, not measurements. s ≈ 45 % of the film's N (52.5 N/nm³ × 50 nm).
"""

from __future__ import annotations

import math

import numpy as np

from kmc.units import K_B_EV


class SolubilityLimited:
    """EDL-driven exit and entry of N at the top surface, limited by the electrolyte's solubility.

    Parameters
    ----------
    barrier_ev : float
        Release barrier E_b at zero field (eV).
    solvation_ev : float
        G, free energy of N in the electrolyte minus in the film (eV).
    solubility_per_nm2 : float
        Capacity of the near-surface electrolyte, N ions per nm² of film area.
    edl_voltage_fraction : float
        η, fraction of the gate voltage dropping across the double layer.
    edl_thickness_nm : float
        d, double-layer thickness (nm).
    release_distance_a : float
        δ, distance the ion moves through the double-layer field on release (Å).
    reversal_fraction : float
        r, overshoot of the double layer after a voltage switch (0: none).
    reversal_time_s : float
        τ, decay time of the overshoot (s).
    escape_time_s : float
        τ_esc, mean time (s) for released N to leave the near-surface electrolyte for its bulk
        (0 or inf: never).
    nu0_hz : float
        Attempt frequency (Hz).
    charge_e : float
        Ion charge in e.
    site_energy_coupling : bool
        False (default): every top site exits and enters at k_out, k_in. True: at k_out·w_out and
        k_in·w_in of the hop law's factors for the site's environment (``kmc.core.surface``), so
        that exits and entries obey detailed balance with the hop law's site energy, as hops do;
        E_b is then the barrier of an isolated N (no occupied neighbours, static environment 0).
    """

    name = "solubility"
    api_version = 1

    def __init__(self, barrier_ev: float = 0.95, solvation_ev: float = 0.10,
                 solubility_per_nm2: float = 1186.0, edl_voltage_fraction: float = 0.01,
                 edl_thickness_nm: float = 0.5, release_distance_a: float = 2.12,
                 reversal_fraction: float = 0.5, reversal_time_s: float = 10.0,
                 escape_time_s: float = 1000.0, nu0_hz: float = 1e13, charge_e: float = -3.0,
                 site_energy_coupling: bool = False):
        for key, val in (("solubility_per_nm2", solubility_per_nm2), ("edl_thickness_nm", edl_thickness_nm),
                         ("reversal_time_s", reversal_time_s), ("nu0_hz", nu0_hz)):
            if not val > 0:
                raise ValueError(f"{key} must be > 0, got {val}")
        if not 0 <= edl_voltage_fraction <= 1:
            raise ValueError(f"edl_voltage_fraction must be in [0, 1], got {edl_voltage_fraction}")
        if reversal_fraction < 0:
            raise ValueError(f"reversal_fraction must be >= 0, got {reversal_fraction}")
        if not escape_time_s >= 0:
            raise ValueError(f"escape_time_s must be >= 0 (0: no escape), got {escape_time_s}")
        if not isinstance(site_energy_coupling, bool):
            raise ValueError(f"site_energy_coupling must be true or false, got {site_energy_coupling!r}")
        self.site_energy_coupling = site_energy_coupling
        self.escape_rate_hz = 0.0 if escape_time_s in (0, math.inf) else 1.0 / escape_time_s
        self.barrier_ev, self.solvation_ev = barrier_ev, solvation_ev
        self.solubility_per_nm2 = solubility_per_nm2
        self.eta, self.d_nm, self.delta_a = edl_voltage_fraction, edl_thickness_nm, release_distance_a
        self.r, self.tau_s = reversal_fraction, reversal_time_s
        self.nu0_hz, self.charge_e = nu0_hz, charge_e
        self.n_sat = None

    def build(self, lattice, temperature_k: float) -> "SolubilityLimited":
        self.n_sat = self.solubility_per_nm2 * lattice.area_nm2
        self.kt = K_B_EV * temperature_k
        return self

    def edl_field_v_per_m(self, voltage_v: float, prev_voltage_v: float, t_since_switch_s: float) -> float:
        """E_z in the double layer (V/m): negative when the film electrode is negative."""
        v_eff = voltage_v + self.r * (voltage_v - prev_voltage_v) * math.exp(-t_since_switch_s / self.tau_s)
        return self.eta * v_eff / (self.d_nm * 1e-9)

    def rates(self, voltage_v: float, prev_voltage_v: float, t_since_switch_s: float,
              n_electrolyte: int) -> tuple[float, float]:
        """(k_out, k_in) in Hz per top-layer site."""
        e = self.edl_field_v_per_m(voltage_v, prev_voltage_v, t_since_switch_s)
        w = self.charge_e * e * self.delta_a * 1e-10  # eV, q in e
        fill = n_electrolyte / self.n_sat
        k_out = self.nu0_hz * math.exp(-(self.barrier_ev - 0.5 * w) / self.kt) * max(0.0, 1.0 - fill)
        k_in = self.nu0_hz * math.exp(-(self.barrier_ev - self.solvation_ev + 0.5 * w) / self.kt) * min(1.0, fill)
        return k_out, k_in

    def rate_table(self, voltage_v: float, prev_voltage_v: float, t_since_switch_s: float,
                   n_electrolyte: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(k_out, k_in) in Hz per top-layer site for each near-surface count in ``n_electrolyte``
        (the same numbers as :meth:`rates`, vectorised)."""
        e = self.edl_field_v_per_m(voltage_v, prev_voltage_v, t_since_switch_s)
        w = self.charge_e * e * self.delta_a * 1e-10
        fill = np.asarray(n_electrolyte, dtype=np.float64) / self.n_sat
        k_out = self.nu0_hz * math.exp(-(self.barrier_ev - 0.5 * w) / self.kt) * np.maximum(0.0, 1.0 - fill)
        k_in = self.nu0_hz * math.exp(-(self.barrier_ev - self.solvation_ev + 0.5 * w) / self.kt) * np.minimum(1.0, fill)
        return k_out, k_in

    def hold_s(self, voltage_v: float, prev_voltage_v: float, t_since_switch_s: float) -> float:
        """How long (s) rates may be held constant: τ/10 while the overshoot lasts, else forever."""
        if self.r == 0 or voltage_v == prev_voltage_v or t_since_switch_s > 8 * self.tau_s:
            return math.inf
        return self.tau_s / 10.0
