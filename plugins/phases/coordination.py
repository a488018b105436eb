"""Phase of each metal site from its N coordination and its own species.

In rocksalt (Co,Fe)N every metal has 6 octahedral N neighbour sites (5 at the film surfaces).
The local N fraction f = (occupied N neighbours) / (N neighbour sites) picks the phase, after the
mean N coordination of the reference phases (each N has 6 metal neighbours):

=============  ==================  =========================  ==================
phase          f                   mean N per metal (bulk)    magnetic order
=============  ==================  =========================  ==================
(Co,Fe)N       f > 2/3 (5–6 of 6)  6                          paramagnetic
Co2N/Fe2N      1/3 < f <= 2/3      3 (M₂N)                    weak ferromagnet
Fe4N           0 < f <= 1/3        1.5 (M₄N: Fe_I 0, Fe_II 2)  ferromagnet
CoFe           f = 0               0 (bcc FeCo, fcc Fe/Co)     ferromagnet
=============  ==================  =========================  ==================

Moments per atom (μB), by phase and species (defaults):

- CoFe: Fe 2.75, Co 1.85, i.e. 2.44 μB/atom for Fe65Co35, the top of the Slater–Pauling curve
  (R. M. Bozorth, *Ferromagnetism*, 1951; Fe ≈ 3 μB, Co ≈ 1.8 μB in FeCo from neutron
  diffraction, M. F. Collins & J. B. Forsyth, Phil. Mag. 8, 401 (1963)); bulk M_S ≈ 1.9×10³
  emu/cm³. T_C = 1250 K: bcc Fe₆₅Co₃₅ stays ferromagnetic up to its α→γ transition near
  1250 K (Fe–Co phase diagram, T. Nishizawa & K. Ishida, Bull. Alloy Phase Diagr. 5, 250
  (1984)), above which the extrapolated T_C of the bcc alloy is not reached.
- Fe4N: Fe 2.25 (Fe_I 3.0, Fe_II 2.0 μB, B. C. Frazer, Phys. Rev. 112, 751 (1958)), T_C = 761 K
  (J. M. D. Coey & P. A. I. Smith, J. Magn. Magn. Mater. 200, 405 (1999)); Co in the Co₄N-like
  environment 1.6 μB (estimate: DFT values for Co₄N lie near 1.5–1.7 μB/Co).
- Co2N/Fe2N: Fe 1.0, Co 0.5 μB, T_C 450 K: interpolations (no measurement for this phase). The moment of ε-Fe₃N₁₊ₓ falls from
  ≈ 2 μB/Fe (T_C ≈ 575 K) towards the weakly or non-magnetic ε/ζ-Fe₂N as N is added (Coey & Smith
  1999); Co₂N is at most weakly magnetic. Measurements put this class's room-temperature order
  lower than the default T_C: ζ-Fe₂N shows no magnetic order above about 10 K (reviewed in
  arXiv:1706.05879) and room-temperature Mössbauer spectra of ε-Fe₂₊ₓN near Fe₂.₄N are fitted with
  paramagnetic doublets (Inorg. Chem. 60, 2553 (2021)). With m2n_*_mub = 0 and m2n_curie_k = 0 the
  class is paramagnetic; docs/paper.md ("What could hold a remanence") shows what that does to the
  paper campaign's snapshots. It is not the default: the ion parameters were fitted to ΔM_S with
  these moments.
- (Co,Fe)N: paramagnetic at room temperature, no moment in the model.

Anisotropy: each ferromagnetic phase has an effective uniaxial constant K (J/m³), the energy
density of the barrier that coherent rotation crosses between two easy directions of its cubic
magnetocrystalline anisotropy (K₁ > 0, easy ⟨100⟩: barrier K₁/4 through ⟨110⟩; K₁ < 0, easy
⟨111⟩: |K₁|/12), the easy axis taken along the applied field. Per atom: K × the volume per metal
site of the simulated lattice (the volume M is normalised by).

- CoFe: K₁ of bcc Fe is 4.8×10⁴ J/m³ at room temperature and falls with Co to about zero near
  45 at.% Co (R. M. Bozorth, *Ferromagnetism*, 1951, ch. 12; R. C. Hall, J. Appl. Phys. 31,
  S157 (1960)); for Fe₆₅Co₃₅ ≈ 2×10⁴ J/m³ → K = K₁/4 = 5×10³ J/m³.
- Fe4N: K₁ ≈ −2.9×10⁴ J/m³ for γ′-Fe₄N (easy ⟨111⟩; as quoted in the review of J. M. D. Coey and
  P. A. I. Smith, J. Magn. Magn. Mater. 200, 405 (1999)) → K = |K₁|/12 ≈ 2.4×10³ J/m³.
- Co2N/Fe2N: no measured constant for the weakly magnetic M₂N phases; taken equal to Fe4N's
  (assumption).

These are textbook magnitudes, uncertain by a factor of about two; within the lateral sizes the
model can afford every finite cluster is superparamagnetic for any K in 10³–10⁵ J/m³
(docs/magnetism.md shows the sensitivity), and a layer spanning the cell reverses only above its
anisotropy field 2K/M_s (docs/magnetism.md gives its value, computed).
"""

from __future__ import annotations

import numpy as np

from kmc.plugins.phases.tables import PhaseTables
from kmc.units import EV_J

NAMES = ("(Co,Fe)N", "Co2N/Fe2N", "Fe4N", "CoFe")
NITRIDE, M2N, M4N, METAL = range(4)


