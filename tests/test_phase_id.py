"""Phase identification: phase-diagram decomposition, reference spacings, `mikmc phases`."""

import math

import pytest
import zarr
from click.testing import CliRunner

from kmc.analysis import phase_id, phase_refs
from kmc.cli import main

def test_formation_energies_have_sources():
    data = phase_id.formation_energies()
    assert "Materials Project" in data["dataset"]
    for e in data["entries"]:
        assert e["source"].strip() and e["reference"].strip()


def test_pure_fe3n_decomposes_to_fe3n():
    # Fe3N is on the Materials Project hull (gamma'-Fe4N is not: see test_formation_energies.py)
    assert phase_id.decompose({"Fe": 3, "N": 1}) == pytest.approx({"Fe3N": 1.0})


def test_mixture_fractions():
    # 30 % (atoms) Fe3N + 70 % bcc Fe, both on the hull
    comp = {"Fe": 0.3 * 0.75 + 0.7, "N": 0.3 * 0.25}
    dec = phase_id.decompose(comp)
    assert set(dec) == {"Fe3N", "Fe"}
    assert dec["Fe3N"] == pytest.approx(0.3)
    assert sum(dec.values()) == pytest.approx(1.0)


def test_ternary_fractions_sum_to_one():
    dec = phase_id.decompose({"Co": 0.35, "Fe": 0.65, "N": 0.4})
    assert sum(dec.values()) == pytest.approx(1.0)
    assert all(v > 0 for v in dec.values())


@pytest.mark.parametrize("key,a", [("CoFeN", 4.24), ("Fe4N", 3.795), ("FCC", 3.55), ("CoFe_B2", 2.857)])
def test_cubic_spacings(key, a):
    refl = phase_refs.spacings(key)
    assert refl
    for d, hkl, _ in refl:
        assert d == pytest.approx(a / math.sqrt(sum(i * i for i in hkl)), rel=1e-6)
    assert phase_refs.d_hkl(key, (1, 1, 1)) == pytest.approx(a / math.sqrt(3))


def test_rocksalt_111_explains_paper_245():
    hits = phase_refs.explain(2.45, ["CoFeN"], tol=0.03)
    assert hits and hits[0][1] == (1, 1, 1)
    assert phase_refs.explain(2.45, ["FCC"], tol=0.03) == []


def test_identify_and_write(short_run, tmp_path):
    res = phase_id.identify(zarr.open_group(str(short_run), mode="r"), n_slices=3)
    assert len(res.slices) == 3
    for s in [*res.slices, res.film]:
        assert sum(s.kinetic.values()) == pytest.approx(1.0, abs=1e-6)
        assert sum(s.thermo.values()) == pytest.approx(1.0)
        assert s.composition["Co"] == pytest.approx(0.35)
    out = CliRunner().invoke(main, ["phases", str(short_run), "--slices", "3"])
    assert out.exit_code == 0, out.output
    assert "slice 2 (top)" in out.output and "written to" in out.output
    g = zarr.open_group(str(short_run), mode="r")["phases"]
    assert g["kinetic_fraction"].shape == (4, 4)
    assert tuple(g["kinetic_fraction"].metadata.dimension_names) == ("slice", "phase")


def test_incomplete_store_refused(short_run):
    g = zarr.open_group(str(short_run), mode="r+")
    g.attrs["complete"] = False
    try:
        out = CliRunner().invoke(main, ["phases", str(short_run), "--no-write"])
        assert out.exit_code == 2 and "incomplete" in out.output
        out = CliRunner().invoke(main, ["phases", str(short_run), "--allow-incomplete"])
        assert out.exit_code == 0 and "INCOMPLETE" in out.output and "not written" in out.output
    finally:
        g.attrs["complete"] = True
