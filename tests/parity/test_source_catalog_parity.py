"""source_catalog against jwst 3.0.0's SourceCatalogStep on the same ``_i2d`` file.

The scene: 16 stars over 60-2000 sigma, a blended pair, two exponential galaxies, a sky
pedestal and a 12-column strip with no coverage (NaN, WHT=0), on a rotated TAN gwcs.  Run
with the defaults and with a second parameter set (mesh background of 64 pixels, no
deblending, other kernel, npixels and encircled energies).

Tolerances, and why: the same sources (identical segmentation maps); positions within
1e-6 pixel; aperture and isophotal fluxes within 1e-6 relative (jwst subtracts the
background and smooths in float32 as jwcal does, so only summation order differs: ~1e-9);
isophotal flux errors within 1e-5 (jwst accumulates the squared float32 ERR in float32,
jwcal in float64: ~2e-7); shapes within 1e-6 pixel and 1e-3 degree (the moments are the
same sums in another order); every other column exactly equal or within 1e-6.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("jwst")

from image2_helpers import run_jwst_many  # noqa: E402

sys.path.insert(0, str(Path(__file__).parents[1] / "steps" / "source_catalog"))
from srccat_data import (  # noqa: E402
    abvega_model,
    apcorr_model,
    gaussian_stars,
    make_i2d,
    star_field,
)

from jwcal.steps.source_catalog import SourceCatalogStep  # noqa: E402

pytestmark = [pytest.mark.parity, pytest.mark.slow]

CASES = {
    "defaults": {},
    "mesh_nodeblend": {"bkg_boxsize": 64, "deblend": False, "kernel_fwhm": 3.0, "npixels": 10,
                       "snr_threshold": 5.0, "aperture_ee1": 20, "aperture_ee2": 40,
                       "aperture_ee3": 80},
}  # fmt: skip


def _galaxy(shape, x, y, flux, r_e, q, pa):
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]].astype(float)
    c, s = np.cos(pa), np.sin(pa)
    u = (xx - x) * c + (yy - y) * s
    v = (-(xx - x) * s + (yy - y) * c) / q
    prof = np.exp(-1.678 * np.hypot(u, v) / r_e)
    return flux * prof / prof.sum()


def _ref_meta(m):
    m.meta.telescope = "JWST"
    m.meta.useafter = "2022-01-01T00:00:00"
    m.meta.description = "source_catalog parity test"
    m.meta.author = "jwcal tests"
    m.meta.pedigree = "DUMMY"
    return m


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("srccat_parity")
    shape = (256, 256)
    img, _ = star_field(shape, seed=11, n=16, sky_jy=3e-9)
    img += gaussian_stars(shape, np.array([[128.0, 60.0, 4e-6], [134.5, 61.0, 2e-6]]))
    img += _galaxy(shape, 60.0, 130.0, 2e-5, 5.0, 0.5, 0.6)
    img += _galaxy(shape, 200.0, 190.0, 8e-6, 3.0, 0.7, 2.0)
    model = make_i2d(img, filename="jw01_t001_nircam_clear-f150w_i2d.fits")
    model.data[:, :12] = np.nan
    model.err[:, :12] = np.nan
    model.wht[:, :12] = 0
    i2d = root / "jw01_t001_nircam_clear-f150w_i2d.fits"
    model.save(i2d)
    refs = {
        "override_apcorr": str(_ref_meta(apcorr_model()).save(root / "apcorr.fits")),
        "override_abvegaoffset": str(_ref_meta(abvega_model()).save(root / "abvega.asdf")),
    }
    jobs = []
    for name, pars in CASES.items():
        jobs.append({"input": str(i2d), "output_dir": str(root / "jwst" / name),
                     "params": {**refs, **pars}})  # fmt: skip
        SourceCatalogStep.call(str(i2d), output_dir=str(root / "jwcal" / name),
                               save_results=True, **refs, **pars)  # fmt: skip
    run_jwst_many("jwst.source_catalog.SourceCatalogStep", jobs, root / "scratch")
    return root


def _read(root, who, name):
    from astropy.io import fits
    from astropy.table import QTable

    d = root / who / name
    cat = QTable.read(d / "jw01_t001_nircam_clear-f150w_cat.ecsv")
    segm = fits.getdata(d / "jw01_t001_nircam_clear-f150w_segm.fits", "SCI")
    return cat, segm


def _values(col):
    return np.asarray(getattr(col, "value", col), dtype=float)


def _compare(runs, name):
    ref, ref_segm = _read(runs, "jwst", name)
    cat, segm = _read(runs, "jwcal", name)
    np.testing.assert_array_equal(segm, ref_segm)
    assert len(cat) == len(ref) >= 18
    assert cat.colnames == ref.colnames
    for col in ref.colnames:
        a, b = ref[col], cat[col]
        assert str(getattr(a, "unit", "")) == str(getattr(b, "unit", "")), col
        assert a.info.format == b.info.format, col
        assert a.info.description == b.info.description, col
        if hasattr(a, "ra"):
            assert a.separation(b).arcsec.max() < 1e-6, col
            continue
        x, y = _values(a), _values(b)
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y), err_msg=col)
        if col in ("xcentroid", "ycentroid", "nn_dist", "semimajor_sigma", "semiminor_sigma"):
            np.testing.assert_allclose(y, x, rtol=0, atol=1e-6, err_msg=col)
        elif col in ("orientation", "sky_orientation"):
            diff = (y - x + 180.0) % 360.0 - 180.0
            assert np.abs(diff).max() < 1e-3, col
        elif col == "ellipticity":
            np.testing.assert_allclose(y, x, rtol=0, atol=1e-6, err_msg=col)
        elif col.startswith("isophotal") and "err" in col:
            np.testing.assert_allclose(y, x, rtol=1e-5, err_msg=col)
        else:
            np.testing.assert_allclose(y, x, rtol=1e-6, atol=0, err_msg=col)


def test_catalogs_match_jwst(runs):
    # one test for all cases: the module fixture then runs once even with pytest-xdist
    for name in CASES:
        _compare(runs, name)
    ref, _ = _read(runs, "jwst", "defaults")
    cat, _ = _read(runs, "jwcal", "defaults")
    assert list(cat.meta) == list(ref.meta)
    assert cat.meta["abvega_offset"] == pytest.approx(ref.meta["abvega_offset"])
    for key in ("aperture_radii", "aperture_corrections", "aperture_ee"):
        np.testing.assert_allclose(cat.meta["aperture_params"][key],
                                   ref.meta["aperture_params"][key], rtol=1e-7)  # fmt: skip


@pytest.mark.filterwarnings("error::stdatamodels.exceptions.ValidationWarning")
def test_simulated_references_read_by_stdatamodels(tmp_path):
    """The simulator's APCORR and ABVEGAOFFSET files open as jwst's models and hold the
    same values jwcal reads."""
    from stdatamodels.jwst import datamodels as sdm

    from jwcal import datamodels as dm
    from jwcal.simulate.catalogrefs import CatalogRefs
    from jwcal.simulate.instruments import (
        default_exp_type,
        detector_spec,
        read_pattern,
        subarray_spec,
    )
    from jwcal.simulate.reffiles import RefWriter

    for inst, det_name, cls in (("NIRCAM", "NRCB5", sdm.NrcImgApcorrModel),
                                ("NIRISS", "NIS", sdm.NisImgApcorrModel),
                                ("MIRI", "MIRIMAGE", sdm.MirImgApcorrModel),
                                ("FGS", "GUIDER2", sdm.FgsImgApcorrModel)):  # fmt: skip
        det = detector_spec(inst, det_name)
        w = RefWriter(tmp_path / det_name, det, subarray_spec(det, None),
                      read_pattern(det, None), exp_type=default_exp_type(det))  # fmt: skip
        CatalogRefs(w).write_all()
        with cls(str(w.paths["apcorr"])) as ref:
            theirs = ref.apcorr_table
            ref.validate()
        ours = dm.open(w.paths["apcorr"]).apcorr_table
        assert len(theirs) == len(ours) > 0
        for col in ("eefraction", "radius", "apcorr", "skyin", "skyout"):
            np.testing.assert_array_equal(np.asarray(theirs[col]), ours[col])
        with sdm.ABVegaOffsetModel(str(w.paths["abvegaoffset"])) as ref:
            ref.validate()
            theirs = ref.abvega_offset
        ours = dm.open(w.paths["abvegaoffset"]).abvega_offset
        np.testing.assert_array_equal(np.asarray(theirs["abvega_offset"]),
                                      np.asarray(ours["abvega_offset"]))  # fmt: skip
