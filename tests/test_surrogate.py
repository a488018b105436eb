"""method = "surrogate": the GP, the loop on analytic noisy objectives (fake evaluators), the
multi-fidelity bias, determinism/resume, the keys, and one small real calibration through the CLI."""

import hashlib
import json

import numpy as np
import pytest
import zarr
from click.testing import CliRunner

from kmc.calibration import calibrate as kc
from kmc.calibration.evaluate import Evaluation
from kmc.calibration.parse import from_dict
from kmc.campaigns.campaign import _canonical_json
from kmc.cli import main
from kmc.config import ConfigError, load
from kmc.calibration.surrogate import GP, sobol

TRUE_U = np.array([0.3, 0.6])
OFFSET = np.array([10.0, -5.0, 20.0])     # low fidelity − full fidelity, per target


def targets_of(u):
    u1, u2 = u
    return np.array([100 + 80 * u1 + 30 * u2 ** 2, 50 + 40 * np.sin(2 * u2) - 20 * u1 * u2,
                     200 + 60 * (u1 - u2) ** 2 + 10 * u1])


def calibration(method="surrogate", **extra):
    d = {"title": "analytic", "base": "quick", "replicas": 2, "seed": 3, "method": method,
         "parameters": {"hops.barrier_ev": {"start": 0.75, "lower": 0.7, "upper": 0.8},
                        "field.film_voltage_fraction": {"start": 1.0, "lower": 0.1, "upper": 10.0, "scale": "log"}},
         "targets": [{"name": f"t{i}", "array": "events", "value": float(v), "sigma": 3.0}
                     for i, v in enumerate(targets_of(TRUE_U))],
         "max_evaluations": 40, "tolerance": 0.02, **extra}
    return from_dict(d)


def fake_evaluator(cal, sem=2.0, salt=""):
    """targets_of(u) + reproducible normal noise of SD ``sem`` per point and level (+ OFFSET at low);
    10 core-s per low evaluation, 40 per full one."""
    def evaluate(batch, levels=None):
        out = []
        for p, level in zip(batch, levels or ["high"] * len(batch)):
            u = np.array([q.to_unit(v) for q, v in zip(cal.parameters, p)])
            h = hashlib.sha256(f"{_canonical_json(cal.point(p))}{level}{salt}".encode()).hexdigest()
            mean = targets_of(u) + np.random.default_rng(int(h[:8], 16)).normal(size=3) * sem
            mean = mean + (OFFSET if level == "low" else 0.0)
            out.append(Evaluation(np.asarray(p, float), mean, np.full(3, sem), np.full(3, 2), 2,
                                     10.0 if level == "low" else 40.0))
        return out
    return evaluate


def unit(cal, params):
    return np.array([p.to_unit(v) for p, v in zip(cal.parameters, params)])


def test_gp_interpolates_a_smooth_function_and_its_sd_shrinks_at_the_data():
    f = lambda U: np.sin(3 * U[:, 0]) + U[:, 1] ** 2  # noqa: E731
    X = sobol(16, 2, 1)
    gp = GP(X, f(X), np.full(16, 1e-6), seed=0).fit()
    U = sobol(64, 2, 7)
    mean, var = gp.predict(U)
    assert np.max(np.abs(mean - f(U))) < 0.03
    _, var_data = gp.predict(X)
    assert np.all(np.sqrt(var_data) < 0.01) and np.median(np.sqrt(var)) > 3 * np.max(np.sqrt(var_data))
    far = gp.predict(np.array([[3.0, 3.0]]))[1][0]
    assert far > 100 * np.max(var_data)                      # far from the data: back to the prior
    again = GP(X, f(X), np.full(16, 1e-6), seed=0).fit()
    assert np.array_equal(again.theta, gp.theta)              # deterministic
    # the kriging believer: the mean is unchanged, the variance shrinks at the fantasy point
    u = np.array([[0.5, 0.5]])
    g2 = gp.with_points(u, 1e-6)
    assert g2.predict(u)[0][0] == pytest.approx(gp.predict(u)[0][0], abs=1e-9)
    assert g2.predict(u)[1][0] < 0.5 * gp.predict(u)[1][0]


