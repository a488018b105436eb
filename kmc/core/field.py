"""Electric field inside the film from a layer resistor chain, and the hop tilt factors it gives.

The gate voltage V drops over the electrolyte + double layer (area resistance R_el) in series with
the film's inter-layer gaps. Gap g (between layers g and g+1) has resistance r_g = ρ^(1 - x̄_g),
x̄_g the mean N fraction of its two layers and ρ = r_metal / r_nitride (< 1): nitride gaps have unit
resistance, N-free (metallic) gaps screen. R_el is set so that the as-grown film (x = 1 everywhere)
takes the fraction f0 of V. Then E_g = V r_g / ((R_el + Σr) h) in V/m, h the layer spacing, and a
hop of z component dz (Å) by an ion of charge q (e) has its barrier lowered by q E dz / 2:
rate factor exp(q E dz / (2 kT)). With V < 0 on the film electrode, E_z < 0 and N³⁻ (q = −3) is
pushed up, towards the electrolyte. As the film turns metallic, Σr falls and so does the field:
extraction slows down.

Refresh policy (what the core does as ions move): when a layer's N count has moved by more than
``tol_count`` ions since it was last used, the resistances of its two gaps are recomputed and the
tilts of the layers around them refreshed (a local O(sites per layer) update). All other layers
keep the denominator R_el + Σr of the last full refresh until it has drifted by more than the
relative tolerance ``field_par[F_GLOBAL_TOL]``; then every tilt and rate is rebuilt (O(N)).
"""

import numpy as np
from numba import njit

from kmc.core.jit import kernel

# layout of the float64 ``field_par`` array
F_VOLTAGE_V, F_FRACTION, F_METAL_RATIO, F_CHARGE_E, F_KT_EV, F_SPACING_A, F_GLOBAL_TOL = range(7)
N_FIELD_PAR = 7
# layout of the (2,) ``fstate`` array: denominator R_el + Σr at the last full refresh, and now
FS_DENOM_REF, FS_DENOM = range(2)


@kernel
def gap_resistance(layer_n, sites_per_layer, rho, g):
    x = 0.5 * (layer_n[g] / sites_per_layer[g] + layer_n[g + 1] / sites_per_layer[g + 1])
    return rho ** (1.0 - x)


@kernel
def electrolyte_resistance(n_gaps, field_par):
    f0 = field_par[F_FRACTION]
    return n_gaps * (1.0 - f0) / f0


@njit(cache=True)
def gap_fields(layer_n, sites_per_layer, field_par):
    """Field E_z in each of the n_layers-1 gaps, in V/m (computed afresh from the profile)."""
    n_gaps = layer_n.shape[0] - 1
    out = np.zeros(max(n_gaps, 0))
    if n_gaps < 1:
        return out
    total = electrolyte_resistance(n_gaps, field_par)
    for g in range(n_gaps):
        out[g] = gap_resistance(layer_n, sites_per_layer, field_par[F_METAL_RATIO], g)
        total += out[g]
    scale = field_par[F_VOLTAGE_V] / (total * field_par[F_SPACING_A] * 1e-10)
    for g in range(n_gaps):
        out[g] *= scale
    return out


@kernel
def full_field(layer_n, sites_per_layer, field_par, r_gap, fstate):
    """Recompute every gap resistance and the denominator."""
    n_gaps = layer_n.shape[0] - 1
    total = electrolyte_resistance(max(n_gaps, 1), field_par)
    for g in range(n_gaps):
        r_gap[g] = gap_resistance(layer_n, sites_per_layer, field_par[F_METAL_RATIO], g)
        total += r_gap[g]
    fstate[FS_DENOM_REF] = total
    fstate[FS_DENOM] = total


@kernel
def update_gaps_of_layer(ell, layer_n, sites_per_layer, field_par, r_gap, fstate):
    """Recompute the two gaps next to layer ell; returns True if a full refresh is due."""
    n_gaps = layer_n.shape[0] - 1
    for g in range(ell - 1, ell + 1):
        if 0 <= g < n_gaps:
            new = gap_resistance(layer_n, sites_per_layer, field_par[F_METAL_RATIO], g)
            fstate[FS_DENOM] += new - r_gap[g]
            r_gap[g] = new
    return abs(fstate[FS_DENOM] / fstate[FS_DENOM_REF] - 1.0) > field_par[F_GLOBAL_TOL]


@kernel
def fill_tilt_rows(tilt, lo, hi, r_gap, fstate, dz_classes, field_par):
    """tilt[l, c] = exp(q E dz / 2kT) for layers lo..hi (inclusive), E from r_gap and the denominator."""
    n_layers = tilt.shape[0]
    q_over_2kt = field_par[F_CHARGE_E] / (2.0 * field_par[F_KT_EV])
    e_scale = field_par[F_VOLTAGE_V] / (fstate[FS_DENOM_REF] * field_par[F_SPACING_A] * 1e-10)
    for ell in range(max(lo, 0), min(hi, n_layers - 1) + 1):
        for c in range(dz_classes.shape[0]):
            dz = dz_classes[c]
            g = ell if dz > 0 else ell - 1
            if dz == 0.0 or g < 0 or g >= n_layers - 1:
                tilt[ell, c] = 1.0
            else:
                tilt[ell, c] = np.exp(q_over_2kt * e_scale * r_gap[g] * dz * 1e-10)
