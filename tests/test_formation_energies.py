"""The bundled Co–Fe–N formation energies: every value sourced, the loader refuses unsourced ones, and the
pymatgen phase diagram built from them is complete and reproduces the source's own stability numbers."""

import copy
import gzip
import json
import math
from importlib import resources

import pytest
from pymatgen.core import Composition

import kmc.data as data_tables
from kmc.analysis import phase_id


def raw_table() -> dict:
    """The bundled file as stored, without going through the loader."""
    return json.loads(resources.files("kmc").joinpath("data", phase_id.DATA_FILE).read_text())


def by_name(data) -> dict:
    return {e["name"]: e for e in data["entries"]}


# (a) every entry sourced, finite; elemental references exactly 0

def test_every_entry_has_source_reference_and_finite_energy():
    data = raw_table()
    assert data["entries"]
    assert data["note"].strip() and data["dataset"].strip()
    assert "from memory" not in json.dumps(data)
    for e in data["entries"]:
        assert isinstance(e["source"], str) and e["source"].strip(), e["name"]
        assert isinstance(e["reference"], str) and e["reference"].strip(), e["name"]
        assert isinstance(e["energy_ev_per_atom"], float) and math.isfinite(e["energy_ev_per_atom"]), e["name"]
        assert e["structure"].strip(), e["name"]
        for c in e.get("cross_checks", ()):
            assert c["source"].strip() and c["reference"].strip() and math.isfinite(c["energy_ev_per_atom"])


def test_elemental_references_are_exactly_zero():
    elemental = [e for e in raw_table()["entries"] if len(Composition(e["formula"]).elements) == 1]
    assert {Composition(e["formula"]).elements[0].symbol for e in elemental} == {"Co", "Fe", "N"}
    for e in elemental:
        assert e["energy_ev_per_atom"] == 0.0, e["name"]


def test_compounds_come_from_one_dataset():
    # one consistent set in the hull: every compound has the same source (experiment only as a cross-check)
    compounds = [e for e in raw_table()["entries"] if len(Composition(e["formula"]).elements) > 1]
    assert len({e["source"] for e in compounds}) == 1
    assert "Materials Project" in compounds[0]["source"]


def test_bundled_table_passes_the_loader():
    assert phase_id.formation_energies() == raw_table()


# (b) the phase diagram contains every entry and its hull energies are finite

def test_phase_diagram_contains_every_entry_with_finite_e_above_hull():
    data = raw_table()
    pd = phase_id.phase_diagram()
    assert sorted(e.name for e in pd.all_entries) == sorted(e["name"] for e in data["entries"])
    table = by_name(data)
    for entry in pd.all_entries:
        assert entry.energy_per_atom == pytest.approx(table[entry.name]["energy_ev_per_atom"], abs=1e-12)
        e_hull = pd.get_e_above_hull(entry)
        assert e_hull is not None and math.isfinite(e_hull) and e_hull >= -1e-9, entry.name


def test_hull_reproduces_the_sources_decomposition_energies():
    # Bartel et al.'s Ed comes from the full MP hull: an entry is stable here iff Ed <= 0, and for every
    # unstable entry the distance to this file's hull equals Ed (its hull neighbours are all in the file)
    pd = phase_id.phase_diagram()
    table = by_name(raw_table())
    checked = 0
    for entry in pd.all_entries:
        ed = table[entry.name].get("mp_decomposition_energy_ev_per_atom")
        if ed is None:
            continue
        e_hull = pd.get_e_above_hull(entry)
        if ed > 0:
            assert e_hull == pytest.approx(ed, abs=2e-4), entry.name
        else:
            assert e_hull == pytest.approx(0.0, abs=1e-9), entry.name
        checked += 1
    assert checked == len(table) - 3


def test_fe4n_is_above_the_mp_hull():
    # a property of the Materials Project data (see the file's caveat), not of experiment
    assert phase_id.decompose({"Fe": 4, "N": 1}) == pytest.approx({"Fe3N": 0.8, "Fe": 0.2})
    stable = {e.name for e in phase_id.phase_diagram().stable_entries}
    assert stable == {"Fe", "Co", "N2", "Fe3N", "FeN", "Co2N", "CoN", "CoFe"}


def test_fe4n_experimental_cross_check_matches_pymatgen_data():
    """The experimental Fe4N value recorded as a cross-check is the one pymatgen ships (MP2020 fitting set)."""
    try:
        path = resources.files("pymatgen.analysis.compatibility").joinpath("exp_compounds.json.gz")
        rows = json.loads(gzip.decompress(path.read_bytes()))
    except (ModuleNotFoundError, FileNotFoundError):
        pytest.skip("this pymatgen does not ship exp_compounds.json.gz there")
    fe4n = [r for r in rows if r["formula"] == "Fe4N"]
    assert fe4n and fe4n[0]["mpid"] == "mp-535"
    checks = [c for c in by_name(raw_table())["Fe4N"]["cross_checks"] if "exp_compounds" in c["reference"]]
    assert len(checks) == 1
    assert checks[0]["energy_ev_per_atom"] == pytest.approx(fe4n[0]["exp energy"] / 5, abs=1e-12)


# (c) an entry without a source is refused by the loader

@pytest.mark.parametrize("field,value", [("source", None), ("source", ""), ("source", "   "),
                                         ("reference", None), ("reference", "")])
def test_loader_rejects_unsourced_entry(field, value):
    data = copy.deepcopy(raw_table())
    fe3n = by_name(data)["Fe3N"]
    if value is None:
        del fe3n[field]
    else:
        fe3n[field] = value
    with pytest.raises(ValueError, match=rf"'Fe3N'.*{field}"):
        data_tables.validate_formation_energies(data)
    with pytest.raises(ValueError, match="Fe3N"):
        phase_id.build_phase_diagram(data)


def test_loader_rejects_unsourced_entry_in_a_file(tmp_path):
    data = copy.deepcopy(raw_table())
    data["entries"].append({"name": "Co3Fe", "formula": "Co3Fe", "energy_ev_per_atom": -0.05,
                            "structure": "L1_2", "reference": "nowhere"})
    path = tmp_path / "energies.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="'Co3Fe' has no source"):
        data_tables.load_formation_energies(path)


@pytest.mark.parametrize("name,field,value,message", [
    ("CoN", "energy_ev_per_atom", float("nan"), "finite"),
    ("CoN", "energy_ev_per_atom", None, "finite"),
    ("Fe", "energy_ev_per_atom", -0.01, "not 0"),
])
def test_loader_rejects_bad_energies(name, field, value, message):
    data = copy.deepcopy(raw_table())
    by_name(data)[name][field] = value
    with pytest.raises(ValueError, match=rf"'{name}'.*{message}"):
        data_tables.validate_formation_energies(data)


def test_loader_rejects_unsourced_cross_check():
    data = copy.deepcopy(raw_table())
    by_name(data)["Fe4N"]["cross_checks"][0]["source"] = ""
    with pytest.raises(ValueError, match="'Fe4N'"):
        data_tables.validate_formation_energies(data)
