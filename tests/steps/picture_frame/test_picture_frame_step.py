import numpy as np
from ramps_testdata import set_meta

from jwcal import datamodels as dm
from jwcal.steps.picture_frame import PictureFrameStep

FULL = (1, 1, 2048, 2048)


def _pattern():
    y, x = np.mgrid[:2048, :2048]
    d = np.minimum(np.minimum(y, 2047 - y), np.minimum(x, 2047 - x)).astype(np.float32)
    return (np.exp(-d / 50.0)).astype(np.float32)


def _nrs_rate(rng, scale=0.1):
    # the pattern is faint next to the noise, as in real data, so the scene mask keeps it
    img = rng.normal(1.0, 0.05, (2048, 2048)).astype(np.float32) + scale * _pattern()
    m = dm.ImageModel(img)
    m.dq = np.zeros(img.shape, np.uint32)
    set_meta(m, FULL, instrument="NIRSPEC", detector="NRS1", exp_type="NRS_FIXEDSLIT",
             subarray="FULL")  # fmt: skip
    return m


def _ref():
    ref = dm.PictureFrameModel(_pattern())
    return set_meta(ref, FULL, instrument="NIRSPEC", detector="NRS1", reftype="PICTUREFRAME",
                    exp_type="NRS_FIXEDSLIT")  # fmt: skip


def test_pattern_is_removed(rng):
    m = _nrs_rate(rng)
    out = PictureFrameStep.call(m, override_pictureframe=_ref(), mask_science_regions=False)
    assert out.meta.cal_step.picture_frame == "COMPLETE"
    edge = np.median(m.data[10:60, 500:1500])
    center = np.median(m.data[900:1100, 900:1100])
    assert edge - center > 0.02
    oe = np.median(out.data[10:60, 500:1500])
    oc = np.median(out.data[900:1100, 900:1100])
    # (what is left comes from clipping the brightest edge pixels out of the statistics)
    assert abs(oe - oc) < 0.2 * (edge - center)


def test_skips(rng):
    sub = dm.ImageModel(np.ones((32, 32), np.float32))
    set_meta(sub, (1, 1, 32, 32), instrument="NIRSPEC", detector="NRS1",
             exp_type="NRS_BRIGHTOBJ", subarray="SUB32")  # fmt: skip
    out = PictureFrameStep.call(sub, override_pictureframe=_ref())
    assert out.meta.cal_step.picture_frame == "SKIPPED"
    assert PictureFrameStep.call(sub, override_pictureframe="N/A").meta.cal_step.picture_frame == (
        "SKIPPED"
    )
    assert PictureFrameStep().skip is True
