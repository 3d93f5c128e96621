import numpy as np
import pytest
from ramps_testdata import REF, ramp, set_meta

from jwcal import datamodels as dm
from jwcal.dqflags import group as GROUP
from jwcal.dqflags import pixel as PIXEL
from jwcal.steps.linearity import LinearityStep


def _lin(c2=1e-6, inverse=False):
    x0, y0, nx, ny = REF
    c = np.zeros((3, ny, nx), np.float32)
    c[1] = 1.0
    c[2] = c2
    c[2, 20, 20] = np.nan
    c[1, 21, 21] = 0.0
    ref = dm.LinearityModel(c)
    ref.dq = np.zeros((ny, nx), np.uint32)
    ref.dq[22, 22] = PIXEL["NO_LIN_CORR"]
    if inverse:
        inv = np.zeros_like(c)
        inv[1] = 1.0
        inv[2] = -c2
        ref.inv_coeffs = inv
    return set_meta(ref, REF, reftype="LINEARITY")


def test_corrects_unsaturated_groups(rng):
    m = ramp(rng, zeroframe=True)
    m.groupdq[0, 3:, 2, 2] = GROUP["SATURATED"]
    m.zeroframe[0, 1, 1] = 0.0
    out = LinearityStep.call(m, override_linearity=_lin())
    assert out.meta.cal_step.linearity == "COMPLETE"
    d = m.data
    expected = (d + np.float32(1e-6) * d * d).astype(np.float32)
    sat = (m.groupdq & GROUP["SATURATED"]) != 0
    good = ~sat
    good[..., 4, 12] = good[..., 5, 13] = good[..., 6, 14] = False  # the bad coefficients
    np.testing.assert_allclose(out.data[good], expected[good], rtol=1e-6)
    np.testing.assert_array_equal(out.data[sat], d[sat])
    for y, x in ((4, 12), (5, 13), (6, 14)):  # NaN, zero linear term, NO_LIN_CORR
        np.testing.assert_array_equal(out.data[..., y, x], d[..., y, x])
        assert out.pixeldq[y, x] & PIXEL["NO_LIN_CORR"]
    assert out.zeroframe[0, 1, 1] == 0.0 and out.zeroframe[1, 1, 1] != m.zeroframe[1, 1, 1]


def test_read_level_for_frame_averaged_groups(rng):
    m = ramp(rng, nframes=4)
    plain = LinearityStep.call(m, override_linearity=_lin(c2=1e-5))
    reads = LinearityStep.call(m, override_linearity=_lin(c2=1e-5, inverse=True))
    assert not np.array_equal(plain.data, reads.data)
    # one frame per group: the inverse coefficients are not used
    one = ramp(rng)
    a = LinearityStep.call(one, override_linearity=_lin(inverse=True))
    b = LinearityStep.call(one, override_linearity=_lin())
    np.testing.assert_array_equal(a.data, b.data)


def test_thread_count_does_not_matter(rng):
    from jwcal.stpipe import set_threads

    m = ramp(rng, nframes=2)
    one = LinearityStep.call(m, override_linearity=_lin(inverse=True))
    old = set_threads(2)
    try:
        two = LinearityStep.call(m, override_linearity=_lin(inverse=True))
    finally:
        set_threads(old)
    np.testing.assert_array_equal(one.data, two.data)


@pytest.mark.parametrize("override", ["N/A"])
def test_not_applicable(rng, override):
    assert LinearityStep.call(ramp(rng), override_linearity=override).meta.cal_step.linearity == (
        "SKIPPED"
    )
