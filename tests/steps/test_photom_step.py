"""photom: the PHOTOM row per instrument, time dependence, variances, area and keywords."""

import numpy as np
import pytest
from jwcal_testdata import REF_REGION, _meta_common, make_rate

from jwcal import datamodels as dm
from jwcal.dqflags import pixel as PIXEL
from jwcal.errors import InputError, ReferenceFileError
from jwcal.steps.photom import PhotomStep
from jwcal.steps.photom.photom_step import MJSR_TO_UJA2

PIXAR_SR, PIXAR_A2 = 2.3e-14, 9.78e-4


def _photom(cls, rows, time=None):
    m = cls()
    cols = m.schema_def.tables["phot_table"].columns
    m.phot_table = np.array(rows, dtype=list(cols))
    _meta_common(m, REF_REGION, "PHOTOM")
    m.meta.photometry.pixelarea_steradians = PIXAR_SR
    m.meta.photometry.pixelarea_arcsecsq = PIXAR_A2
    for name, tab in (time or {}).items():
        setattr(m, name, tab)
    return m


def _area(value=None):
    x0, y0, nx, ny = REF_REGION
    data = value if value is not None else 1 + 0.01 * np.arange(ny * nx).reshape(ny, nx)
    m = dm.PixelAreaModel(data.astype(np.float32))
    _meta_common(m, REF_REGION, "AREA")
    m.meta.photometry.pixelarea_steradians = 2 * PIXAR_SR
    m.meta.photometry.pixelarea_arcsecsq = 2 * PIXAR_A2
    return m


@pytest.fixture
def nrc_refs(tmp_path):
    rows = [("F150W", "CLEAR", 0.25, 0.01), ("F200W", "CLEAR", 0.5, 0.01),
            ("F150W", "F162M", 0.75, 0.01)]  # fmt: skip
    p = _photom(dm.NrcImgPhotomModel, rows).save(tmp_path / "photom.fits")
    a = _area().save(tmp_path / "area.fits")
    return str(p), str(a)


def _nrc_rate(rng, ints=False, filt="F150W", pupil="CLEAR"):
    m = make_rate(rng, ints=ints)
    m.meta.instrument.filter = filt
    m.meta.instrument.pupil = pupil
    m.var_flat = (m.err**2 * 0.1).astype(np.float32)
    m.meta.bunit_data = "DN/s"
    return m


@pytest.mark.parametrize("ints", [False, True])
def test_nircam_scales_data_errors_and_variances(rng, nrc_refs, ints):
    m = _nrc_rate(rng, ints=ints)
    m.data[..., 3, 4] = np.nan
    out = PhotomStep.call(m, override_photom=nrc_refs[0], override_area=nrc_refs[1])
    c = np.float32(0.25)
    assert out.meta.cal_step.photom == "COMPLETE"
    good = np.isfinite(out.data)
    np.testing.assert_array_equal(out.data[good], (m.data * c)[good])
    np.testing.assert_array_equal(out.err[good], (m.err * c)[good])
    for v in ("var_poisson", "var_rnoise", "var_flat"):
        np.testing.assert_array_equal(getattr(out, v)[good], (getattr(m, v) * (c * c))[good])
    # an invalid value is made consistent everywhere (NaN and DO_NOT_USE)
    assert np.isnan(out.err[..., 3, 4]).all() and np.isnan(out.var_flat[..., 3, 4]).all()
    assert (out.dq[..., 3, 4] & PIXEL["DO_NOT_USE"]).all()
    assert good.sum() == out.data.size - (3 if ints else 1)
    assert out.meta.bunit_data == "MJy/sr" and out.meta.bunit_err == "MJy/sr"
    assert out.meta.photometry.conversion_megajanskys == pytest.approx(0.25)
    assert out.meta.photometry.conversion_microjanskys == pytest.approx(0.25 * MJSR_TO_UJA2)
    # the area map is cut to the subarray; PIXAR_* come from the AREA file
    x0, y0, nx, ny = 9, 17, 40, 24
    full = dm.open(nrc_refs[1]).data
    np.testing.assert_array_equal(out.area, full[y0 - 1 : y0 - 1 + ny, x0 - 1 : x0 - 1 + nx])
    assert out.meta.photometry.pixelarea_steradians == pytest.approx(2 * PIXAR_SR)
    assert out.meta.photometry.pixelarea_arcsecsq == pytest.approx(2 * PIXAR_A2)
    assert out.meta.ref_file.photom.name == nrc_refs[0]


