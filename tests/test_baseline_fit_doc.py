"""docs/calibration.md, table1_baseline_fit (E_0 and the electrolyte fitted to the three 3 min ΔM_S and
the paper's baselines): the prose on the committed result holds. (That the block is what the generator
makes of the result is tests/test_paper_doc.py::test_calibration_blocks_match_their_committed_results.)"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATES = ("Low M", "Mid M", "High M")


def _fit():
    return json.loads((ROOT / "docs/data/table1_baseline_fit_result.json").read_text())["result"]


def test_the_baseline_fit_determines_its_parameters_and_meets_dms():
    res = _fit()
    defaults = json.loads((ROOT / "docs/data/table1_nn_sign_wide_fit_result.json").read_text())["result"]
    assert res["converged"]
    for key, p in res["parameters"].items():
        lo, hi = res["surrogate"]["interval_chi2_min_plus_1"][key]
        assert lo < p["value"] < hi and (hi - lo) < 0.5 * p["value"]       # determined: a bounded region
    e0, e0_default = (r["parameters"]["hops.barrier_ev"]["value"] for r in (res, defaults))
    assert 0.03 < e0_default - e0 < 0.07
    s, s_default = (r["parameters"]["boundary.solubility_per_nm2"]["value"] for r in (res, defaults))
    assert 0.1 < s / s_default < 0.3
    t = res["targets"]
    for state in STATES:
        assert abs(t[f"dMS {state}"]["model_mean"] / t[f"dMS {state}"]["value"] - 1) < 0.25
    for state in ("Low M", "Mid M"):
        assert abs(t[f"baseline {state}"]["model_mean"] / t[f"baseline {state}"]["value"] - 1) < 0.3
    assert t["baseline High M"]["model_mean"] < 0.5 * t["baseline High M"]["value"]


def test_no_point_of_the_fit_has_the_papers_baselines_and_high_m_largest():
    res = _fit()
    paper = res["targets"]["baseline High M"]["value"]
    assert paper > 3 * res["targets"]["baseline Mid M"]["value"]
    assert res["targets"]["baseline Mid M"]["value"] < res["targets"]["baseline Low M"]["value"]
    big = 0
    for h in res["history"]:
        m = {n: x["mean"] for n, x in h["targets"].items()}
        assert m["baseline Low M"] < m["baseline Mid M"] < m["baseline High M"]
        if m["baseline High M"] >= 0.6 * paper:
            big += 1
            assert m["dMS High M"] < m["dMS Low M"]
    assert big >= 3
