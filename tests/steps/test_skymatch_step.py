"""SkyMatchStep on small overlapping images with known sky levels, and against stcal's
skymatch on the same images."""

from functools import partial

import numpy as np
import pytest
from resample_data import PSCALE, RA0, make_image

from jwcal.errors import ConfigError
from jwcal.steps.skymatch import SkyMatchStep
from jwcal.steps.skymatch.geometry import world_to_pixel

SKY = [0.30, 0.25, 0.41]


def _images():
    out = []
    for k, sky in enumerate(SKY):
        m = make_image(
            shape=(60, 70), seed=k, ra0=RA0 + k * 15 * PSCALE, filename=f"im{k}_cal.fits"
        )
        rng = np.random.default_rng(10 + k)
        m.data = (sky + rng.normal(0, 0.01, m.shape)).astype(np.float32)
        m.data[5:8, 5:8] += 50.0  # a source: clipped away
        m.dq[0, :] = 1  # DO_NOT_USE pixels are ignored
        m.data[0, :] = 1e4
        m.meta.group_id = f"g{k}"
        out.append(m)
    return out


def _inverse(wcs, shape, ra, dec, with_bounding_box=False):
    return world_to_pixel(wcs, shape, ra, dec)


def _levels(lib):
    return np.array([lib.meta_model(i).meta.background.level for i in range(len(lib))])


@pytest.mark.parametrize(
    ("method", "expect"),
    [
        ("match", np.array(SKY) - min(SKY)),
        ("local", np.array(SKY)),
        ("global", np.full(3, min(SKY))),
        ("global+match", np.array(SKY)),
    ],
)
def test_methods_recover_the_sky(method, expect):
    lib = SkyMatchStep.call(_images(), skymethod=method, skystat="mean")
    np.testing.assert_allclose(_levels(lib), expect, atol=2e-3)
    m = lib.meta_model(1)
    assert m.meta.background.subtracted is False
    assert m.meta.background.method == method
    assert m.meta.cal_step.skymatch == "COMPLETE"


def test_subtract_changes_the_data():
    lib = SkyMatchStep.call(_images(), skymethod="local", subtract=True, skystat="median")
    for i, sky in enumerate(SKY):
        m = lib.load(i)
        assert m.meta.background.subtracted is True
        assert abs(np.median(m.data[1:]) - 0.0) < 2e-3
        assert m.meta.background.level == pytest.approx(sky, abs=2e-3)
    # a second pass with subtract=False contradicts what the metadata record
    with pytest.raises(ConfigError, match="inconsistent"):
        SkyMatchStep.call([lib.load(i) for i in range(3)], skymethod="local", subtract=False)


def test_match_down_false_matches_up():
    lib = SkyMatchStep.call(_images(), skymethod="match", match_down=False, skystat="mean")
    np.testing.assert_allclose(_levels(lib), np.array(SKY) - max(SKY), atol=2e-3)


def test_disjoint_image_is_skipped():
    ims = _images()
    far = make_image(shape=(60, 70), seed=9, ra0=RA0 + 0.5, filename="far_cal.fits")
    far.meta.group_id = "far"
    lib = SkyMatchStep.call(ims + [far], skymethod="match", skystat="mean")
    assert lib.meta_model(3).meta.cal_step.skymatch == "SKIPPED"
    assert lib.meta_model(3).meta.background.level is None
    np.testing.assert_allclose(_levels(lib)[:3].astype(float), np.array(SKY) - min(SKY), atol=2e-3)


def test_equals_stcal_skymatch(stat="mode"):
    sm = pytest.importorskip("stcal.skymatch")
    ims = _images()
    ours = _levels(SkyMatchStep.call(ims, skymethod="global+match", skystat=stat))
    stats = sm.SkyStats(skystat=stat, lower=None, upper=None, nclip=5, lsig=4.0, usig=4.0,
                        binwidth=0.1)  # fmt: skip
    sky_ims = []
    for m in ims:
        good = (m.dq & 513) == 0
        # this test gwcs has no working inverse: both use jwcal's Newton inversion
        inv = partial(_inverse, m.meta.wcs, m.shape)
        sky_ims.append(sm.SkyImage(image=m.data.copy(), mask=good & np.isfinite(m.data),
                                   wcs_fwd=m.meta.wcs.__call__, wcs_inv=inv,
                                   skystat=stats))  # fmt: skip
    sm.skymatch(sky_ims, skymethod="global+match", match_down=True, subtract=False)
    # The overlap polygons agree to 1e-8 pixel, but a vertex on a pixel edge (x = 69.5)
    # rounds either way in gwcs's scanner (46 of 2300 pixels here); on the simulated
    # exposures of the parity test the levels agree exactly.  So: well within the noise.
    np.testing.assert_allclose(ours, [im.sky for im in sky_ims], atol=1e-3)


def test_user_skylist(tmp_path):
    path = tmp_path / "sky.txt"
    path.write_text("# image sky\nim0_cal.fits 0.1\nim1_cal.fits 0.2\nim2_cal.fits 0.3\n")
    lib = SkyMatchStep.call(_images(), skymethod="user", skylist=str(path), subtract=True)
    np.testing.assert_allclose(_levels(lib), [0.1, 0.2, 0.3])
    assert np.median(lib.load(2).data[1:]) == pytest.approx(SKY[2] - 0.3, abs=3e-3)
    path.write_text("im0_cal.fits 0.1\n")
    with pytest.raises(ConfigError, match="1 entries for 3 images"):
        SkyMatchStep.call(_images(), skymethod="user", skylist=str(path))
    with pytest.raises(ConfigError, match="skylist"):
        SkyMatchStep.call(_images(), skymethod="user")


def test_polygon_scan_equals_gwcs():
    from gwcs import region

    from jwcal.steps.skymatch.scan import scan_polygon

    rng = np.random.default_rng(0)
    for trial in range(300):
        ny, nx = rng.integers(5, 60, 2)
        n = rng.integers(3, 7)
        if trial % 2:  # convex, like footprint overlaps, some vertices on pixel edges
            ang = np.sort(rng.uniform(0, 2 * np.pi, n))
            r = rng.uniform(3, 40)
            xs = np.round((rng.uniform(-5, nx + 5) + r * np.cos(ang)) * 2) / 2
            ys = np.round((rng.uniform(-5, ny + 5) + r * np.sin(ang)) * 2) / 2
        else:  # anything, self-crossing included
            xs, ys = rng.uniform(-10, nx + 10, n), rng.uniform(-10, ny + 10, n)
        pts = list(zip(xs, ys, strict=True))
        pts.append(pts[0])
        want = region.Polygon(True, pts).scan(np.zeros((ny, nx), bool))
        np.testing.assert_array_equal(scan_polygon(np.zeros((ny, nx), bool), pts), want)