class CoordinationPhases:
    """Phase by local N fraction and species.

    Parameters
    ----------
    m4n_max_fraction : float
        Largest local N fraction f still counted Fe4N-like (f > 0).
    m2n_max_fraction : float
        Largest f counted Co2N/Fe2N-like; above it the site is paramagnetic (Co,Fe)N.
    cofe_fe_mub, cofe_co_mub : float
        Moments of Fe and Co in the N-free metal (μB).
    fe4n_fe_mub, fe4n_co_mub : float
        Moments in the Fe4N-like phase (μB).
    m2n_fe_mub, m2n_co_mub : float
        Moments in the Co2N/Fe2N-like phase (μB).
    cofe_curie_k, fe4n_curie_k, m2n_curie_k : float
        Curie temperatures (K) the exchange plug-ins reproduce in a pure phase.
    cofe_anisotropy_j_m3, fe4n_anisotropy_j_m3, m2n_anisotropy_j_m3 : float
        Effective uniaxial anisotropy constant K of each ferromagnetic phase (J/m³), see above.
    """

    name = "coordination"
    api_version = 1

    def __init__(self, m4n_max_fraction: float = 1.0 / 3.0, m2n_max_fraction: float = 2.0 / 3.0,
                 cofe_fe_mub: float = 2.75, cofe_co_mub: float = 1.85,
                 fe4n_fe_mub: float = 2.25, fe4n_co_mub: float = 1.6,
                 m2n_fe_mub: float = 1.0, m2n_co_mub: float = 0.5,
                 cofe_curie_k: float = 1250.0, fe4n_curie_k: float = 761.0, m2n_curie_k: float = 450.0,
                 cofe_anisotropy_j_m3: float = 5.0e3, fe4n_anisotropy_j_m3: float = 2.4e3,
                 m2n_anisotropy_j_m3: float = 2.4e3):
        if not 0.0 < m4n_max_fraction < m2n_max_fraction < 1.0:
            raise ValueError("need 0 < m4n_max_fraction < m2n_max_fraction < 1, got "
                             f"{m4n_max_fraction}, {m2n_max_fraction}")
        moments = dict(cofe_fe_mub=cofe_fe_mub, cofe_co_mub=cofe_co_mub, fe4n_fe_mub=fe4n_fe_mub,
                       fe4n_co_mub=fe4n_co_mub, m2n_fe_mub=m2n_fe_mub, m2n_co_mub=m2n_co_mub)
        for key, v in moments.items():
            if not 0.0 <= v <= 10.0:
                raise ValueError(f"{key} must be in [0, 10] μB, got {v}")
        for key, v in dict(cofe_curie_k=cofe_curie_k, fe4n_curie_k=fe4n_curie_k, m2n_curie_k=m2n_curie_k).items():
            if not 0.0 <= v <= 5000.0:
                raise ValueError(f"{key} must be in [0, 5000] K, got {v}")
        aniso = dict(m2n_anisotropy_j_m3=m2n_anisotropy_j_m3, fe4n_anisotropy_j_m3=fe4n_anisotropy_j_m3,
                     cofe_anisotropy_j_m3=cofe_anisotropy_j_m3)
        for key, v in aniso.items():
            if not 0.0 <= v <= 1e8:
                raise ValueError(f"{key} must be in [0, 1e8] J/m³, got {v}")
        self.f4, self.f2 = float(m4n_max_fraction), float(m2n_max_fraction)
        self.moments = moments
        self.curie_k = np.array([0.0, m2n_curie_k, fe4n_curie_k, cofe_curie_k])
        self.anisotropy_j_m3 = np.array([0.0, *map(float, aniso.values())])  # by phase code

    def phase_for(self, n_occ: int, n_sites: int) -> int:
        """Phase code of a metal with n_occ of its n_sites N neighbour sites filled."""
        if n_sites == 0 or n_occ == 0:
            return METAL
        f = n_occ / n_sites
        if f <= self.f4 + 1e-12:
            return M4N
        if f <= self.f2 + 1e-12:
            return M2N
        return NITRIDE

    def build(self, lattice) -> PhaseTables:
        nbr = lattice.host_mobile_nbr
        n_host = len(lattice.host)
        m = nbr.shape[1] if nbr.ndim == 2 else 0
        n_sites = (nbr >= 0).sum(axis=1) if n_host else np.zeros(0, dtype=np.int64)
        symbols = lattice.host_symbols
        n_spec = max(len(symbols), 1)
        stride = n_spec * (m + 1)
        static = lattice.host_species.astype(np.int64) * (m + 1) + n_sites
        phase_of = np.zeros((m + 1) * stride, dtype=np.int8)
        for n_occ in range(m + 1):
            for s in range(n_spec):
                for k in range(m + 1):
                    phase_of[n_occ * stride + s * (m + 1) + k] = self.phase_for(n_occ, k) if n_occ <= k else NITRIDE
        per_species = np.zeros((n_spec, 4))
        for s, sym in enumerate(symbols):
            el = "co" if sym == "Co" else "fe"  # any other metal gets the Fe moments
            per_species[s] = [0.0, self.moments[f"m2n_{el}_mub"], self.moments[f"fe4n_{el}_mub"],
                              self.moments[f"cofe_{el}_mub"]]
        moment = per_species[lattice.host_species] if n_host else np.zeros((0, 4))
        ferro = np.array([False, True, True, True])
        site_volume_m3 = lattice.volume_cm3 * 1e-6 / max(n_host, 1)
        aniso = np.where(ferro, self.anisotropy_j_m3 * site_volume_m3 / EV_J, 0.0)
        tables = PhaseTables(names=NAMES, ferromagnetic=ferro, phase_of=phase_of, static_code=static,
                             code_stride=stride, moment_mub=np.ascontiguousarray(moment),
                             curie_k=self.curie_k.copy(), anisotropy_ev=aniso)
        tables.check(n_host)
        return tables