def test_finds_the_minimum_of_a_noisy_objective_in_fewer_evaluations_than_least_squares(tmp_path):
    """The same noisy analytic objective (noise SD 2/3 of sigma), four noise realisations: the
    surrogate's fit has the true minimum within three of its own standard errors (about 0.05 each
    in unit coordinates: the noise allows no better) every time; least squares (forward differences
    of 0.1) needs more evaluations in all, counting a fit that stops further than 0.05 away as its
    whole budget (it does so in 2 of the 4: the noise fools the differences). The bound is the
    fit's uncertainty, not a fixed 0.05: the GP's linear algebra goes through BLAS, whose kernel
    (and so the last bits, and the path of the search) depends on the CPU."""
    tol, sur_total, ls_total = 0.05, 0, 0
    for salt in range(4):
        for method in ("surrogate", "least_squares"):
            cal = calibration(method, seed=salt + 1, diff_step=0.1, tolerance=0.02)
            r = kc.calibrate(cal, tmp_path / f"{method}{salt}.zarr", evaluate=fake_evaluator(cal, 2.0, salt))
            err = np.abs(unit(cal, r.params) - TRUE_U)
            if method == "surrogate":
                sigma_u = np.array([abs(p.to_unit(v + s) - p.to_unit(v))
                                    for p, v, s in zip(cal.parameters, r.params, r.sigma_params)])
                assert np.all(sigma_u < 0.15) and np.all(err < 3 * sigma_u) and r.converged, (salt, err, r.message)
                sur_total += r.evaluations
            else:
                ls_total += r.evaluations if err.max() < tol else cal.max_evaluations
    assert sur_total < ls_total, (sur_total, ls_total)


def test_multi_fidelity_bias_recovers_a_constant_offset(tmp_path):
    cal = calibration(seed=1, fidelity={"low": {"set": {"lattice.cells_xy": [2, 2]}, "replicas": 1}})
    r = kc.calibrate(cal, tmp_path / "f.zarr", evaluate=fake_evaluator(cal))
    assert r.n_pairs >= 2 and r.evaluations_by_level["low"] > r.evaluations_by_level["high"] >= 2
    assert np.all(np.abs(r.bias + OFFSET) < 3 * r.bias_se + 0.5), (r.bias, r.bias_se)
    assert np.max(np.abs(unit(cal, r.params) - TRUE_U)) < 0.05
    assert r.core_hours == pytest.approx((10 * r.evaluations_by_level["low"] + 40 * r.evaluations_by_level["high"])
                                         / 3600)
    stored = zarr.open_group(str(tmp_path / "f.zarr"), mode="r").attrs["result"]["surrogate"]
    assert stored["evaluations_by_level"] == r.evaluations_by_level and "bias_se" in stored["targets"]["t0"]
    levels = [h["level"] for h in zarr.open_group(str(tmp_path / "f.zarr"), mode="r").attrs["result"]["history"]]
    assert levels.count("low") == r.evaluations_by_level["low"] and levels.count("full") == r.evaluations_by_level["high"]
    assert "bias full-low" in r.table()


def test_batches_are_deterministic_and_the_core_hour_budget_stops(tmp_path):
    cal = calibration(batch_size=3, tolerance=1e-6, max_evaluations=15)
    logs = [[], []]
    runs = [kc.calibrate(cal, tmp_path / f"b{i}.zarr", log=logs[i].append, evaluate=fake_evaluator(cal))
            for i in range(2)]
    assert runs[0].to_dict() == runs[1].to_dict() and logs[0] == logs[1]
    first = logs[0][logs[0].index(next(m for m in logs[0] if m.startswith("iteration 0"))) + 1:]
    first = first[:next(i for i, m in enumerate(first) if m.startswith("iteration 1"))]
    assert len(first) == 4 and all(m.startswith("eval") for m in first)     # u* and a batch of 3
    # 288 core-s: the design (6 x 40 core-s) and one more evaluation; the next would overrun
    cal = calibration(max_core_hours=0.08, tolerance=1e-6)
    r = kc.calibrate(cal, tmp_path / "h.zarr", evaluate=fake_evaluator(cal))
    assert not r.converged and "max_core_hours = 0.08" in r.message, r.message
    assert r.evaluations == 7 and r.core_hours == pytest.approx(280 / 3600)


@pytest.mark.parametrize("extra, key", [
    ({"initial_points": 1}, "initial_points"),
    ({"batch_size": 0}, "batch_size"),
    ({"max_core_hours": -1.0}, "max_core_hours"),
    ({"kappa": -1.0}, "kappa"),
    ({"fidelity": {"mid": {"replicas": 1}}}, "fidelity"),
    ({"fidelity": {"low": {"replicas": 1, "bogus": 2}}}, "fidelity.low.bogus"),
    ({"fidelity": {"low": {"replicas": 0}}}, "fidelity.low.replicas"),
    ({"fidelity": {"low": {"set": {"hops.barrier_ev": 0.7}}}}, "fidelity.low.set.hops.barrier_ev"),
    ({"fidelity": {"low": {"set": {"lattice.thickness_nm": -3.0}}}}, "fidelity.low.set"),
    ({"fidelity": {"low": {"replicas": 2}}}, "fidelity.low"),
    ({"fidelity": {"low": {"reduce": {"thickness_nm": -5.0}}}}, "fidelity.low.reduce.thickness_nm"),
    ({"fidelity": {"low": {"reduce": {"cells_xy": [2, 2]}}}}, "fidelity.low.reduce"),
    ({"method": "least_squares", "initial_points": 4}, "initial_points"),
])
def test_bad_surrogate_keys_are_refused(extra, key):
    with pytest.raises(ConfigError) as exc:
        calibration(**extra)
    assert exc.value.key == key, str(exc.value)


