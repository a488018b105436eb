"""`mikmc report`: Table 1, figures, energy accounting, incomplete stores."""

import math

import numpy as np
import pytest
import zarr
from click.testing import CliRunner

from kmc.cli import main
from kmc.paper.protocols import identify_state
from kmc.paper.report import PAPER_TABLE1, table1

def test_identify_state():
    assert identify_state({"source": "/x/runs/paper/high_m_1h.toml"}) == ("high", "1h")
    assert identify_state({"source": "quick.toml", "title": "Low M: gate, 3 min relaxation"}) == ("low", "3min")
    assert identify_state({"source": "quick.toml", "title": "Quick look"}) == (None, None)
    assert PAPER_TABLE1["mid"]["ratio"]["1h"] == 13.7


@pytest.mark.parametrize("state", ["low", "mid", "high"])
@pytest.mark.parametrize("relax", ["3min", "1h", "field-on"])
def test_paper_protocols_are_identified_by_their_segments(state, relax):
    """The bundled protocol and the paper campaign's point for each state, from segments alone."""
    from kmc.campaigns.campaign import find_campaign, load_campaign
    from kmc.config import load

    name = f"paper/{state}_m_{relax.replace('-', '_')}"
    assert identify_state({"config": load(name).resolved()}) == (state, relax)
    camp = load_campaign(find_campaign("paper"))
    found = [p for p in range(camp.n_points) if identify_state({"config": camp.config(p).resolved()}) == (state, relax)]
    assert len(found) == 1


def test_shaped_protocols_off_the_paper_times_are_no_paper_state():
    """A campaign varying the gating time of a paper protocol is not labelled with its base file's
    state; a reduced film (times × s²) is identified as the state it scales."""
    from kmc.campaigns.campaign import find_campaign, load_campaign
    from kmc.config import load

    camp = load_campaign(find_campaign("crossover_scan"))
    assert camp.n_points == 4
    assert all(identify_state({"config": camp.config(p).resolved(), "source": str(camp.base_path),
                               "title": "High M, 3 min"}) == (None, None) for p in range(camp.n_points))
    assert identify_state({"config": load("paper/reduced_high_m").resolved()}) == ("high", "3min")


def test_table1_definition():
    # gate (field), relax (field), zero-field gate
    data = {"time": np.arange(6.0), "segment": np.array([0, 0, 1, 1, 2, 2]),
            "field": np.array([1e4, 1e4, 1e4, 1e4, 0, 0]),
            "saturation_magnetization": np.array([0, 50, 40, 30, 60, 90.0]),
            "magnetization": np.array([0, 45, 35, 28, 10, 40.0])}
    t1 = table1(data)
    assert t1["dMS"] == pytest.approx(60.0)     # 90 - min(30, 60, 90)
    assert t1["dMR"] == pytest.approx(30.0)     # 40 - min(10, 40) over zero-field frames
    assert t1["ratio"] == pytest.approx(50.0)
    assert math.isnan(t1["dMH"])                # cycles at zero field: no in-field ΔM
    data["field"] = np.full(6, 1e4)             # field-on cycles: ΔM under the field, as a VSM reads it
    t1 = table1(data)
    assert t1["dMH"] == pytest.approx(40.0 - 10.0) and math.isnan(t1["dMR"])


def test_report_from_short_run(short_run, tmp_path):
    out = tmp_path / "rep"
    res = CliRunner().invoke(main, ["report", str(short_run), "-o", str(out)])
    assert res.exit_code == 0, res.output
    md = (out / "report.md").read_text()
    assert "| run | state |" in md and "ΔM_S" in md and "2.7e+06" in md
    assert "WARNING" not in md
    for stem in ("magnetization", "n_profiles", "phase_map"):
        for ext in ("png", "svg"):
            files = list(out.glob(f"*_{stem}.{ext}"))
            assert files and files[0].stat().st_size > 1000
            assert f"{files[0].stem}.png" in md
    # the machine-readable result: every Table 1 value with its SE, fingerprint, config, version
    from kmc.paper.result import read

    result = read(out / "result.json")
    run = result["runs"][0]
    assert set(run["table1"]) == {"dMS", "dMR", "ratio", "dMH"} and set(run["table1"]["dMS"]) == {"mean", "se"}
    assert len(run["fingerprint"]) == 16 and run["config"]["lattice"] and result["mikmc_version"]
    assert [c["number"] for c in result["claims"]] == list(range(1, 8))


def test_incomplete_store_flagged(short_run, tmp_path):
    g = zarr.open_group(str(short_run), mode="r+")
    g.attrs["complete"] = False
    try:
        res = CliRunner().invoke(main, ["report", str(short_run), "-o", str(tmp_path / "r")])
        assert res.exit_code == 0, res.output
        md = (tmp_path / "r" / "report.md").read_text()
        assert "WARNING" in md and "INCOMPLETE" in md and "**NO**" in md
    finally:
        g.attrs["complete"] = True


