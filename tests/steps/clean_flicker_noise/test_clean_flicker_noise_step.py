import numpy as np
import pytest
from ramps_testdata import REF, ramp, ref_image, set_meta

from jwcal import datamodels as dm
from jwcal.steps.clean_flicker_noise import CleanFlickerNoiseStep


def _striped_rate(rng, ny=96, nx=128):
    """Sky + row stripes (1/f noise along the fast axis: one offset per row, smaller than
    the pixel noise as in real data, so the scene mask keeps them) + sources."""
    sky = rng.normal(5.0, 0.2, (ny, nx)).astype(np.float32)
    stripes = rng.normal(0, 0.1, ny).astype(np.float32)
    img = sky + stripes[:, None]
    img[40:46, 60:66] += 500.0
    img[10:12, 20:22] += 300.0
    m = dm.ImageModel(img)
    m.dq = np.zeros((ny, nx), np.uint32)
    set_meta(m, (1, 1, nx, ny))
    return m, sky, stripes


def _row_scatter(img):
    return float(np.std(np.median(img, axis=1)))


def test_median_method_removes_row_stripes(rng):
    m, sky, stripes = _striped_rate(rng)
    out = CleanFlickerNoiseStep.call(m)
    assert out.meta.cal_step.clean_flicker_noise == "COMPLETE"
    assert _row_scatter(m.data) > 0.07
    assert _row_scatter(out.data) < 0.03
    # the background level and the sources stay
    assert abs(np.median(out.data) - np.median(sky)) < 0.1
    assert abs((out.data[40:46, 60:66] - out.data[50:56, 60:66]).mean() - 500.0) < 1.0


def test_background_model_and_saved_products(rng, tmp_path):
    m, _, _ = _striped_rate(rng)
    m.data += np.linspace(0, 3, m.data.shape[1], dtype=np.float32)[None]  # a gradient
    out = CleanFlickerNoiseStep.call(m, background_method="model", save_mask=True,
                                     save_background=True, save_noise=True,
                                     output_dir=str(tmp_path))  # fmt: skip
    before = _row_scatter(m.data - np.linspace(0, 3, 128)[None])
    assert _row_scatter(out.data - np.linspace(0, 3, 128)[None]) < 0.6 * before
    names = sorted(p.name.rsplit("_", 1)[-1] for p in tmp_path.glob("*.fits"))
    assert names == ["bkg.fits", "mask.fits", "noise.fits"]
    mask = dm.open(next(tmp_path.glob("*_mask.fits"))).data
    assert mask[42, 62] == 0 and mask[80, 100] == 1  # the source is not background


def test_ramps_are_rebuilt_from_cleaned_differences(rng):
    m = ramp(rng, nints=1, ngroups=4, region=(1, 1, 64, 48))
    stripes = rng.normal(0, 3.0, (4, 48)).astype(np.float32)
    m.data[0] += stripes[:, :, None]
    gain = ref_image(dm.GainModel, 2.0, REF)
    rn = ref_image(dm.ReadnoiseModel, 5.0, REF)
    out = CleanFlickerNoiseStep.call(m, override_gain=gain, override_readnoise=rn)
    np.testing.assert_array_equal(out.data[0, 0], m.data[0, 0])  # group 1 is the anchor
    diffs_in = np.diff(m.data[0], axis=0)
    diffs_out = np.diff(out.data[0], axis=0)
    assert (
        np.std(np.median(diffs_out, axis=2), axis=1).max()
        < 0.3 * np.std(np.median(diffs_in, axis=2), axis=1).min()
    )


def test_failures(rng, tmp_path):
    m, _, _ = _striped_rate(rng)
    assert CleanFlickerNoiseStep.call(m, fit_method="fft").meta.cal_step.clean_flicker_noise == (
        "FAILED"
    )
    bad = dm.ImageModel(np.ones((10, 10), np.float32))
    path = bad.save(tmp_path / "mask.fits")
    out = CleanFlickerNoiseStep.call(m, user_mask=str(path))
    assert out.meta.cal_step.clean_flicker_noise == "FAILED"
    np.testing.assert_array_equal(out.data, m.data)
    mrs = m.copy()
    mrs.meta.exposure.type = "MIR_MRS"
    assert CleanFlickerNoiseStep.call(mrs).meta.cal_step.clean_flicker_noise == "FAILED"
    assert CleanFlickerNoiseStep().skip is True


@pytest.mark.parametrize("axis_to_correct", [1, 2])
def test_median_clean_matches_numpy_ma(rng, axis_to_correct):
    from jwcal.steps.clean_flicker_noise.correction import median_clean

    img = rng.normal(0, 1, (50, 70)).astype(np.float32)
    mask = rng.uniform(size=img.shape) < 0.7
    mask[3] = False
    mask[:, 4] = False
    ax = axis_to_correct - 1
    stripes = np.ma.filled(np.ma.median(np.ma.array(img, mask=~mask), axis=ax, keepdims=True), 0.0)
    np.testing.assert_array_equal(median_clean(img, mask, axis_to_correct), img - stripes)
