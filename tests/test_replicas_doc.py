"""kmc.publish.replicas_doc: one protocol's replicas across results, pooled by regime."""

import copy
from pathlib import Path

import pytest

from kmc.paper import result as paper_result
from kmc.publish import replicas_doc

DATA = Path(__file__).resolve().parents[1] / "docs" / "data"


def _result(ratios_by_barrier: dict) -> dict:
    """The defaults' result cut to Mid M, 3 min: one run per hop barrier with the given replica ratios."""
    base = paper_result.read(DATA / "paper_result.json")
    (mid,) = [r for r in base["runs"] if (r["state"], r["relax"]) == ("mid", "3min")]
    runs = []
    for barrier, ratios in ratios_by_barrier.items():
        run = copy.deepcopy(mid)
        run["config"]["hops"]["barrier_ev"] = barrier
        run["replicas"]["table1"] = [dict(run["replicas"]["table1"][0], ratio=r) for r in ratios]
        run["n_replicas"] = len(ratios)
        runs.append(run)
    return dict(base, runs=runs)


def test_runs_of_one_regime_are_pooled_and_two_regimes_compared():
    a = _result({0.9: [40.0, 80.0, 44.0], 1.0: [60.0, 61.0, 59.0]})
    b = _result({0.9: [70.0, 72.0], 1.0: [58.0, 62.0, 60.0, 60.0]})
    runs = replicas_doc.runs_of([a, b], ["a.json", "b.json"], "mid", "3min")
    pools = replicas_doc.pooled(runs)
    assert [len(v) for v in pools.values()] == [5, 7]
    assert sorted(t["ratio"] for t in list(pools.values())[0]) == [40.0, 44.0, 70.0, 72.0, 80.0]
    text = replicas_doc.replicas_markdown([a, b], ["a.json", "b.json"], "mid", "3min")
    assert "Regimes: 1: hops.barrier_ev = 0.9; 2: hops.barrier_ev = 1.0." in text
    assert "| `a.json` | 1 | 3 | 40, 80, 44 | 55 ± 13 |" in text
    assert "| pooled | 1 | 5 | — | 61 ± 8 |" in text
    # 61.2 - 60.0 = +1.2 pp, far inside the scatter of regime 1
    assert "regime 1 minus regime 2: +1.2 ± " in text and "does not hold" in text
    tight = _result({0.9: [70.0, 71.0, 72.0], 1.0: [50.0, 51.0, 52.0]})
    assert "the difference holds" in replicas_doc.replicas_markdown([tight], ["t.json"], "mid", "3min")


def test_the_command_refuses_a_missing_file_and_a_protocol_no_result_ran(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        replicas_doc.main([str(tmp_path / "none.json"), "--state", "mid", "--relax", "3min", "--block", "x"])
    assert exc.value.code == 2 and "no such file" in capsys.readouterr().err
    path = paper_result.write(_result({0.9: [40.0, 41.0]}), tmp_path / "r.json")
    doc = tmp_path / "page.md"
    doc.write_text("<!-- generated:x -->\n<!-- /generated:x -->\n")
    with pytest.raises(SystemExit) as exc:
        replicas_doc.main([str(path), "--state", "mid", "--relax", "1h", "--block", "x", "--doc", str(doc)])
    assert exc.value.code == 2 and "no run of mid / 1h" in capsys.readouterr().err
    replicas_doc.main([str(path), "--state", "mid", "--relax", "3min", "--block", "x", "--doc", str(doc)])
    assert "| pooled | 1 | 2 | — | 40 ± 0 |" in doc.read_text()


def test_single_replicas_are_compared_by_their_values():
    text = replicas_doc.replicas_markdown([_result({0.9: [50.0], 1.0: [40.0]})], ["s.json"], "mid", "3min")
    assert "+10.0 ± 0.0 percentage points (no replica scatter; the difference holds" in text
