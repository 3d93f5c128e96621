import numpy as np
from ramps_testdata import REF, cut, ramp, set_meta

from jwcal import datamodels as dm
from jwcal.steps.reset import ResetStep


def _miri(rng, nints=3, ngroups=5):
    return ramp(
        rng, nints=nints, ngroups=ngroups, instrument="MIRI", detector="MIRIMAGE", readpatt="FAST"
    )


def _reset(nints=2, ngroups=3):
    x0, y0, nx, ny = REF
    data = np.zeros((nints, ngroups, ny, nx), np.float32)
    for i in range(nints):
        for g in range(ngroups):
            data[i, g] = 10.0 * (i + 1) + g
    data[0, 0, 20, 20] = np.nan
    ref = dm.ResetModel(data)
    ref.dq = np.zeros((ny, nx), np.uint32)
    set_meta(ref, REF, instrument="MIRI", detector="MIRIMAGE", reftype="RESET")
    ref.meta.exposure.nints, ref.meta.exposure.ngroups = nints, ngroups
    return ref


def test_subtracts_the_first_groups(rng):
    m = _miri(rng)
    ref = _reset()
    out = ResetStep.call(m, override_reset=ref)
    assert out.meta.cal_step.reset == "COMPLETE"
    r = cut(ref.data)
    r = np.where(np.isnan(r), 0.0, r)
    np.testing.assert_array_equal(out.data[0, :3], m.data[0, :3] - r[0])
    np.testing.assert_array_equal(out.data[1, :3], m.data[1, :3] - r[1])
    # integrations past the reference's use its last one; later groups are untouched
    np.testing.assert_array_equal(out.data[2, :3], m.data[2, :3] - r[1])
    np.testing.assert_array_equal(out.data[:, 3:], m.data[:, 3:])


def test_skips(rng):
    assert ResetStep.call(ramp(rng), override_reset=_reset()).meta.cal_step.reset == "SKIPPED"
    assert ResetStep.call(_miri(rng), override_reset="N/A").meta.cal_step.reset == "SKIPPED"
