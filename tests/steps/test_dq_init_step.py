import numpy as np
import pytest
from jwcal_testdata import SCI_REGION, make_mask, make_uncal

from jwcal import datamodels as dm
from jwcal.dqflags import group as GROUP
from jwcal.dqflags import pixel as PIXEL
from jwcal.errors import InputError, ReferenceFileError
from jwcal.steps.dq_init import DQInitStep


def _cut(arr):
    x0, y0, nx, ny = SCI_REGION
    return arr[y0 - 1 : y0 - 1 + ny, x0 - 1 : x0 - 1 + nx]


def test_mask_goes_to_pixeldq_and_do_not_use_to_every_group(uncal, refs):
    out = DQInitStep.call(str(uncal), override_mask=refs["mask"])
    assert isinstance(out, dm.RampModel) and out.data.dtype == np.float32
    mask = _cut(make_mask().dq)
    assert mask.any()
    np.testing.assert_array_equal(out.pixeldq, mask)
    dnu = (mask & PIXEL["DO_NOT_USE"]).astype(np.uint8)
    assert (out.groupdq == dnu[None, None]).all()
    assert out.groupdq.any() and set(np.unique(out.groupdq)) <= {0, GROUP["DO_NOT_USE"]}
    assert out.zeroframe.dtype == np.float32
    assert out.meta.cal_step.dq_init == "COMPLETE"
    assert out.meta.ref_file.mask.name == refs["mask"]


def test_not_applicable_mask_skips(uncal):
    out = DQInitStep.call(str(uncal), override_mask="N/A")
    assert out.meta.cal_step.dq_init == "SKIPPED" and not out.pixeldq.any()
    assert out.meta.ref_file.mask.name == "N/A"


def test_user_supplied_dq(uncal, refs, tmp_path):
    from astropy.io import fits

    extra = np.zeros(_cut(make_mask().dq).shape, np.uint32)
    extra[2, 3] = PIXEL["DO_NOT_USE"] | PIXEL["OTHER_BAD_PIXEL"]
    path = tmp_path / "user_dq.fits"
    fits.PrimaryHDU(extra).writeto(path)
    out = DQInitStep.call(str(uncal), override_mask=refs["mask"], user_supplied_dq=str(path))
    assert out.pixeldq[2, 3] == extra[2, 3]
    assert (out.groupdq[:, :, 2, 3] == GROUP["DO_NOT_USE"]).all()
    fits.PrimaryHDU(np.zeros((3, 3), np.uint32)).writeto(path, overwrite=True)
    with pytest.raises(InputError, match="user DQ has shape"):
        DQInitStep.call(str(uncal), override_mask=refs["mask"], user_supplied_dq=str(path))


def test_guider_data_get_the_mask_in_dq(rng, refs):
    raw = make_uncal(rng, exp_type="FGS_TRACK", zero_frame=False)
    raw.meta.instrument.name = "NIRCAM"
    out = DQInitStep.call(raw, override_mask=refs["mask"])
    assert isinstance(out, dm.GuiderRawModel)
    np.testing.assert_array_equal(out.dq, _cut(make_mask().dq))


def test_reference_for_another_detector_is_refused(uncal, tmp_path):
    m = make_mask()
    m.meta.instrument.detector = "NRCB4"
    path = m.save(tmp_path / "other_mask.fits")
    with pytest.raises(ReferenceFileError, match="is for detector NRCB4, the exposure is NRCA1"):
        DQInitStep.call(str(uncal), override_mask=str(path))


def test_missing_reference_is_a_clear_error(uncal, monkeypatch):
    monkeypatch.delenv("JWCAL_REFDIR", raising=False)
    monkeypatch.delenv("CRDS_PATH", raising=False)
    with pytest.raises(ReferenceFileError, match="no MASK reference file for NIRCAM NRCA1"):
        DQInitStep.call(str(uncal))


def test_refdir_is_searched(uncal, refs):
    from pathlib import Path

    out = DQInitStep.call(str(uncal), refdir=str(Path(refs["mask"]).parent))
    assert out.meta.ref_file.mask.name == refs["mask"]


def test_mask_bits_are_translated_through_dq_def(uncal, tmp_path):
    # this file's bit 2 (value 4) means HOT according to its DQ_DEF table, as jwst reads it
    mask = make_mask()
    mask.dq[:] = 0
    x0, y0, *_ = SCI_REGION
    mask.dq[y0 + 2, x0 + 3] = 4
    mask.dq_def = np.array([(2, 4, "HOT", "hot")], dtype=list(dm.reference.DQ_DEF_COLUMNS))
    path = mask.save(tmp_path / "mask_dqdef.fits")
    out = DQInitStep.call(str(uncal), override_mask=str(path))
    assert out.pixeldq[3, 4] == PIXEL["HOT"]
    assert out.pixeldq.sum() == PIXEL["HOT"]
