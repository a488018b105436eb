"""Every campaign and calibration file bundled under runs/ parses, and every campaign point resolves to a
checked run config: a typo in a committed file fails here, not hours into a user's campaign."""

from pathlib import Path

import pytest

from kmc.calibration.parse import load_calibration
from kmc.campaigns.campaign import load_campaign

RUNS = Path(__file__).resolve().parents[1] / "runs"
CAMPAIGNS = sorted((RUNS / "campaigns").glob("*.toml"))
CALIBRATIONS = sorted((RUNS / "calibrations").glob("*.toml"))


def test_there_are_bundled_files():
    assert len(CAMPAIGNS) > 10 and len(CALIBRATIONS) > 5


@pytest.mark.parametrize("path", CAMPAIGNS, ids=lambda p: p.stem)
def test_a_bundled_campaign_resolves_every_point(path):
    camp = load_campaign(path)
    assert camp.n_points >= 1
    for p in range(camp.n_points):
        camp.config(p)  # raises ConfigError naming the key on a bad value


@pytest.mark.parametrize("path", CALIBRATIONS, ids=lambda p: p.stem)
def test_a_bundled_calibration_parses(path):
    cal = load_calibration(path)
    assert cal.parameters and cal.targets
