import numpy as np
import pytest
from ramps_testdata import REF, cut, ramp, set_meta

from jwcal import datamodels as dm
from jwcal.dqflags import pixel as PIXEL
from jwcal.errors import ReferenceFileError
from jwcal.steps.dark_current import DarkCurrentStep


def _dark(rng, nplanes=12, nframes=1, groupgap=0, region=REF, miri_ints=None):
    x0, y0, nx, ny = region
    rate = rng.uniform(0.01, 0.1, (ny, nx))
    t = np.arange(1, nplanes + 1)[:, None, None]
    data = (rate[None] * t).astype(np.float32)
    if miri_ints:
        data = np.stack([data * (1 + i) for i in range(miri_ints)])
        d = dm.DarkMIRIModel(data)
        d.dq = np.zeros(data.shape, np.uint32)
        d.meta.exposure.nints = miri_ints
    else:
        d = dm.DarkModel(data)
        d.dq = np.zeros((ny, nx), np.uint32)
    d.dq[..., 20, 20] = PIXEL["HOT"]
    d.data[..., 30, 30] = np.nan
    set_meta(
        d,
        region,
        reftype="DARK",
        **({"instrument": "MIRI", "detector": "MIRIMAGE"} if miri_ints else {}),
    )
    d.meta.exposure.nframes, d.meta.exposure.groupgap = nframes, groupgap
    d.meta.exposure.ngroups = nplanes
    return d


def test_frames_averaged_to_the_groups(rng):
    m = ramp(rng, ngroups=4, nframes=2, groupgap=1)
    dark = _dark(rng)
    out = DarkCurrentStep.call(m, override_dark=dark)
    assert out.meta.cal_step.dark_sub == "COMPLETE"
    frames = np.nan_to_num(cut(dark.data))
    for g in range(4):
        avg = frames[3 * g : 3 * g + 2].mean(axis=0)
        np.testing.assert_array_equal(out.data[:, g], m.data[:, g] - avg)
    assert out.pixeldq[20 - 16, 20 - 8] & PIXEL["HOT"]


def test_a_larger_dark_is_cut_like_a_matching_one(rng):
    m = ramp(rng, ngroups=3)
    big = _dark(rng)
    small = big.copy()
    small.data = cut(big.data).copy()
    small.dq = cut(big.dq).copy()
    set_meta(small, (9, 17, 40, 24), reftype="DARK")
    a = DarkCurrentStep.call(m, override_dark=big)
    b = DarkCurrentStep.call(m, override_dark=small)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(a.pixeldq, b.pixeldq)
    elsewhere = _dark(rng, region=(100, 100, 64, 48))
    with pytest.raises(ReferenceFileError, match="covers detector columns"):
        DarkCurrentStep.call(m, override_dark=elsewhere)


def test_short_dark_is_extended_along_its_slope(rng):
    m = ramp(rng, ngroups=6)
    dark = _dark(rng, nplanes=4)
    out = DarkCurrentStep.call(m, override_dark=dark)
    d = np.nan_to_num(cut(dark.data)).astype(np.float64)
    slope = (d[3].astype(np.float32) - d[2].astype(np.float32)).astype(np.float64)
    ext5 = d[3] + 2 * slope
    np.testing.assert_array_equal(out.data[:, 5], (m.data[:, 5] - ext5).astype(np.float32))


def test_incompatible_pattern_is_skipped(rng):
    m = ramp(rng, ngroups=3, nframes=1)
    out = DarkCurrentStep.call(m, override_dark=_dark(rng, nframes=2))
    assert out.meta.cal_step.dark_sub == "SKIPPED"
    np.testing.assert_array_equal(out.data, m.data)


def test_miri_darks_per_integration(rng):
    m = ramp(rng, nints=3, ngroups=4, instrument="MIRI", detector="MIRIMAGE", readpatt="FAST")
    dark = _dark(rng, nplanes=4, miri_ints=2)
    out = DarkCurrentStep.call(m, override_dark=dark)
    d = np.nan_to_num(cut(dark.data))
    np.testing.assert_array_equal(out.data[0], m.data[0] - d[0])
    np.testing.assert_array_equal(out.data[1], m.data[1] - d[1])
    np.testing.assert_array_equal(out.data[2], m.data[2] - d[1])


def test_average_dark_current_and_saved_dark(rng, tmp_path):
    m = ramp(rng, ngroups=3, nframes=2)
    dark = _dark(rng)
    dark.meta.exposure.average_dark_current = 0.25
    # like jwst, the file goes to the output directory under the given name
    out = DarkCurrentStep.call(
        m, override_dark=dark, dark_output="used.fits", output_dir=str(tmp_path)
    )
    np.testing.assert_array_equal(out.average_dark_current, np.full((24, 40), 0.25, np.float32))
    saved = dm.open(tmp_path / "used.fits")
    assert saved.data.shape == (3, 24, 40) and saved.meta.exposure.nframes == 2
    np.testing.assert_array_equal(out.data, m.data - saved.data[None])
    user = DarkCurrentStep.call(m, override_dark=dark, average_dark_current=1.5)
    assert (user.average_dark_current == 1.5).all()
    assert DarkCurrentStep.call(m, override_dark="N/A").meta.cal_step.dark_sub == "SKIPPED"
