import numpy as np
import pytest
from jwcal_testdata import make_gain, make_rate

from jwcal.steps.gain_scale import GainScaleStep


@pytest.mark.parametrize("ints", [False, True])
def test_factor_from_the_exposure(rng, ints):
    m = make_rate(rng, ints=ints, gain_factor=2.5)
    out = GainScaleStep.call(m)
    assert out.meta.cal_step.gain_scale == "COMPLETE" and out.meta.exposure.gain_factor == 2.5
    np.testing.assert_array_equal(out.data, m.data * np.float32(2.5))
    np.testing.assert_array_equal(out.err, m.err * np.float32(2.5))
    np.testing.assert_allclose(out.var_poisson, m.var_poisson * 6.25, rtol=1e-6)
    np.testing.assert_allclose(out.var_rnoise, m.var_rnoise * 6.25, rtol=1e-6)
    assert out.meta.ref_file.gain.name is None  # no reference needed


def test_factor_from_the_gain_reference(rng, tmp_path):
    path = make_gain(gain_factor=0.5).save(tmp_path / "gain.fits")
    m = make_rate(rng)
    out = GainScaleStep.call(m, override_gain=str(path))
    assert out.meta.exposure.gain_factor == 0.5
    np.testing.assert_array_equal(out.data, m.data * np.float32(0.5))
    assert out.meta.ref_file.gain.name == str(path)


def test_no_factor_skips(rng, tmp_path, refs):
    m = make_rate(rng)
    out = GainScaleStep.call(m, override_gain=refs["gain"])
    assert out.meta.cal_step.gain_scale == "SKIPPED"
    np.testing.assert_array_equal(out.data, m.data)
    out = GainScaleStep.call(m, override_gain="N/A")
    assert out.meta.cal_step.gain_scale == "SKIPPED"
