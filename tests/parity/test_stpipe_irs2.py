"""Saturation of NIRSpec IRS2 data (reference rows interleaved) against jwst 3.0.0."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stpipe"))

import jwcal_testdata as td  # noqa: E402

from jwcal.steps.saturation import SaturationStep  # noqa: E402
from jwcal.steps.saturation.irs2 import normal_rows  # noqa: E402
from jwcal.testing.oracle import run_jwst  # noqa: E402

pytestmark = pytest.mark.parity
sdm = pytest.importorskip("stdatamodels.jwst.datamodels")


@pytest.mark.parametrize("detector", ["NRS1", "NRS2"])
def test_normal_rows_match_jwst(detector):
    from jwst.saturation import x_irs2

    raw, _, _ = td.make_irs2(np.random.default_rng(1), detector=detector, ngroups=1, nx=256)
    ours = normal_rows(raw.meta, 3200)
    theirs = x_irs2.make_mask(np.zeros((3200, 256)))
    np.testing.assert_array_equal(ours, theirs[::-1] if detector == "NRS2" else theirs)
    assert ours.sum() == 2048


def test_irs2_saturation_is_identical(tmp_path):
    raw, sat, bias = td.make_irs2(np.random.default_rng(21), detector="NRS2", nx=256)
    uncal = raw.save(tmp_path / "jw20_nrs2_uncal.fits")
    refs = {
        "saturation": str(sat.save(tmp_path / "sat.fits")),
        "superbias": str(bias.save(tmp_path / "bias.fits")),
    }
    run_jwst("jwst.saturation.SaturationStep", uncal, refs, tmp_path / "jw", scratch=tmp_path / "c")
    theirs = sdm.RampModel(str(tmp_path / "jw" / "jw20_nrs2_saturationstep.fits"))
    ours = SaturationStep.call(
        str(uncal), override_saturation=refs["saturation"], override_superbias=refs["superbias"]
    )
    np.testing.assert_array_equal(ours.groupdq, theirs.groupdq)
    np.testing.assert_array_equal(ours.pixeldq, theirs.pixeldq)
    # the cases are there: saturation, A/D floor, and group 2 flagged by the group-2 test
    sat_flag = 2
    g = ours.groupdq[0]
    assert (g & sat_flag).any() and (g & 64).any()
    assert ((g[1] & sat_flag) != 0)[1000:1006, 100:104].any()
    # the reference rows get no flags
    assert not ours.groupdq[..., ~normal_rows(raw.meta, 3200), :].any()