def test_claim_numbers_of_a_constructed_run():
    from kmc.paper.claims import claim_numbers

    # gate 8 min under field (frames every 2 min), relax, zero-field gate, relax, gate
    t = np.array([0, 120, 240, 360, 480, 600, 720, 840, 960.0])
    seg = np.array([0, 0, 0, 0, 0, 1, 2, 3, 4])
    volts = np.array([-25, -25, -25, -25, -25, 0, -25, 0, -25.0])
    field = np.array([1e4, 1e4, 1e4, 1e4, 1e4, 1e4, 0, 0, 0])
    ms = np.array([0, 10, 20, 40, 60, 54, 90, 80, 120.0])
    m = np.array([0, 10, 20, 40, 60, 54, 50, 45, 75.0])
    prof = np.tile(np.linspace(0.1, 0.9, 9), (9, 1))
    data = {"time": t, "segment": seg, "voltage": volts, "field": field, "saturation_magnetization": ms,
            "magnetization": m, "n_profile": prof, "n_surface_electrolyte": np.arange(25, 34),
            "n_film": np.array([1000, 990, 980, 970, 960, 965, 950, 955, 940])}
    attrs = {"config": {"boundary": {"solubility_per_nm2": 50.0}}, "film": {"area_nm2": 1.2}}
    c = claim_numbers(data, attrs)
    assert c["gate_ms"] == 60 and c["relax_pct"] == pytest.approx(-10.0)
    assert c["cycle_relax_lowers"] == 1.0 and c["potentiation"] == pytest.approx(66.0)
    assert c["mr_final"] == 75 and c["mr_over_gate_ms"] == pytest.approx(1.25)
    assert c["thirds"] == pytest.approx((0.2, 0.5, 0.8)) and c["saturation"] == pytest.approx(29 / 60)
    assert c["slopes"] == pytest.approx([20 / 4, 40 / 4])       # M_S 0 -> 20 -> 60 over two 4 min blocks
    # what the cycles add: baseline = M_S minimum from the end of the relaxation on (frame 5)
    assert c["ms_min"] == 54 and c["ms_final"] == 120
    assert c["dn_cycles"] == pytest.approx(100 * (965 - 940) / 1000)     # % of the film's initial N
    assert c["dms_per_dn"] == pytest.approx(66 / 2.5) and c["fill_at_min"] == pytest.approx(30 / 60)
    # a campaign replica that has not written a frame yet (a running campaign) gives no numbers
    from kmc.paper.claims import depth_profiles

    assert claim_numbers({}, {}) == {} and depth_profiles({}, {}, []) == {}


def test_paper_doc_regenerates_only_the_marked_blocks(short_run, tmp_path):
    from kmc.publish.paper_doc import load, update

    doc = tmp_path / "paper.md"
    doc.write_text("# page\nprose 12.5 stays\n<!-- generated:table1 -->\nold 999\n<!-- /generated:table1 -->\n"
                   "<!-- generated:status -->\n<!-- /generated:status -->\ntail\n")
    assert update(doc, load([short_run])) == ["table1", "status"]
    text = doc.read_text()
    assert "old 999" not in text and "| run | state |" in text and "| # | claim |" in text
    assert text.startswith("# page\nprose 12.5 stays\n") and text.endswith("tail\n")


def test_generated_block_reads_back_what_replace_blocks_writes(tmp_path):
    from kmc.publish.paper_doc import generated_block, replace_blocks

    doc = tmp_path / "page.md"
    doc.write_text("a\n<!-- generated:x.y -->\nold\n<!-- /generated:x.y -->\n<!-- generated:xzy -->\nz\n"
                   "<!-- /generated:xzy -->\n")
    assert replace_blocks(doc, {"x.y": "new | 1\nline 2"}) == ["x.y"]
    assert generated_block(doc, "x.y") == "new | 1\nline 2"
    assert generated_block(doc, "xzy") == "z"      # the dot is a dot, not any character
    assert generated_block(doc, "missing") is None


def test_replace_blocks_fills_an_empty_block(tmp_path):
    from kmc.publish.paper_doc import generated_block, replace_blocks

    doc = tmp_path / "page.md"
    doc.write_text("<!-- generated:a -->\n<!-- /generated:a -->\ntail\n")
    assert generated_block(doc, "a") == ""
    assert replace_blocks(doc, {"a": "body"}) == ["a"]
    assert doc.read_text() == "<!-- generated:a -->\nbody\n<!-- /generated:a -->\ntail\n"