def test_a_reduced_low_level_runs_the_similarity_scaled_protocol():
    """[fidelity] low = { reduce = {...} }: the low level's runs are the full level's protocol at the
    same parameters on a thinner film, scaled by kmc.config.reduced (times × s², capacity × s)."""
    from kmc.calibration.spec import level_calibration
    from kmc.config.reduced import scaled

    cal = calibration(fidelity={"low": {"reduce": {"thickness_nm": 5, "cells_xy": [2, 2]}}})
    start = np.array([p.start for p in cal.parameters])
    full = cal.campaign("base", start).config(0).resolved()
    low = level_calibration(cal, "low").campaign("base", start)
    assert low.config(0).resolved() == scaled(full, 5.0, [2, 2])
    assert low.fingerprint() != cal.campaign("base", start).fingerprint()
    assert "low_reduce" not in calibration(fidelity={"low": {"replicas": 1}}).canonical()["surrogate"]


# --- a real calibration, through the CLI -------------------------------------------------------

TINY = {"lattice.thickness_nm": 3.0, "lattice.cells_xy": [2, 2], "segments.0.duration": "20 s",
        "segments.1.duration": "10 s", "hops.nn_bond_ev": 0.012, "hops.co_shift_ev": -0.01,
        "boundary.barrier_ev": 0.95, "boundary.solubility_per_nm2": 250.0, "boundary.escape_time_s": 0.0}
REAL = f"""title = "tiny surrogate"
base = "quick"
replicas = 2
seed = 5
method = "surrogate"
max_evaluations = 6
initial_points = 3

[set]
{chr(10).join(f'"{k}" = {json.dumps(v)}' for k, v in TINY.items())}

[fidelity]
low = {{ set = {{ "lattice.thickness_nm" = 2.0 }}, replicas = 1 }}

[parameters]
"hops.barrier_ev" = {{ start = 0.795, lower = 0.74, upper = 0.82 }}
"field.film_voltage_fraction" = {{ start = 0.065, lower = 0.04, upper = 0.16, scale = "log" }}

[[targets]]
name = "n_el gate end"
array = "n_electrolyte"
segment = 0
value = 60.0
sigma = 3.0

[[targets]]
name = "events"
array = "events"
value = 3000.0
sigma = 100.0
"""


def test_real_surrogate_calibration_writes_a_config_and_resumes_bit_for_bit(tmp_path):
    path, store, out = tmp_path / "tiny.toml", tmp_path / "fit.zarr", tmp_path / "calibrated.toml"
    path.write_text(REAL)
    r = CliRunner().invoke(main, ["calibrate", str(path), "-o", str(store), "--write-config", str(out)])
    assert r.exit_code == 0, r.output
    first = zarr.open_group(str(store), mode="r").attrs["result"]
    assert first["evaluations"] == 6 and first["new_evaluations"] == 6 and first["replicas_run"] > 0
    assert first["surrogate"]["evaluations_by_level"]["high"] >= 1 and first["surrogate"]["core_hours"] > 0
    assert "bias full-low" in r.output and "core-hours" in r.output
    assert "# targets:" in out.read_text()
    fitted = first["parameters"]["hops.barrier_ev"]["value"]
    assert load(str(out)).resolved()["hops"]["barrier_ev"] == pytest.approx(fitted, rel=1e-9)
    r2 = CliRunner().invoke(main, ["calibrate", str(path), "-o", str(store), "--quiet"])
    assert r2.exit_code == 0, r2.output
    again = zarr.open_group(str(store), mode="r").attrs["result"]
    assert again["new_evaluations"] == 0 and again["replicas_run"] == 0
    drop = ("new_evaluations", "replicas_run")
    assert {k: v for k, v in again.items() if k not in drop} == {k: v for k, v in first.items() if k not in drop}
    # --max-core-hours only with the surrogate method; a bad key is a one-line error
    path.write_text(REAL.replace("initial_points = 3", "initial_points = 1"))
    r3 = CliRunner().invoke(main, ["calibrate", str(path), "-o", str(tmp_path / "x.zarr")])
    assert r3.exit_code == 2 and "initial_points" in r3.output and r3.output.strip().count("\n") == 0


def test_the_chi2_region_is_resolved_around_a_sharp_minimum(tmp_path):
    """Targets known to 1/30 of the analytic objective's sigma above: the region χ² < χ²_min + 1 is far
    narrower than the spacing of a grid over the whole box; it is still found around the fit (not
    collapsed to the fit's own value), and it lies within a few linearised σ of it."""
    cal = calibration(seed=2)
    for t in cal.targets:
        t.sigma = 0.1
    r = kc.calibrate(cal, tmp_path / "s.zarr", evaluate=fake_evaluator(cal, sem=0.05))
    for j, (lo, hi) in enumerate(r.interval):
        assert lo < r.params[j] < hi, (j, lo, r.params[j], hi)
        assert hi - lo < 10 * r.sigma_params[j]
