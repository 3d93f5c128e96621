"""source_catalog on an ``_i2d`` that jwcal's resample step wrote (the stage-3 contract)."""

from __future__ import annotations

import numpy as np
import pytest
from resample_data import DEC0, PSCALE, RA0, add_star, make_image
from srccat_data import abvega_model, apcorr_model

from jwcal import datamodels as dm
from jwcal.steps.resample import ResampleStep
from jwcal.steps.source_catalog import SourceCatalogStep

SIGMA_ARCSEC = 0.08
RATIO = 0.8


def test_catalog_of_a_resampled_image(tmp_path):
    cal = make_image((150, 160), roll=25.0, seed=3)
    cal.data = (cal.data * 0.02).astype(np.float32)  # a faint, noisy sky
    cal.meta.instrument.filter, cal.meta.instrument.pupil = "F150W", "CLEAR"
    before = cal.data.astype(float).copy()
    offsets = [(-1.2, -1.0), (1.3, -0.9), (0.0, 0.2), (-1.1, 1.2), (1.2, 1.3)]  # arcsec
    sky = [(RA0 + dx / 3600.0 / np.cos(np.deg2rad(DEC0)), DEC0 + dy / 3600.0) for dx, dy in offsets]
    for ra, dec in sky:
        add_star(cal, ra, dec, flux=50.0, sigma_arcsec=SIGMA_ARCSEC, oversample=3)
    pixar = cal.meta.photometry.pixelarea_steradians
    true_jy = (cal.data - before).sum() * 1e6 * pixar / len(sky)

    i2d = ResampleStep.call(cal, pixel_scale_ratio=RATIO)
    path = tmp_path / "jw01_t001_nircam_clear-f150w_i2d.fits"
    i2d.save(path)
    # APCORR radii for the star's width in input pixels; the step scales them by 1/RATIO
    apcorr = apcorr_model(sigma=SIGMA_ARCSEC / (PSCALE * 3600.0))
    cat = SourceCatalogStep.call(str(path), override_apcorr=apcorr,
                                 override_abvegaoffset=abvega_model(),
                                 output_dir=str(tmp_path), save_results=True)  # fmt: skip
    assert len(cat) == len(sky)
    assert (tmp_path / "jw01_t001_nircam_clear-f150w_cat.ecsv").exists()
    radii = cat.meta["aperture_params"]["aperture_radii"]
    table = apcorr.apcorr_table
    row70 = (np.round(table["eefraction"] * 100) == 70) & (table["filter"] == "F150W")
    assert radii[-1] == pytest.approx(table["radius"][row70][0] / RATIO, rel=1e-6)
    for ra, dec in sky:
        from astropy.coordinates import SkyCoord

        sep = SkyCoord(ra, dec, unit="deg").separation(cat["sky_centroid"]).arcsec
        assert sep.min() < 0.002  # 2 mas: 0.08 output pixel
    # drizzling widens the star a little beyond the APCORR's Gaussian, so 2% here
    np.testing.assert_allclose(cat["aper_total_flux"].value, true_jy, rtol=0.02)
    assert np.isfinite(cat["sky_orientation"].value).all()
    assert not cat["is_extended"].any()
    segm = dm.open(tmp_path / "jw01_t001_nircam_clear-f150w_segm.fits")
    assert segm.data.shape == i2d.data.shape
