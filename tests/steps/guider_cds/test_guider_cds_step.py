import numpy as np
import pytest
from ramps_testdata import set_meta

from jwcal import datamodels as dm
from jwcal.steps.guider_cds import GuiderCdsStep

REGION = (1, 1, 16, 16)


def _raw(exp_type, nints=3, ngroups=2, tgroup=0.5):
    rng = np.random.default_rng(4)
    data = rng.uniform(100, 200, (nints, ngroups, 16, 16)).astype(np.float32)
    data += (np.arange(ngroups) * 50.0)[None, :, None, None].astype(np.float32)
    m = dm.GuiderRawModel(data)
    m.dq = np.zeros((16, 16), np.uint32)
    set_meta(m, REGION, instrument="FGS", detector="GUIDER1", exp_type=exp_type)
    m.meta.exposure.group_time = tgroup
    return m


def _refs():
    gain = set_meta(
        dm.GainModel(np.full((16, 16), 2.0, np.float32)),
        REGION,
        instrument="FGS",
        detector="GUIDER1",
        reftype="GAIN",
    )
    rn = set_meta(
        dm.ReadnoiseModel(np.full((16, 16), 3.0, np.float32)),
        REGION,
        instrument="FGS",
        detector="GUIDER1",
        reftype="READNOISE",
    )
    return {"override_gain": gain, "override_readnoise": rn}


@pytest.mark.parametrize("exp_type", ["FGS_TRACK", "FGS_ACQ1", "FGS_ACQ2"])
def test_cds_rates(exp_type):
    m = _raw(exp_type)
    out = GuiderCdsStep.call(m, **_refs())
    assert type(out).__name__ == "GuiderCalModel" and out.meta.cal_step.guider_cds == "COMPLETE"
    slope = m.data[:, 1] - m.data[:, 0]
    np.testing.assert_array_equal(out.data, slope / np.float32(0.5))
    var = 2 * (np.float32(3.0) / np.float32(0.5)) ** 2 + np.maximum(slope / np.float32(1.0), 0)
    np.testing.assert_allclose(out.err, np.sqrt(var), rtol=1e-6)
    assert out.meta.bunit_data == "DN/s"


def test_fineguide_and_id():
    fg = _raw("FGS_FINEGUIDE", ngroups=8)
    out = GuiderCdsStep.call(fg, **_refs())
    expected = (fg.data[:, -4:].mean(axis=1) - fg.data[:, :4].mean(axis=1)) / np.float32(0.5)
    np.testing.assert_array_equal(out.data, expected)
    ident = _raw("FGS_ID-IMAGE", nints=2)
    out = GuiderCdsStep.call(ident, **_refs())
    diffs = ident.data[:, 1] - ident.data[:, 0]
    assert out.data.shape == (1, 16, 16)
    np.testing.assert_array_equal(out.data[0], np.minimum(diffs[1], diffs[0]) / np.float32(0.5))


def test_skipped_without_references():
    out = GuiderCdsStep.call(_raw("FGS_TRACK"), override_gain="N/A", override_readnoise="N/A")
    assert out.meta.cal_step.guider_cds == "SKIPPED"