def test_pupil_selects_the_row_and_inverse_undoes(rng, nrc_refs):
    m = _nrc_rate(rng, pupil="F162M")
    out = PhotomStep.call(m, override_photom=nrc_refs[0], override_area=nrc_refs[1])
    np.testing.assert_array_equal(out.data, m.data * np.float32(0.75))
    back = PhotomStep.call(out, override_photom=nrc_refs[0], override_area=nrc_refs[1],
                           inverse=True)  # fmt: skip
    np.testing.assert_allclose(back.data, m.data, rtol=2e-7)
    assert back.meta.bunit_data == "DN/s"


def test_area_na_takes_pixar_from_photom(rng, nrc_refs):
    out = PhotomStep.call(_nrc_rate(rng), override_photom=nrc_refs[0], override_area="N/A")
    assert not out.has("area")
    assert out.meta.photometry.pixelarea_steradians == pytest.approx(PIXAR_SR)


def test_no_matching_row_keeps_dn_per_s(rng, nrc_refs):
    m = _nrc_rate(rng, filt="F444W")
    out = PhotomStep.call(m, override_photom=nrc_refs[0], override_area=nrc_refs[1])
    np.testing.assert_array_equal(out.data, m.data)
    assert out.meta.cal_step.photom == "COMPLETE"  # as jwst 3.0 does
    assert out.meta.bunit_data == "DN/s"


def test_photom_na_skips(rng):
    out = PhotomStep.call(_nrc_rate(rng), override_photom="N/A", override_area="N/A")
    assert out.meta.cal_step.photom == "SKIPPED"


def test_duplicate_rows_are_an_error(rng, tmp_path):
    rows = [("F150W", "CLEAR", 0.25, 0.01), ("F150W", "CLEAR", 0.3, 0.01)]
    p = _photom(dm.NrcImgPhotomModel, rows).save(tmp_path / "photom.fits")
    with pytest.raises(ReferenceFileError, match="2 rows for filter=F150W"):
        PhotomStep.call(_nrc_rate(rng), override_photom=str(p), override_area="N/A")


def _time_tables(n, t0=60000.0):
    lin = np.zeros(n, dtype=[("filter", "U12"), ("pupil", "U12"), ("t0", "f4"),
                             ("lossperyear", "f4")])  # fmt: skip
    lin["t0"], lin["lossperyear"] = t0, 0.02
    pw = np.zeros(n, dtype=[("filter", "U12"), ("pupil", "U12"), ("t0", "f4"),
                            ("year1value", "f4"), ("tsoft", "f4"), ("alpha", "f4")])  # fmt: skip
    pw["t0"], pw["year1value"], pw["tsoft"], pw["alpha"] = t0, 0.97, 100.0, -0.1
    return {"timecoeff_linear": lin, "timecoeff_powerlaw": pw}


@pytest.mark.parametrize("apply", [True, False])
def test_time_dependent_correction(rng, tmp_path, apply):
    rows = [("F150W", "CLEAR", 0.25, 0.01), ("F200W", "CLEAR", 0.5, 0.01)]
    p = _photom(dm.NrcImgPhotomModel, rows, _time_tables(2)).save(tmp_path / "photom.fits")
    m = _nrc_rate(rng)
    mid = 60000.0 + 500.0
    m.meta.exposure.mid_time = mid
    out = PhotomStep.call(m, override_photom=str(p), override_area="N/A",
                          apply_time_correction=apply)  # fmt: skip
    t0 = float(np.float32(60000.0))
    lin = 1.0 - 0.02 * (mid - t0) / 365.0
    a, ts, y1 = -0.1, 100.0, float(np.float32(0.97))
    pw = (mid - t0 + ts) ** a / ((365.0 + ts) ** a / y1)
    want = float(np.float32(0.25)) / (lin * pw) if apply else 0.25
    assert out.meta.photometry.conversion_megajanskys == pytest.approx(want, rel=1e-6)
    np.testing.assert_allclose(out.data, m.data * want, rtol=1e-6)


