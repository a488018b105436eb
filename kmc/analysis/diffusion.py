"""Tracer analysis of N ions: mean-square displacement, tracer diffusivity, correlation factor.

Displacements are unwrapped (periodic images are followed), in Å, accumulated hop by hop by
the core in ``IonSystem.disp`` and recorded per frame as ``tracer_msd``.
"""

from __future__ import annotations

import numpy as np

#: tracer correlation factors of the single-vacancy mechanism (Compaan & Haven 1956/1958;
#: Manning, Diffusion Kinetics for Atoms in Crystals, 1968)
CORRELATION_FACTOR_VACANCY = {"sc": 0.6531, "bcc": 0.7272, "fcc": 0.7815}


def tracer_msd(disp: np.ndarray) -> np.ndarray:
    """Mean-square tracer displacement along x, y, z (Å²) of ions with displacements ``disp`` (n, 3)."""
    return (np.asarray(disp) ** 2).mean(axis=0)


def diffusivity_cm2_s(msd_a2: float, time_s: float, dims: int = 3) -> float:
    """D = <r²> / (2 d t), in cm²/s, from an MSD summed over ``dims`` axes (Å²)."""
    return msd_a2 * 1e-16 / (2.0 * dims * time_s)


def random_walk_diffusivity_cm2_s(hop_rate_hz: float, hop_length_a: float, dims: int = 3) -> float:
    """D of an uncorrelated walker making hops of length λ at total rate Γ: Γ λ² / (2 d), cm²/s."""
    return hop_rate_hz * hop_length_a ** 2 * 1e-16 / (2.0 * dims)


def correlation_factor(disp: np.ndarray, n_hops: np.ndarray | int, hop_length_a: float) -> float:
    """f = <R²> / (n λ²): tracer MSD over what the same hops would give uncorrelated."""
    r2 = float((np.asarray(disp) ** 2).sum(axis=1).sum())
    return r2 / (float(np.sum(n_hops)) * hop_length_a ** 2)
