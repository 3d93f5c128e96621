"""calwebb_image2 against jwst 3.0.0's on the same simulated ``_rate`` files and references.

Tolerances, and why:
- ``_cal`` SCI, ERR, VAR_POISSON/RNOISE/FLAT and AREA within 1e-5 relative (the issue's
  figure; assign_wcs, flat_field and photom do jwst's float32 arithmetic, so they agree
  exactly in practice); DQ identical;
- ``_i2d`` SCI within 1e-4 of the value (plus the median level, see
  ``assert_close_to_level``) on the interior (2 pixels inside the covered area), WHT within
  1e-3, the variances and ERR within 1e-4, CON identical: the output grids agree to 1e-9
  pixel, and jwcal's pixel map is interpolated from a 32-pixel grid (5e-7 pixel);
- the FITS WCS of the ``_i2d``: CRPIX to 1e-6 pixel (the footprint is projected by jwcore
  rather than astropy: 1e-8 pixel apart), CRVAL, CDELT, PC to 1e-7 relative, the
  photometric keywords to 1e-7 relative.
"""

import shutil

import numpy as np
import pytest

pytest.importorskip("jwst")

from image2_helpers import (  # noqa: E402
    RESAMPLE,
    assert_close_to_level,
    interior,
    jwcal_overrides,
    read,
)

from jwcal.pipelines import Image2Pipeline  # noqa: E402
from jwcal.simulate import simulate_rate  # noqa: E402
from jwcal.steps.resample.sky import polygon_solid_angle, sregion_polygons  # noqa: E402
from jwcal.testing.oracle import run_jwst  # noqa: E402

pytestmark = [pytest.mark.parity, pytest.mark.slow]

CASES = {
    "nrca1_sub320": dict(instrument="nircam", detector="nrca1", subarray="SUB320",
                         filter="F150W", star_density=5e-4),
    "nis_sub256": dict(instrument="niriss", detector="nis", subarray="SUB256", seed=7),
    # a corner subarray: jwst keeps the full-frame bounding box, so the _i2d is nearly
    # detector-sized and mostly empty; the comparison is on the covered part
    "fgs_sub128ll": dict(instrument="fgs", detector="guider1", subarray="SUB128LL", seed=5),
    "miri_full": dict(instrument="miri", detector="mirimage", seed=6, star_density=2e-4),
}  # fmt: skip


@pytest.fixture(scope="module", params=list(CASES))
def runs(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(request.param)
    kw = dict(CASES[request.param])
    kw.setdefault("seed", 3)
    sim = simulate_rate(root / "sim", **kw)
    refs = {k: str(v) for k, v in sim.refs.items()}
    run_jwst("jwst.pipeline.Image2Pipeline", sim.rate, refs, root / "jwst",
             steps={"resample": dict(RESAMPLE)}, scratch=root / "crds")  # fmt: skip
    steps = jwcal_overrides(sim.refs)
    steps["resample"] = dict(RESAMPLE)
    Image2Pipeline.call(str(sim.rate), steps=steps, output_dir=str(root / "jwcal"),
                        save_results=True)  # fmt: skip
    stem = sim.rate.name.replace("_rate.fits", "")
    yield root, stem
    shutil.rmtree(root, ignore_errors=True)


def _pair(runs, suffix, ext):
    root, stem = runs
    a = read(root / "jwst" / f"{stem}_{suffix}.fits", ext)
    b = read(root / "jwcal" / f"{stem}_{suffix}.fits", ext)
    return a, b


@pytest.mark.parametrize("ext", ["SCI", "ERR", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT", "AREA"])
def test_cal_arrays(runs, ext):
    (a, *_), (b, *_) = _pair(runs, "cal", ext)
    np.testing.assert_allclose(b, a, rtol=1e-5, atol=0, equal_nan=True)


def test_cal_dq_and_keywords(runs):
    (a, ha, sa), (b, hb, sb) = _pair(runs, "cal", "DQ")
    np.testing.assert_array_equal(a, b)
    for key in ("PHOTMJSR", "PHOTUJA2", "PIXAR_SR", "PIXAR_A2"):
        assert sb[key] == pytest.approx(sa[key], rel=1e-7), key
    assert sb["BUNIT"] == sa["BUNIT"] == "MJy/sr"
    for key in ("S_FLAT", "S_PHOTOM", "S_WCS"):
        assert hb[key] == ha[key] == "COMPLETE", key


def test_i2d_science_and_weights(runs):
    (wa, *_), (wb, *_) = _pair(runs, "i2d", "WHT")
    assert wa.shape == wb.shape
    inner = interior(wa)
    assert inner.sum() > 0.5 * (wa > 0).sum()
    assert_close_to_level(wa, wb, 1e-3, "WHT", inner)
    (sa, *_), (sb, *_) = _pair(runs, "i2d", "SCI")
    assert_close_to_level(sa, sb, 1e-4, "SCI", inner)
    (ca, *_), (cb, *_) = _pair(runs, "i2d", "CON")
    np.testing.assert_array_equal(ca, cb)


@pytest.mark.parametrize("ext", ["ERR", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"])
def test_i2d_errors(runs, ext):
    (wa, *_), _ = _pair(runs, "i2d", "WHT")
    (a, *_), (b, *_) = _pair(runs, "i2d", ext)
    assert_close_to_level(a, b, 1e-4, ext, interior(wa))


def test_i2d_wcs_and_keywords(runs):
    (_, ha, sa), (_, hb, sb) = _pair(runs, "i2d", "SCI")
    for key in ("CRPIX1", "CRPIX2"):
        assert sb[key] == pytest.approx(sa[key], abs=1e-6), key
    for key in ("CRVAL1", "CRVAL2", "CDELT1", "CDELT2", "PC1_1", "PC1_2", "PC2_1", "PC2_2",
                "PIXAR_SR", "PIXAR_A2", "XPOSURE", "TELAPSE"):  # fmt: skip
        assert sb[key] == pytest.approx(sa[key], rel=1e-7, abs=1e-12), key
    for key in ("CTYPE1", "CTYPE2", "BUNIT"):
        assert sb[key] == sa[key], key
    for key in ("NDRIZ", "PIXFRAC", "PXSCLRT", "RESWHT", "EFFEXPTM", "DURATION", "TMEASURE",
                "S_RESAMP"):  # fmt: skip
        assert hb[key] == ha[key], key
    # S_REGION: the footprint clipped to the grid; the same polygon (jwst may start it at
    # another vertex): the same area, and each of jwst's vertices one of ours (to 1 mas)
    pa = sregion_polygons(sa["S_REGION"])
    pb = sregion_polygons(sb["S_REGION"])
    assert len(pa) == len(pb) == 1
    area = [polygon_solid_angle(p[:, 0], p[:, 1], p.mean(axis=0)) for p in (pa[0], pb[0])]
    assert area[1] == pytest.approx(area[0], rel=1e-6)
    for ra, dec in pa[0]:
        d = np.hypot((pb[0][:, 0] - ra) * np.cos(np.deg2rad(dec)), pb[0][:, 1] - dec)
        assert d.min() < 1 / 3.6e6
