"""SourceCatalogStep on a synthetic resampled image with known stars."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial import cKDTree
from srccat_data import ABVEGA, NOISE_JY, abvega_model, apcorr_model, make_i2d, star_field

from jwcal import datamodels as dm
from jwcal.steps.source_catalog import SourceCatalogStep


def _expected_columns(ees=(30, 50, 70)):
    aper = []
    for kind in ("flux", "abmag", "vegamag"):
        for ee in ees:
            aper += [f"aper{ee}_{kind}", f"aper{ee}_{kind}_err"]
        aper += [f"aper_total_{kind}", f"aper_total_{kind}_err"]
    a, b, c = ees
    return (
        ["label", "xcentroid", "ycentroid", "sky_centroid", "aper_bkg_flux", "aper_bkg_flux_err"]
        + aper
        + [f"CI_{b}_{a}", f"CI_{c}_{b}", f"CI_{c}_{a}", "is_extended", "sharpness", "roundness",
           "nn_label", "nn_dist", "isophotal_flux", "isophotal_flux_err", "isophotal_abmag",
           "isophotal_abmag_err", "isophotal_vegamag", "isophotal_vegamag_err",
           "isophotal_area", "semimajor_sigma", "semiminor_sigma", "ellipticity",
           "orientation", "sky_orientation", "sky_bbox_ll", "sky_bbox_ul", "sky_bbox_lr",
           "sky_bbox_ur"]
    )  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("srccat")
    img, stars = star_field()
    model = make_i2d(img)
    step = SourceCatalogStep(
        override_apcorr=apcorr_model(),
        override_abvegaoffset=abvega_model(),
        output_dir=str(out),
        save_results=True,
    )
    cat = step.run(model)
    tree = cKDTree(stars[:, :2])
    dist, idx = tree.query(np.column_stack([cat["xcentroid"], cat["ycentroid"]]))
    return {"cat": cat, "stars": stars, "dist": dist, "idx": idx, "out": out, "model": model}


def test_columns_order_and_units(run):
    cat = run["cat"]
    assert cat.colnames == _expected_columns()
    assert str(cat["aper50_flux"].unit) == "Jy"
    assert str(cat["isophotal_flux_err"].unit) == "Jy"
    assert str(cat["isophotal_area"].unit) == "pix2"
    assert str(cat["orientation"].unit) == "deg"
    assert cat["label"].tolist() == list(range(1, len(cat) + 1))
    assert cat.meta["abvega_offset"] == pytest.approx(ABVEGA)


def test_every_star_found_once_at_its_position(run):
    cat, stars = run["cat"], run["stars"]
    assert len(cat) == len(stars)
    assert sorted(run["idx"].tolist()) == list(range(len(stars)))
    # all stars here are above 60 sigma in the aperture: centroids to 0.05 pixel
    assert run["dist"].max() < 0.05


def test_total_flux_within_one_percent(run):
    cat, stars = run["cat"], run["stars"]
    true = stars[run["idx"], 2]
    snr = cat["aper_total_flux"].value / cat["aper_total_flux_err"].value
    assert (snr > 20).all()
    # noise-limited: within 4 sigma everywhere, and 1% where 1% is several sigma
    dev = cat["aper_total_flux"].value - true
    assert (np.abs(dev) < 4 * cat["aper_total_flux_err"].value + 0.005 * true).all()
    bright = snr > 300
    assert bright.sum() >= 4
    np.testing.assert_allclose(cat["aper_total_flux"].value[bright], true[bright], rtol=0.01)
    # errors: uniform noise, so the 70% aperture's error is NOISE * sqrt(area)
    r = np.sqrt(cat["aper70_flux_err"].value ** 2 / NOISE_JY**2 / np.pi)
    assert np.allclose(r, r[0])


def test_magnitudes_follow_the_fluxes(run):
    cat = run["cat"]
    f = cat["aper_total_flux"].value
    np.testing.assert_allclose(cat["aper_total_abmag"], -2.5 * np.log10(f) + 8.9)
    np.testing.assert_allclose(cat["aper_total_vegamag"], cat["aper_total_abmag"] - ABVEGA)
    ferr = cat["isophotal_flux_err"].value / cat["isophotal_flux"].value
    np.testing.assert_allclose(cat["isophotal_abmag_err"], 2.5 * np.log10(1 + ferr))


def test_stars_are_compact_and_round(run):
    cat = run["cat"]
    assert not cat["is_extended"].any()
    np.testing.assert_allclose(cat["CI_70_30"], cat["CI_70_50"] * cat["CI_50_30"])
    bright = cat["aper_total_flux"].value > np.median(cat["aper_total_flux"].value)
    assert (cat["ellipticity"][bright] < 0.05).all()
    # roundness is measured about the nearest pixel, so sub-pixel offsets skew it a little
    assert (np.abs(cat["roundness"][bright]) < 0.4).all()
    assert ((cat["sharpness"] > 0.2) & (cat["sharpness"] < 1.0)).all()
    nn = cat["nn_dist"].value
    assert (nn > 30).all() and set(cat["nn_label"]) <= set(cat["label"])


def test_sky_positions_follow_the_wcs(run):
    cat, stars, model = run["cat"], run["stars"], run["model"]
    true = model.meta.wcs.pixel_to_world(stars[run["idx"], 0], stars[run["idx"], 1])
    assert true.separation(cat["sky_centroid"]).arcsec.max() < 0.05 * 0.031
    # North points 60 deg counter-clockwise from +x here (the 30 deg roll), and jwst's
    # position angle is 180 - 60 + orientation
    pa = (cat["orientation"].value + 120.0) % 360
    np.testing.assert_allclose(cat["sky_orientation"].value, pa, atol=1e-3)


def test_outputs_are_named_and_readable(run):
    from astropy.table import QTable

    out = run["out"]
    cat_path = out / "jw01_t001_nircam_clear-f150w_cat.ecsv"
    segm_path = out / "jw01_t001_nircam_clear-f150w_segm.fits"
    back = QTable.read(cat_path)
    assert back.colnames == run["cat"].colnames
    np.testing.assert_allclose(back["aper50_flux"].value, run["cat"]["aper50_flux"].value)
    segm = dm.open(segm_path)
    assert isinstance(segm, dm.SegmentationMapModel)
    labels = np.asarray(segm.data)
    assert labels.max() == len(run["cat"])
    assert (labels[np.round(run["stars"][:, 1]).astype(int),
                   np.round(run["stars"][:, 0]).astype(int)] > 0).all()  # fmt: skip


def _pair(shape=(64, 64), sep=7.0):
    from srccat_data import gaussian_stars

    rng = np.random.default_rng(5)
    stars = np.array([[30.0, 32.0, 3e-6], [30.0 + sep, 32.0, 1.5e-6]])
    return gaussian_stars(shape, stars) + rng.normal(0, NOISE_JY, shape)


def test_deblending_splits_a_blend():
    img = _pair()
    refs = {"override_apcorr": apcorr_model(), "override_abvegaoffset": abvega_model()}
    # components of a blend must each have npixels pixels: 5 lets these two split
    one = SourceCatalogStep(deblend=False, npixels=5, **refs).run(make_i2d(img))
    two = SourceCatalogStep(deblend=True, npixels=5, **refs).run(make_i2d(img))
    assert len(one) == 1 and len(two) == 2
    assert sorted(np.round(two["xcentroid"]).tolist()) == [30.0, 37.0]


def test_no_sources_gives_none():
    rng = np.random.default_rng(1)
    img = rng.normal(0, NOISE_JY, (48, 48))
    refs = {"override_apcorr": apcorr_model(), "override_abvegaoffset": abvega_model()}
    assert SourceCatalogStep(snr_threshold=50.0, **refs).run(make_i2d(img)) is None


def test_unknown_filter_or_ee_gives_no_catalog(caplog):
    img = _pair()
    model = make_i2d(img)
    model.meta.instrument.filter = "F444W"
    refs = {"override_apcorr": apcorr_model(), "override_abvegaoffset": abvega_model()}
    assert SourceCatalogStep(**refs).run(model) is None
    assert "APCORR reference file data is missing" in caplog.text
    assert SourceCatalogStep(aperture_ee3=75, **refs).run(make_i2d(img)) is None
    assert "no row for aperture_ee=75" in caplog.text


def test_wrong_units_and_finder_are_refused():
    from jwcal.errors import InputError

    refs = {"override_apcorr": apcorr_model(), "override_abvegaoffset": abvega_model()}
    model = make_i2d(_pair())
    model.meta.bunit_data = "DN/s"
    with pytest.raises(InputError, match="MJy/sr"):
        SourceCatalogStep(**refs).run(model)
    with pytest.raises(InputError, match="segmentation only"):
        SourceCatalogStep(starfinder="dao", **refs).run(make_i2d(_pair()))
