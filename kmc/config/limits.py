"""What a run will cost, estimated from its config before anything is built, and the limits on it.

A lattice plug-in that can say how many sites it will build (``estimate_sites() -> (n_mobile,
n_host)``) gets its memory and event count estimated; a run above the limits is refused with a
:class:`~kmc.config.ConfigError` that gives the estimate (``mikmc run --no-size-limit`` skips the
check). The per-site figures are measurements, not bounds (see the constants).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from kmc.config import MISSING, ConfigError, RunConfig

#: peak resident memory per mobile site (bytes), lattice + ions + magnet built, measured with
#: ru_maxrss on the rocksalt film (68 k–270 k sites: 4.3–4.4 kB per site; 13.7 kB at 4 k sites,
#: where fixed costs dominate; k-d tree neighbour search, Nov 2026)
BYTES_PER_SITE = 5e3
#: resident memory of an interpreter with mikmc and its dependencies imported (bytes, measured)
BASE_BYTES = 160e6
#: KMC events per mobile site per simulated second on the bundled High M protocol under the default
#: hop law and its table1_nn_sign_wide_fit values (runs/paper/high_m_3min.toml: 9.37 M events, 16992
#: sites, 5100 s, seed 42; Nov 2026): an order of magnitude for gated CoFeN films, not a bound
EVENTS_PER_SITE_S = 0.108
#: most events a run may be expected to take without --no-size-limit (≈ 10 core-days at 1e6 events/s)
MAX_EVENTS = 1e12


@dataclass(frozen=True)
class CostEstimate:
    """Sizes and cost of one run, from its config."""

    n_mobile: int
    n_host: int
    memory_bytes: float
    events: float

    def describe(self) -> str:
        return (f"{self.n_mobile:,} N sites, ≈ {self.memory_bytes / 1e9:.3g} GB of memory, "
                f"≈ {self.events:.2g} KMC events")


def available_memory_bytes() -> float:
    """Memory the machine can still give (MemAvailable of /proc/meminfo; physical memory elsewhere)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return float("inf")


def estimate(config: RunConfig) -> CostEstimate | None:
    """The run's size and cost, or None if its lattice plug-in cannot tell without building."""
    lattice = config.plugins["lattice"].create()
    if not hasattr(lattice, "estimate_sites"):
        return None
    n_mobile, n_host = (int(v) for v in lattice.estimate_sites())
    duration_s = sum(s.duration_s for s in config.segments)
    return CostEstimate(n_mobile, n_host, BASE_BYTES + BYTES_PER_SITE * max(n_mobile, n_host),
                        EVENTS_PER_SITE_S * n_mobile * duration_s)


def check(config: RunConfig, memory_fraction: float = 0.8) -> CostEstimate | None:
    """Refuse (ConfigError on ``lattice``) a run that would need more than ``memory_fraction`` of
    the available memory or more than :data:`MAX_EVENTS` events. Returns the estimate."""
    est = estimate(config)
    if est is None:
        return None
    limit = memory_fraction * available_memory_bytes()
    hint = "reduce lattice.thickness_nm or lattice.cells_xy, or pass --no-size-limit"
    if est.memory_bytes > limit:
        raise ConfigError("lattice", MISSING, f"the film would have {est.describe()}; more than the "
                          f"{limit / 1e9:.3g} GB limit ({memory_fraction:.0%} of the memory available); {hint}")
    if est.events > MAX_EVENTS:
        raise ConfigError("lattice", MISSING, f"the run would take {est.describe()}; more than the "
                          f"{MAX_EVENTS:.0e} events limit (≈ 10 core-days); {hint}")
    return est
