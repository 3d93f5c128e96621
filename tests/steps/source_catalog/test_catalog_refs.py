"""The simulator's APCORR and ABVEGAOFFSET references and how the step reads them."""

from __future__ import annotations

import numpy as np
import pytest

from jwcal import datamodels as dm
from jwcal.simulate.catalogrefs import (
    EE_FRACTIONS,
    CatalogRefs,
    abvega_offset,
    drizzled_psf,
    ee_radius,
    encircled_energy,
)
from jwcal.simulate.instruments import detector_spec, read_pattern, subarray_spec
from jwcal.simulate.reffiles import RefWriter
from jwcal.simulate.scene import psf_sigmas
from jwcal.steps.source_catalog.refdata import (
    abvega_offset_for,
    aperture_params,
    validate_aperture_ee,
)


@pytest.fixture(scope="module")
def refs(tmp_path_factory):
    out = {}
    for inst, det_name, filt, pupil, sub in (
        ("NIRCAM", "NRCA1", "F150W", "CLEAR", "SUB320"),
        ("MIRI", "MIRIMAGE", "F770W", None, "FULL"),
        ("FGS", "GUIDER1", None, None, "FULL"),
    ):
        det = detector_spec(inst, det_name)
        w = RefWriter(tmp_path_factory.mktemp(det_name), det, subarray_spec(det, sub),
                      read_pattern(det, None), exp_type="X", filt=filt, pupil=pupil)  # fmt: skip
        CatalogRefs(w).write_all()
        out[inst] = (det, w.paths)
    return out


def test_ee_radius_inverts_the_encircled_energy():
    comps = psf_sigmas(detector_spec("NIRCAM", "NRCA1"))
    for f in EE_FRACTIONS:
        assert encircled_energy(ee_radius(f, comps), comps) == pytest.approx(f, abs=1e-9)
    # a single Gaussian: r = sigma sqrt(-2 ln(1 - f))
    assert ee_radius(0.5, ((2.0, 1.0),)) == pytest.approx(2.0 * np.sqrt(2 * np.log(2.0)))


def test_abvega_offsets_grow_with_wavelength():
    assert abvega_offset("F444W", "CLEAR") > abvega_offset("F150W", "CLEAR") > 0.5
    assert abvega_offset("F150W2", "F162M") == pytest.approx(abvega_offset("F162M", None))
    assert abvega_offset("CLEAR", "F200W") == pytest.approx(abvega_offset("F200W", None))


def _meta(inst, det, filt, pupil, sub, ratio=None):
    m = dm.ImageModel()
    m.meta.instrument.name, m.meta.instrument.detector = inst, det
    m.meta.instrument.filter, m.meta.instrument.pupil = filt, pupil
    m.meta.subarray.name = sub
    if ratio is not None:
        m.meta.resample.pixel_scale_ratio = ratio
    return m.meta


def test_files_read_back_and_select_the_filter(refs):
    det, paths = refs["NIRCAM"]
    ap = dm.open(paths["apcorr"])
    assert isinstance(ap, dm.NrcImgApcorrModel)
    off = dm.open(paths["abvegaoffset"])
    meta = _meta("NIRCAM", "NRCA1", "F150W", "CLEAR", "SUB320", ratio=0.5)
    par = aperture_params(ap.apcorr_table, meta, (30, 50, 70))
    comps = drizzled_psf(det)
    # output pixels half the detector's: radii double
    np.testing.assert_allclose(par.aperture_radii, [2 * ee_radius(f, comps) for f in (.3, .5, .7)],
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose(par.aperture_corrections, [1 / 0.3, 1 / 0.5, 1 / 0.7], rtol=1e-6)
    assert par.bkg_aperture_outer_radius > par.bkg_aperture_inner_radius > par.aperture_radii[-1]
    assert abvega_offset_for(off.abvega_offset, meta) == pytest.approx(
        abvega_offset("F150W", "CLEAR"), rel=1e-6
    )


def test_miri_and_fgs_selectors(refs):
    _, paths = refs["MIRI"]
    ap = dm.open(paths["apcorr"])
    assert isinstance(ap, dm.MirImgApcorrModel)
    meta = _meta("MIRI", "MIRIMAGE", "F770W", None, "FULL")
    assert aperture_params(ap.apcorr_table, meta, (20, 50, 80)).aperture_radii.size == 3
    assert abvega_offset_for(dm.open(paths["abvegaoffset"]).abvega_offset, meta) > 0
    _, paths = refs["FGS"]
    ap = dm.open(paths["apcorr"])
    assert isinstance(ap, dm.FgsImgApcorrModel)
    meta = _meta("FGS", "GUIDER1", None, None, "FULL")
    assert aperture_params(ap.apcorr_table, meta, (30, 50, 70)).aperture_ee.tolist() == [30, 50, 70]
    assert abvega_offset_for(dm.open(paths["abvegaoffset"]).abvega_offset, meta) > 0


def test_aperture_ee_validation_and_fallbacks():
    with pytest.raises(ValueError, match="strictly increasing"):
        validate_aperture_ee((50, 30, 70))
    with pytest.raises(ValueError, match="between 0 and 100"):
        validate_aperture_ee((30, 50, 100))
    meta = _meta("NIRCAM", "NRCA1", "F150W", "CLEAR", "FULL")
    par = aperture_params(None, meta, (30, 50, 70))
    assert par.aperture_radii.tolist() == [1.0, 2.0, 3.0]
    assert abvega_offset_for(None, meta) == 0.0
