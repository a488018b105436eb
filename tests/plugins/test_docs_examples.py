"""The minimal plug-ins in docs/plugins.md pass the contract checkers."""

import re
from pathlib import Path

from kmc.lattices.rocksalt_film import RocksaltFilm
from kmc.testing import check_boundary_plugin, check_exchange_plugin, check_hop_plugin

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def test_doc_examples_follow_the_contracts():
    ns = {}
    for block in re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S):
        if "def test_contract" not in block:
            exec(block, ns)  # noqa: S102 - our own documentation
    check_hop_plugin(ns["FlatHop"])
    check_boundary_plugin(ns["ConstantLeak"])
    check_exchange_plugin(ns["FixedJ"])
    lat = RocksaltFilm(thickness_nm=2, cells_xy=(2, 2)).build(0)
    ns["AllMetal"]().build(lat).check(len(lat.host))
    assert ns["RocksaltSlab"]().build(0).n_sites > 0
