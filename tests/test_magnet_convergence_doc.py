"""docs/magnetism.md, "Convergence": the table is generated from docs/data/magnet_convergence.jsonl
(bench/bench_magnet_convergence.py) and every statement of its prose holds in that file."""

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "bench"))


def test_convergence_table_and_prose_hold():
    import bench_magnet_convergence as bench

    doc = (ROOT / "docs" / "magnetism.md").read_text()
    block = doc.split(bench.BEGIN)[1].split(bench.END)[0]
    assert bench.table(bench.load()) in block, "run python bench/bench_magnet_convergence.py --docs"
    rows = [json.loads(line) for line in bench.OUT.read_text().splitlines() if line.strip()]
    by = {(r["variant"], r["seed"]): r for r in rows}
    old, default, many = "before: free, unsettled, 20 sweeps", "defaults: held, settled, 200 sweeps", \
        "held, settled, 1000 sweeps"
    held = [v for v in bench.VARIANTS if v.startswith(("held", "defaults"))]
    o = by[(old, 1000)]
    for v in held:  # the earlier magnet: domains, half the alignment under 10 kOe, no remanence
        assert by[(v, 1000)]["network_order_final"] > o["network_order_final"] + 0.1, v
        assert 0.4 < o["alignment_relax"] / by[(v, 1000)]["alignment_relax"] < 0.6, v
    assert abs(o["m_final"] / o["ms_final"]) < 0.1
    for (v, seed), r in by.items():  # held: a remanence of 0.3 or more
        if v in held:
            assert r["m_final"] / r["ms_final"] >= 0.3, (v, seed)
    seeds = [s for s in (1000, 1001) if (default, s) in by and (many, s) in by]
    assert len(seeds) == 2
    order = {v: np.array([by[(v, s)]["network_order_final"] for s in seeds]) for v in (default, many)}
    assert abs(order[default].mean() - order[many].mean()) < 0.05
    assert max(np.ptp(order[default]), np.ptp(order[many])) > 0.25
    gain = [by[(many, s)]["ratio_pct"] - by[(default, s)]["ratio_pct"] for s in seeds]
    assert min(gain) < 0 < max(gain)
    assert all(by[(v, s)]["network_order_final"] < 0.75 for v in (default, many) for s in seeds)
    spin = {v: np.mean([by[(v, s)]["spin_s"] for s in seeds]) for v in (default, many)}
    assert 4 < spin[many] / spin[default] < 6