def test_time_tables_must_match_the_photom_table(rng, tmp_path):
    rows = [("F150W", "CLEAR", 0.25, 0.01)]
    p = _photom(dm.NrcImgPhotomModel, rows, _time_tables(3)).save(tmp_path / "photom.fits")
    m = _nrc_rate(rng)
    m.meta.exposure.mid_time = 60100.0
    with pytest.raises(ReferenceFileError, match="TIMECOEFF_LINEAR has 3 rows"):
        PhotomStep.call(m, override_photom=str(p), override_area="N/A")


def _as(m, instrument, detector, exp_type):
    m.meta.instrument.name = instrument
    m.meta.instrument.detector = detector
    m.meta.exposure.type = exp_type
    return m


def _ref_as(model, instrument, detector):
    model.meta.instrument.name = instrument
    model.meta.instrument.detector = detector
    return model


def test_miri_matches_subarray_then_generic(rng, tmp_path):
    rows = [("F770W", "FULL", 0.4, 0.01), ("F770W", "GENERIC", 0.6, 0.01),
            ("F1000W", "SUB64P", 0.8, 0.01)]  # fmt: skip
    ref = _ref_as(_photom(dm.MirImgPhotomModel, rows), "MIRI", "MIRIMAGE")
    p = str(ref.save(tmp_path / "photom.fits"))
    m = _as(_nrc_rate(rng, filt="F770W", pupil=None), "MIRI", "MIRIMAGE", "MIR_IMAGE")
    out = PhotomStep.call(m, override_photom=p, override_area="N/A")  # SUB64P: GENERIC row
    np.testing.assert_array_equal(out.data, m.data * np.float32(0.6))
    m.meta.instrument.filter = "F1000W"
    out = PhotomStep.call(m, override_photom=p, override_area="N/A")
    np.testing.assert_array_equal(out.data, m.data * np.float32(0.8))


def test_fgs_takes_the_first_row_and_niriss_cubes_are_skipped(rng, tmp_path):
    ref = _ref_as(_photom(dm.FgsImgPhotomModel, [(1.6, 0.01)]), "FGS", "GUIDER1")
    p = str(ref.save(tmp_path / "fgs.fits"))
    m = _as(_nrc_rate(rng, filt=None, pupil=None), "FGS", "GUIDER1", "FGS_IMAGE")
    out = PhotomStep.call(m, override_photom=p, override_area="N/A")
    np.testing.assert_array_equal(out.data, m.data * np.float32(1.6))
    ref = _ref_as(_photom(dm.NisImgPhotomModel, [("CLEAR", "F150W", 0.3, 0.01)]), "NIRISS",
                  "NIS")  # fmt: skip
    p = str(ref.save(tmp_path / "nis.fits"))
    m = _as(_nrc_rate(rng, ints=True, filt="CLEAR", pupil="F150W"), "NIRISS", "NIS", "NIS_IMAGE")
    out = PhotomStep.call(m, override_photom=p, override_area="N/A")
    assert out.meta.cal_step.photom == "SKIPPED"
    np.testing.assert_array_equal(out.data, m.data)


def test_spectroscopy_is_refused(rng, nrc_refs):
    m = _as(_nrc_rate(rng), "NIRCAM", "NRCA1", "NRC_WFSS")
    with pytest.raises(InputError, match="not available in jwcal"):
        PhotomStep.call(m, override_photom=nrc_refs[0], override_area=nrc_refs[1])


def test_area_that_does_not_cover_the_subarray(rng, tmp_path):
    a = dm.PixelAreaModel(np.ones((10, 10), np.float32))
    _meta_common(a, (1, 1, 10, 10), "AREA")
    p = str(a.save(tmp_path / "area.fits"))
    rows = [("F150W", "CLEAR", 0.25, 0.01)]
    ph = str(_photom(dm.NrcImgPhotomModel, rows).save(tmp_path / "photom.fits"))
    with pytest.raises(ReferenceFileError, match="does not cover"):
        PhotomStep.call(_nrc_rate(rng), override_photom=ph, override_area=p)
