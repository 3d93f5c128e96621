import numpy as np
import pytest
from jwcal_testdata import make_uncal

from jwcal import datamodels as dm
from jwcal.steps.group_scale import GroupScaleStep


@pytest.mark.parametrize(
    "nframes, divisor, status",
    [(None, None, "SKIPPED"), (4, None, "SKIPPED"), (5, None, "SKIPPED"), (4, 4, "SKIPPED"),
     (5, 4, "COMPLETE"), (3, 2, "COMPLETE")],
)  # fmt: skip
def test_scaling_and_when_it_is_skipped(rng, nframes, divisor, status):
    raw = make_uncal(rng, nframes=nframes or 2, frame_divisor=divisor)
    if nframes is None:
        raw.meta.exposure.nframes = None
    out = GroupScaleStep.call(raw)
    assert isinstance(out, dm.RampModel) and out.meta.cal_step.group_scale == status
    expected = raw.data.astype(np.float32)
    if status == "COMPLETE":
        expected *= divisor / nframes
    np.testing.assert_array_equal(out.data, expected)


def test_saved_under_the_step_name(rng, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # outputs go to the current directory, as in jwst
    path = make_uncal(rng, nframes=5, frame_divisor=4).save(tmp_path / "jw9_nrca1_uncal.fits")
    GroupScaleStep.call(str(path), save_results=True)
    out = dm.open(tmp_path / "jw9_nrca1_groupscalestep.fits")
    assert out.meta.cal_step.group_scale == "COMPLETE"
