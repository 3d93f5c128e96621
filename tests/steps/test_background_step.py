"""bkg_subtract: the clipping rule (against astropy's), the combined background, subarrays,
cubes, associations and the cases it skips or refuses."""

import json
import warnings

import numpy as np
import pytest
from astropy.stats import sigma_clip
from jwcal_testdata import make_rate

from jwcal import datamodels as dm
from jwcal.errors import InputError
from jwcal.steps.bkg_subtract import BackgroundStep
from jwcal.steps.bkg_subtract.combine import average_background, sigma_clip_mask


@pytest.mark.parametrize("maxiters", [None, 1, 3])
@pytest.mark.parametrize("n", [2, 5, 12])
def test_clipping_matches_astropy(rng, maxiters, n):
    vals = rng.normal(10.0, 1.0, (n, 40, 30))
    vals[rng.uniform(size=vals.shape) < 0.08] += 30.0
    vals[0, :3, :3] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = sigma_clip(vals, sigma=2.5, maxiters=maxiters, axis=0).mask
    np.testing.assert_array_equal(sigma_clip_mask(vals, 2.5, maxiters), want)


def _bkg(rng, value, path, ints=False, region=None):
    m = make_rate(rng, ints=ints) if region is None else make_rate(rng, ints=ints, region=region)
    m.data[...] = value + rng.normal(0, 0.01, m.shape).astype(np.float32)
    m.dq[...] = 0
    m.dq[..., 0, 0] = 4
    return str(m.save(path))


def test_mean_of_backgrounds_is_subtracted(rng, tmp_path):
    sci = make_rate(rng)
    paths = [_bkg(rng, v, tmp_path / f"b{i}_rate.fits") for i, v in enumerate([2.0, 2.2, 1.9])]
    out = BackgroundStep.call(sci, bkg_list=paths)
    assert out.meta.cal_step.bkg_subtract == "COMPLETE"
    bkgs = np.array([dm.open(p).data for p in paths], dtype=np.float64)
    np.testing.assert_allclose(out.data, sci.data - bkgs.mean(axis=0).astype(np.float32),
                               rtol=1e-6)  # fmt: skip
    assert out.dq[0, 0] & 4
    np.testing.assert_array_equal(out.err, sci.err)  # ERR untouched, as in jwst


def test_outlier_background_is_clipped(rng, tmp_path):
    sci = make_rate(rng)
    values = [1.0] * 10 + [40.0]
    paths = [_bkg(rng, v, tmp_path / f"b{i}_rate.fits") for i, v in enumerate(values)]
    out = BackgroundStep.call(sci, bkg_list=paths, save_combined_background=True,
                              output_dir=str(tmp_path))  # fmt: skip
    diff = sci.data - out.data
    assert np.abs(diff - 1.0).max() < 0.02  # the 40 was rejected everywhere
    saved = list(tmp_path.glob("*combinedbackground*.fits"))
    assert len(saved) == 1
    comb = dm.open(saved[0])
    assert np.abs(comb.data - 1.0).max() < 0.02
    # ERR of the mean: sqrt(sum err^2) / n over the 10 kept
    np.testing.assert_allclose(np.median(comb.err), np.sqrt(10) * np.median(sci.err) / 10,
                               rtol=0.3)  # fmt: skip


def test_a_larger_background_is_cut_to_the_subarray(rng, tmp_path):
    sci = make_rate(rng)  # columns 9-48, rows 17-40 of the detector
    full = dm.ImageModel(np.arange(64 * 48, dtype=np.float32).reshape(48, 64))
    full.err = np.ones((48, 64), np.float32)
    full.dq = np.zeros((48, 64), np.uint32)
    full.update(sci)
    full.meta.subarray.xstart, full.meta.subarray.ystart = 1, 1
    full.meta.subarray.xsize, full.meta.subarray.ysize = 64, 48
    p = str(full.save(tmp_path / "full_rate.fits"))
    data, err, dq = average_background(sci, [p], 3.0, None, dm.open)
    np.testing.assert_array_equal(data, full.data[16:40, 8:48])


def test_cubes_are_averaged_over_integrations(rng, tmp_path):
    sci = make_rate(rng, ints=True)
    one = make_rate(rng)
    b = dm.CubeModel(3.0 + rng.normal(0, 0.01, (12,) + one.shape).astype(np.float32))
    b.err = np.full(b.shape, 0.1, np.float32)
    b.dq = np.zeros(b.shape, np.uint32)
    b.update(one)
    b.data[1, 5, 5] = 500.0  # a cosmic ray in one of 12 integrations: clipped
    p = str(b.save(tmp_path / "b_rateints.fits"))
    out = BackgroundStep.call(sci, bkg_list=[p])
    assert out.data.shape == sci.data.shape
    np.testing.assert_allclose(sci.data - out.data, 3.0, atol=0.05)


def test_association_members_and_skips(rng, tmp_path):
    sci = make_rate(rng)
    sp = str(sci.save(tmp_path / "jw_sci_rate.fits"))
    bp = _bkg(rng, 5.0, tmp_path / "jw_bkg_rate.fits")
    asn = {
        "asn_type": "image2", "asn_rule": "DMSLevel2bBase", "asn_id": "o001",
        "asn_pool": "pool", "products": [{"name": "jw_sci", "members": [
            {"expname": "jw_sci_rate.fits", "exptype": "science"},
            {"expname": "jw_bkg_rate.fits", "exptype": "background"}]}],
    }  # fmt: skip
    apath = tmp_path / "asn.json"
    apath.write_text(json.dumps(asn))
    out = BackgroundStep.call(str(apath))
    np.testing.assert_allclose(dm.open(sp).data - out.data, 5.0, atol=0.05)
    assert BackgroundStep.call(sci).meta.cal_step.bkg_subtract == "SKIPPED"
    wfss = make_rate(rng)
    wfss.meta.exposure.type = "NRC_WFSS"
    with pytest.raises(InputError, match="not available in jwcal"):
        BackgroundStep.call(wfss, bkg_list=[bp])
