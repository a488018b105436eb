"""The seed paper's claims 1 and 5 (docs/paper.md), checked qualitatively on a reduced film; claim 3's numbers.

One run of the bundled ``paper/reduced_high_m`` protocol (20 nm, 2 × 2 cells, the High M gating
times scaled by 20/50, about 10 s) with the documented default parameters.
"""

import numpy as np
import pytest
from click.testing import CliRunner

from kmc.cli import main
from kmc.paper_claims import claim_numbers
from kmc.store import open_run, read_frames
from kmc.summary import depth_thirds, segment_end_frames

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("claims") / "reduced_high_m.zarr"
    res = CliRunner().invoke(main, ["run", "paper/reduced_high_m", "-o", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    group = open_run(out)
    data = read_frames(group)
    data["ends"] = segment_end_frames(np.asarray(data["segment"]))
    data["attrs"] = dict(group.attrs)
    data["claims"] = claim_numbers(data, data["attrs"])
    return data


def test_claim1_gating_raises_ms_relaxation_lowers_it_cycles_potentiate(run):
    ms, ends, volts = run["saturation_magnetization"], run["ends"], run["voltage"]
    gate_end, relax_end = ends[0], ends[1]
    assert ms[0] == 0.0                                   # the nitride starts non-magnetic
    assert ms[gate_end] > 200.0                           # field-on gating at -25 V raises M_S
    assert ms[relax_end] < ms[gate_end]                   # 0 V lowers it (relaxation)
    # every 0 V half-cycle of the zero-field cycles lowers M_S, every -25 V half raises it ...
    for prev, end in zip(ends[1:-1], ends[2:]):
        if volts[end] == 0:
            assert ms[end] < ms[prev], (prev, end)
        else:
            assert ms[end] > ms[prev], (prev, end)
    # ... and the cycles give net potentiation
    assert ms[-1] > ms[relax_end] + 100.0
    claims = run["claims"]                                # the same, as mikmc report states them
    assert claims["relax_pct"] < 0 and claims["cycle_relax_lowers"] == 1.0 and claims["potentiation"] > 100.0


def test_claim3_numbers_are_measured_not_asserted(run):
    """Claim 3 (M_R after the zero-field cycles > M_S after field-on gating) used to hold by
    construction (spins at ~7 K, a hand-set coercive field). With spins at the real temperature and
    Néel–Brown reversal its outcome is a model prediction, which docs/magnetism.md reports from the
    lateral-size study; here only its bookkeeping is checked."""
    m, ms, ends, field = run["magnetization"], run["saturation_magnetization"], run["ends"], run["field"]
    gate_end, relax_end = ends[0], ends[1]
    assert np.all(field[relax_end + 1:] == 0)
    assert np.all(np.abs(m) <= ms + 1e-9)                  # |M| never exceeds M_S
    assert run["claims"]["mr_final"] == pytest.approx(m[-1])
    assert run["claims"]["mr_over_gate_ms"] == pytest.approx(m[-1] / ms[gate_end])


def test_claim5_depth_reversal_and_pile_up_under_the_surface(run):
    prof, t, ends = np.asarray(run["n_profile"]), np.asarray(run["time"]), run["ends"]
    early = int(np.searchsorted(t, 30.0))                 # Low M of this film: 30 s of gating
    low, high = np.array(depth_thirds(prof[early])), np.array(depth_thirds(prof[ends[0]]))
    assert low[2] < low[0] - 0.1                          # Low M: depleted at the top
    assert high[0] < high[2] - 0.5                        # High M: depleted at the bottom ...
    assert high[2] > 0.9                                  # ... with N piled up under the surface
    # the reversal follows saturation of the near-surface electrolyte
    capacity = run["attrs"]["config"]["boundary"]["solubility_per_nm2"] * run["attrs"]["film"]["area_nm2"]
    n_surf = np.asarray(run["n_surface_electrolyte"])
    assert n_surf[early] < 0.3 * capacity < 0.8 * capacity < n_surf[ends[0]]
    assert run["claims"]["saturation"] == pytest.approx(n_surf[ends[0]] / capacity)
    # N is conserved: film + electrolyte = all N sites of the pristine film
    total = np.asarray(run["n_film"]) + np.asarray(run["n_electrolyte"])
    assert np.all(total == total[0])
