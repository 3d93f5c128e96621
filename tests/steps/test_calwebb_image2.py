"""calwebb_image2 on simulated exposures: products and names, the truth recovered (star
positions and fluxes), associations and the TSO/WFS variants (parity with jwst:
tests/parity/test_image2_*.py)."""

import json

import numpy as np
import pytest

from jwcal import datamodels as dm
from jwcal.pipelines import Image2Pipeline
from jwcal.simulate import simulate_rate
from jwcal.simulate.sky import read_truth_sources

pytestmark = pytest.mark.slow


def _steps(refs):
    return {
        "assign_wcs": {"override_distortion": str(refs["distortion"]),
                       "override_filteroffset": str(refs["filteroffset"])},
        "flat_field": {"override_flat": str(refs["flat"])},
        "photom": {"override_photom": str(refs["photom"]), "override_area": str(refs["area"])},
    }  # fmt: skip


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """A noise-free NIRCam SUB320 exposure with a few bright, well separated stars."""
    root = tmp_path_factory.mktemp("image2")
    s = simulate_rate(root / "sim", "nircam", "nrca1", "SUB320", seed=8, filter="F150W",
                      noise=False, star_density=1e-4, galaxy_density=0.0, sky=0.0,
                      bad_pixels=False, use_pysiaf=False)  # fmt: skip
    out = root / "out"
    res = Image2Pipeline.call(str(s.rate), steps=_steps(s.refs), output_dir=str(out),
                              save_results=True)  # fmt: skip
    return s, out, res


def test_products_and_names(sim):
    s, out, res = sim
    stem = s.rate.name.replace("_rate.fits", "")
    assert sorted(p.name for p in out.iterdir()) == [f"{stem}_cal.fits", f"{stem}_i2d.fits"]
    assert isinstance(res, list) and len(res) == 1
    cal = dm.open(out / f"{stem}_cal.fits")
    for step in ("assign_wcs", "flat_field", "photom"):
        assert cal.meta.cal_step.get(step) == "COMPLETE"
    assert cal.meta.get("cal_step.resample") is None
    assert cal.meta.asn.table_name == "singleton"
    i2d = dm.open(out / f"{stem}_i2d.fits")
    assert i2d.meta.cal_step.resample == "COMPLETE" and i2d.meta.bunit_data == "MJy/sr"


def _window_centroid(img, x0, y0, sigma=2.0):
    """Gaussian-windowed centroid (SExtractor's XWIN), iterated from (x0, y0)."""
    y, x = np.indices(img.shape)
    cx, cy = float(x0), float(y0)
    for _ in range(40):
        r2 = (x - cx) ** 2 + (y - cy) ** 2
        w = np.where(r2 < (5 * sigma) ** 2, np.exp(-0.5 * r2 / sigma**2) * img, 0.0)
        cx += 2 * (w * (x - cx)).sum() / w.sum()
        cy += 2 * (w * (y - cy)).sum() / w.sum()
    return cx, cy


def test_stars_land_on_their_true_positions_with_their_flux(sim):
    """Positions: in the _cal frame the windowed centroids of the simulated stars are their
    true pixels to 1e-3; in the _i2d they are their true sky positions to 0.04 pixel.  The
    latter is drizzle's, not the grid's: a NIRCam short-wave PSF is undersampled, and
    drizzling it onto a rotated grid aliases its centroid by ~0.02 pixel (jwst's _i2d, equal
    to ours to 1e-5 of the values, does the same; well-sampled stars land within 0.01
    pixel: tests/steps/test_resample_step.py).  Fluxes: MJy/sr summed over 12 pixels around
    the star times PIXAR_SR give the true flux in Jy to 3% (the PSF beyond that radius)."""
    s, out, res = sim
    stem = s.rate.name.replace("_rate.fits", "")
    cal = np.nan_to_num(np.asarray(res[0].data, float))
    i2d = dm.open(out / f"{stem}_i2d.fits")
    img = np.nan_to_num(np.asarray(i2d.data, float))
    truth = read_truth_sources(s.truth_sources)
    stars = truth[truth["kind"] == "star"]
    xo, yo = i2d.meta.wcs.invert(np.asarray(stars["ra"]), np.asarray(stars["dec"]))
    ny, nx = img.shape
    keep = (xo > 15) & (xo < nx - 15) & (yo > 15) & (yo < ny - 15)
    keep &= stars["flux_jy"] > np.median(stars["flux_jy"])
    pts = np.stack([xo, yo], axis=1)
    for i in range(len(pts)):
        d = np.hypot(*(pts - pts[i]).T)
        d[i] = np.inf
        keep[i] &= d.min() > 20
    assert keep.sum() >= 2, "the scene needs isolated stars"
    sr = i2d.meta.photometry.pixelarea_steradians
    y, x = np.indices(img.shape)
    for k in np.flatnonzero(keep):
        cx, cy = _window_centroid(cal, stars["x"][k], stars["y"][k])
        assert abs(cx - stars["x"][k]) < 1e-3 and abs(cy - stars["y"][k]) < 1e-3
        cx, cy = _window_centroid(img, xo[k], yo[k])
        assert abs(cx - xo[k]) < 0.04 and abs(cy - yo[k]) < 0.04, (cx - xo[k], cy - yo[k])
        total = img[np.hypot(x - xo[k], y - yo[k]) <= 12].sum()
        assert total * sr * 1e6 == pytest.approx(stars["flux_jy"][k], rel=0.03)


def test_association_with_two_products(sim, tmp_path):
    s, _, _ = sim
    second = tmp_path / s.rate.name.replace("_00001_", "_00002_")
    m = dm.open(s.rate)
    m.meta.observation.exposure_number = "2"
    m.save(second)
    asn = {
        "asn_type": "image2", "asn_rule": "DMSLevel2bBase", "asn_id": "o001",
        "asn_pool": "pool_x", "products": [
            {"name": "first", "members": [{"expname": str(s.rate), "exptype": "science"}]},
            {"name": "second", "members": [{"expname": second.name, "exptype": "science"}]}],
    }  # fmt: skip
    path = tmp_path / "l2_asn.json"
    path.write_text(json.dumps(asn))
    res = Image2Pipeline.call(str(path), steps=_steps(s.refs), output_dir=str(tmp_path / "o"),
                              save_results=True)  # fmt: skip
    assert len(res) == 2
    names = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert names == ["first_cal.fits", "first_i2d.fits", "second_cal.fits", "second_i2d.fits"]
    assert dm.open(tmp_path / "o" / "second_cal.fits").meta.asn.pool_name == "pool_x"


def test_wfs_variant_does_not_resample(sim, tmp_path):
    s, _, _ = sim
    Image2Pipeline.call(str(s.rate), config_file="calwebb_wfs-image2.cfg", steps=_steps(s.refs),
                        output_dir=str(tmp_path), save_results=True)  # fmt: skip
    assert [p.name.endswith("_cal.fits") for p in tmp_path.iterdir()] == [True]
