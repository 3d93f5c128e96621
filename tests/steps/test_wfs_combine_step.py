"""WfsCombineStep on a synthetic WFS&C pair: two images of one PSF, the second dithered by
whole and by fractional pixels."""

import json

import numpy as np
import pytest
from astropy import coordinates as coord
from astropy import units as u
from astropy.modeling import models as am

from jwcal import datamodels as dm
from jwcal.steps.wfs_combine import WfsCombineStep
from jwcal.steps.wfs_combine.combine import blur_kernel, combine_pair, shift_by

SCALE = 0.031 / 3600.0
SHAPE = (64, 70)


def _wcs(x0, y0):
    """A TAN gwcs (with an analytic inverse) whose reference pixel is (x0, y0)."""
    import gwcs
    from gwcs import coordinate_frames as cf

    fwd = ((am.Shift(-x0) & am.Shift(-y0)) | (am.Scale(SCALE) & am.Scale(SCALE))
           | am.Pix2Sky_TAN() | am.RotateNative2Celestial(30.0, -20.0, 180.0))  # fmt: skip
    det = cf.Frame2D(name="detector", axes_order=(0, 1), unit=(u.pix, u.pix))
    sky = cf.CelestialFrame(reference_frame=coord.ICRS(), name="world", unit=(u.deg, u.deg))
    return gwcs.WCS([(det, fwd), (sky, None)])


def _image(xc, yc, name, seed):
    y, x = np.indices(SHAPE, dtype=float)
    rng = np.random.default_rng(seed)
    data = 500 * np.exp(-0.5 * ((x - xc) ** 2 + (y - yc) ** 2) / 2.5**2) + 1.0
    data += rng.normal(0, 0.01, SHAPE)
    m = dm.ImageModel(data.astype(np.float32))
    m.dq = np.zeros(SHAPE, np.uint32)
    m.err = np.full(SHAPE, 0.1, np.float32)
    m.meta.filename = name
    m.meta.instrument.name = "NIRCAM"
    m.meta.exposure.type = "NRC_IMAGE"
    return m


def _pair(tmp_path, shift, wcs_shift=None):
    """Image 2 sees the PSF moved by ``shift`` (pixels); its WCS says ``wcs_shift``."""
    wcs_shift = shift if wcs_shift is None else wcs_shift
    m1 = _image(30.0, 32.0, "wfs1_cal.fits", 1)
    m2 = _image(30.0 + shift[0], 32.0 + shift[1], "wfs2_cal.fits", 2)
    m1.meta.wcs = _wcs(30.0, 32.0)
    m2.meta.wcs = _wcs(30.0 + wcs_shift[0], 32.0 + wcs_shift[1])
    # DO_NOT_USE in image 2 only, where image 1's pixel (10, 12) lands: image 1's value kept
    m2.dq[10 + round(wcs_shift[1]), 12 + round(wcs_shift[0])] = 1
    m1.dq[40, 5] = m2.dq[40 + round(wcs_shift[1]), 5 + round(wcs_shift[0])] = 1
    for m in (m1, m2):
        m.save(tmp_path / m.meta.filename)
    asn = {"asn_id": "a3001", "asn_pool": "pool", "asn_type": "wfs-image3",
           "products": [{"name": "jw01-a3001_t001_nircam_{suffix}",
                         "members": [{"expname": "wfs1_cal.fits", "exptype": "science"},
                                     {"expname": "wfs2_cal.fits", "exptype": "science"}]}]}  # fmt: skip
    path = tmp_path / "wfs_asn.json"
    path.write_text(json.dumps(asn))
    return path, m1


@pytest.mark.parametrize("shift", [(5, -3), (-4, 2)])
def test_whole_pixel_dither_is_undone(tmp_path, shift):
    path, m1 = _pair(tmp_path, shift)
    (out,) = WfsCombineStep.call(str(path), output_dir=str(tmp_path), save_results=True)
    assert (tmp_path / "jw01-a3001_t001_nircam_wfscmb.fits").exists()
    assert out.meta.cal_step.wfs_combine == "COMPLETE"
    ny, nx = SHAPE
    inner = (slice(8, ny - 8), slice(8, nx - 8))
    if shift[0] >= 0:  # no flip: image 1 is the reference
        np.testing.assert_allclose(out.data[inner], m1.data[inner], atol=0.05)
        assert out.data[10, 12] == m1.data[10, 12]
        assert out.dq[40, 5] & 1
        assert out.data[40, 5] == 0.0
    else:  # flipped: image 2 is the reference, the PSF sits where image 2 has it
        assert np.unravel_index(np.argmax(out.data), SHAPE) == (32 + shift[1], 30 + shift[0])


def test_refine_finds_the_offset_the_wcs_missed(tmp_path):
    path, m1 = _pair(tmp_path, (6, 2), wcs_shift=(4, 2))
    (plain,) = WfsCombineStep.call(str(path))
    (refined,) = WfsCombineStep.call(str(path), do_refine=True, psf_size=20, blur_size=3)
    core = (slice(24, 40), slice(22, 38))
    # without refinement the two PSFs are averaged 2 pixels apart; refined, they coincide
    assert np.abs(plain.data - m1.data)[core].max() > 50
    assert np.abs(refined.data - m1.data)[core].max() < 0.1


def test_pieces():
    a = np.arange(12.0).reshape(3, 4)
    s = shift_by(a, 1, -1)
    assert s[1, 0] == a[0, 1] and s[0].sum() == 0 and s[:, 3].sum() == 0
    g = blur_kernel(3)
    assert g.shape == (7, 7) and g.sum() == pytest.approx(1.0)
    d, dq, e, diff = combine_pair(np.ones((1, 3)), np.array([[0, 1, 1]]), np.ones((1, 3)),
                                  np.full((1, 3), 3.0), np.array([[0, 0, 1]]),
                                  np.full((1, 3), 2.0))  # fmt: skip
    np.testing.assert_array_equal(d, [[2.0, 3.0, 0.0]])
    np.testing.assert_array_equal(dq, [[0, 0, 1]])
    np.testing.assert_array_equal(e, [[1.5, 2.0, 0.0]])
    np.testing.assert_array_equal(diff, [[-2.0, 0.0, 0.0]])
