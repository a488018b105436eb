"""mikmc calibrate: a two-parameter fit recovers known parameters from a synthetic target made by
the model itself; resume reuses every evaluation; a bad calibration file is a one-line error."""

import json

import numpy as np
import pytest
import zarr
from click.testing import CliRunner

from kmc.calibration.evaluate import Evaluator
from kmc.calibration.parse import from_dict, load_calibration
from kmc.calibration.store import prepare_store
from kmc.cli import main
from kmc.config import ConfigError, load

#: ~0.1 s replicas: 3 nm x 2x2 cells, 30 s simulated
TINY = {"lattice.thickness_nm": 3.0, "lattice.cells_xy": [2, 2], "segments.0.duration": "20 s",
        "segments.1.duration": "10 s",
        # pinned, so that the synthetic problem does not move when model defaults are recalibrated
        "hops.nn_bond_ev": 0.012, "hops.co_shift_ev": -0.01, "boundary.barrier_ev": 0.95,
        "boundary.solubility_per_nm2": 250.0, "boundary.escape_time_s": 0.0}
TRUTH = {"hops.barrier_ev": 0.78, "field.film_voltage_fraction": 0.08}
START = {"hops.barrier_ev": 0.795, "field.film_voltage_fraction": 0.065}
TARGETS = [  # extraction (barrier and field), in-plane diffusion (barrier), activity (both)
    {"name": "n_el gate end", "array": "n_electrolyte", "segment": 0, "at": "end"},
    {"name": "msd xy end", "array": "tracer_msd", "segment": -1, "at": "end", "index": [0, 2]},
    {"name": "events", "array": "events", "segment": -1, "at": "end"},
]


def calibration_dict(values, start):
    return {"title": "synthetic", "base": "quick", "replicas": 6, "seed": 5, "set": TINY,
            "parameters": {"hops.barrier_ev": {"start": start["hops.barrier_ev"], "lower": 0.74, "upper": 0.82},
                           "field.film_voltage_fraction": {"start": start["field.film_voltage_fraction"],
                                                           "lower": 0.04, "upper": 0.16, "scale": "log"}},
            "targets": [dict(t, value=float(v), sigma=max(abs(float(v)) * 0.03, 1e-9)) for t, v in zip(TARGETS, values)],
            "max_evaluations": 40, "diff_step": 0.1}


def toml_text(d):
    lines = [f"{k} = {json.dumps(v)}" for k, v in d.items() if not isinstance(v, (dict, list))]
    lines.append("[set]")
    lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in d["set"].items()]
    lines.append("[parameters]")
    lines += [f"{json.dumps(k)} = {{ " + ", ".join(f"{kk} = {json.dumps(vv)}" for kk, vv in v.items()) + " }"
              for k, v in d["parameters"].items()]
    for t in d["targets"]:
        lines.append("[[targets]]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in t.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Targets computed by the model at TRUTH (same seed as the fit: common random numbers)."""
    tmp = tmp_path_factory.mktemp("cal")
    probe = from_dict(calibration_dict([1.0] * len(TARGETS), TRUTH))
    prepare_store(probe, tmp / "truth.zarr")
    truth = Evaluator(probe, tmp / "truth.zarr").evaluate([np.array(list(TRUTH.values()))])[0]
    path = tmp / "synthetic.toml"
    path.write_text(toml_text(calibration_dict(truth.mean, START)))
    return tmp, path


def test_two_parameter_fit_recovers_known_parameters_then_resumes(synthetic):
    tmp, path = synthetic
    store, out = tmp / "fit.zarr", tmp / "calibrated.toml"
    r = CliRunner().invoke(main, ["calibrate", str(path), "-o", str(store), "--write-config", str(out)])
    assert r.exit_code == 0, r.output
    result = zarr.open_group(str(store), mode="r").attrs["result"]
    fitted = {k: v["value"] for k, v in result["parameters"].items()}
    sigma = {k: v["sigma"] for k, v in result["parameters"].items()}
    assert result["converged"], result["message"]
    assert abs(fitted["hops.barrier_ev"] - 0.78) < max(3 * sigma["hops.barrier_ev"], 0.005)
    assert abs(fitted["field.film_voltage_fraction"] / 0.08 - 1) < 0.10
    assert all(abs(t["residual"]) < 3 for t in result["targets"].values())
    assert result["new_evaluations"] == result["evaluations"] > 3
    assert np.isfinite(np.array(result["sensitivity_dlnp"])).all()
    # every evaluated point is in the result, the fit's among them with its model means
    hist = result["history"]
    assert len(hist) == result["evaluations"] and all(h["level"] == "full" for h in hist)
    at_fit = [h for h in hist if h["parameters"] == {k: v["value"] for k, v in result["parameters"].items()}]
    assert len(at_fit) == 1
    assert {n: x["mean"] for n, x in at_fit[0]["targets"].items()} == \
        {n: t["model_mean"] for n, t in result["targets"].items()}
    for name in ("n_el gate end", "msd xy end", "events", "hops.barrier_ev", "(m-v)/s", "d ln(param)"):
        assert name in r.output
    # the calibrated protocol loads and carries the fitted values and the fit in comments
    text = out.read_text()
    assert "# targets:" in text and "hops.barrier_ev" in text
    conf = load(str(out)).resolved()
    assert conf["hops"]["barrier_ev"] == pytest.approx(fitted["hops.barrier_ev"], rel=1e-9)
    assert conf["lattice"]["thickness_nm"] == 3.0

    # resume: the same command reuses every evaluation, runs no replica, gives the same fit
    r2 = CliRunner().invoke(main, ["calibrate", str(path), "-o", str(store)])
    assert r2.exit_code == 0, r2.output
    again = zarr.open_group(str(store), mode="r").attrs["result"]
    assert again["new_evaluations"] == 0 and again["replicas_run"] == 0
    assert again["parameters"] == result["parameters"]


def test_budget_stops_and_reports_start_point(synthetic, tmp_path):
    _, path = synthetic
    r = CliRunner().invoke(main, ["calibrate", str(path), "-o", str(tmp_path / "b.zarr"), "--max-evaluations", "1",
                                  "--replicas", "1", "--quiet"])
    assert r.exit_code == 0, r.output
    assert "stopped after 1 evaluations" in r.output and "NOT converged" in r.output


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(replicas=0), "replicas"),
    (lambda d: d.update(bogus=1), "bogus"),
    (lambda d: d["parameters"]["hops.barrier_ev"].update(start=2.0), "parameters.hops.barrier_ev.start"),
    (lambda d: d["targets"][0].update(quantity="nope"), "targets[0]"),
    (lambda d: d["targets"][1].update(at="median"), "targets[1].at"),
])
def test_bad_calibration_file_is_a_one_line_error(tmp_path, edit, message):
    d = calibration_dict([1.0, 2.0, 3.0], START)
    edit(d)
    path = tmp_path / "bad.toml"
    path.write_text(toml_text(d))
    r = CliRunner().invoke(main, ["calibrate", str(path), "-o", str(tmp_path / "x.zarr")])
    assert r.exit_code == 2
    assert message in r.output and r.output.strip().count("\n") == 0
    assert not (tmp_path / "x.zarr").exists()


