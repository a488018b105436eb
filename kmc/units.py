"""Physical constants and unit conversions used across mikmc (CODATA 2018)."""

K_B_EV = 8.617333262e-5  # Boltzmann constant, eV/K
MU_B_EV_PER_T = 5.7883818060e-5  # Bohr magneton, eV/T
MU_B_EMU = 9.2740100783e-21  # Bohr magneton, emu (erg/G)
TESLA_PER_OE = 1e-4  # B = μ0 H: an applied field of 1 Oe is 1e-4 T
EV_J = 1.602176634e-19  # electronvolt, J (exact, SI 2019)