def test_table1_targets_from_paper_protocol_names():
    cal = load_calibration("table1")
    names = [t.name for t in cal.targets]
    assert len(cal.bases) == 6 and len(names) == 9
    assert {t.quantity for t in cal.targets} == {"delta_ms", "delta_mr"}
    fast = load_calibration("table1_fast")          # the fit behind the bundled defaults
    assert len(fast.bases) == 3 and [t.quantity for t in fast.targets] == ["delta_ms"] * 3
    with pytest.raises(ConfigError):
        from_dict({"base": "quick", "parameters": {"hops.barrier_ev": {"start": 0.7, "lower": 0.6, "upper": 0.8}}})
    sur = load_calibration("table1_surrogate")      # issue #15: the GP fit with a 2 x 2-cell low fidelity
    old_law = {"hops.barrier_ev": 0.71, "hops.nn_bond_ev": 0.012, "hops.nn2_bond_ev": 0.0}  # pinned (#15)
    assert sur.method == "surrogate" and sur.fixed == {"lattice.cells_xy": [3, 3], **old_law}
    assert sur.surrogate.low_set == {"lattice.cells_xy": [2, 2]} and sur.surrogate.max_core_hours == 3.0
    assert [t.quantity for t in sur.targets] == ["delta_ms"] * 3 and "boundary.solvation_ev" in \
        [p.key for p in sur.parameters]


def test_depth_gap_quantity():
    """n_depth_gap_gate_end: bottom third minus top third of the N occupancy at the end of segment 0
    (layer 0 is the electrode side), whatever happens after."""
    import numpy as np

    from kmc.calibration.quantities import QUANTITIES

    gap = QUANTITIES["n_depth_gap_gate_end"]
    prof = np.ones((4, 9))
    prof[1, 6:] = 0.7                      # end of gating: the top third holds 0.7
    prof[3, :3] = 0.1                      # later frames do not count
    data = {"segment": np.array([0, 0, 1, 2]), "n_profile": prof}
    assert gap(data) == pytest.approx(0.3)
    prof[1] = 1.0
    prof[1, :3] = 0.85                     # depleted from the bottom: negative
    assert gap(data) == pytest.approx(-0.15)


def test_ms_baseline_quantity_is_delta_ms_baseline():
    """ms_baseline: the M_S minimum from the end of the first relaxation (segment 1) on; with ΔM_S it
    adds up to the final M_S. Minima before the relaxation's end (the gating's start) do not count."""
    import numpy as np

    from kmc.calibration.quantities import QUANTITIES

    ms = np.array([0.0, 50.0, 40.0, 30.0, 60.0, 45.0, 90.0])
    data = {"segment": np.array([0, 0, 1, 1, 2, 3, 4]), "saturation_magnetization": ms,
            "time": np.arange(7.0), "magnetization": ms, "field": np.full(7, 1e4)}
    assert QUANTITIES["ms_baseline"](data) == 30.0
    assert QUANTITIES["ms_baseline"](data) + QUANTITIES["delta_ms"](data) == 90.0
    ms[5] = 20.0                           # a lower M_S in a later 0 V half-cycle is the baseline
    assert QUANTITIES["ms_baseline"](data) == 20.0
