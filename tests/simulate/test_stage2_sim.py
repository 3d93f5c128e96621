"""The simulator's stage-2 side: geometry, pointing, the sky catalogue, rate products and the
FLAT / PHOTOM / AREA / DISTORTION / FILTEROFFSET references."""

import asdf
import numpy as np
import pytest
from astropy.io import fits

from jwcal import datamodels as dm
from jwcal.errors import ConfigError
from jwcal.simulate import detector_spec, simulate_rate, subarray_spec
from jwcal.simulate.exposure_wcs import exposure_wcs
from jwcal.simulate.geometry import aperture_for, have_pysiaf, poly_eval, poly_terms
from jwcal.simulate.pointing import Attitude, position_angle, unit_vector, va_scale_factor
from jwcal.simulate.sky import read_truth_sources
from jwcal.simulate.wcsrefs import distortion_transform

NO_SCENE = dict(star_density=0.0, galaxy_density=0.0)


@pytest.fixture(scope="module", params=["siaf", "analytic"])
def aperture(request):
    if request.param == "siaf" and not have_pysiaf():
        pytest.skip("pysiaf is not installed")
    return aperture_for(detector_spec("nircam", "nrca1"), request.param == "siaf")


def test_poly_eval_is_the_siaf_sum():
    rng = np.random.default_rng(1)
    c = rng.normal(size=len(poly_terms(4)))
    x, y = rng.normal(size=(2, 50))
    naive = sum(ci * x**p * y**q for ci, (p, q) in zip(c, poly_terms(4), strict=True))
    np.testing.assert_allclose(poly_eval(c, x, y), naive, rtol=1e-12)


def test_poly_eval_on_an_open_grid_is_the_full_grid():
    # the pixel-area map evaluates on np.ogrid: the same numbers as on the full grid
    c = np.random.default_rng(2).normal(size=len(poly_terms(4)))
    yo, xo = np.ogrid[-40.0:40.0:7, -90.0:90.0:11]
    yf, xf = np.broadcast_arrays(yo, xo)
    grid = poly_eval(c, xo, yo)
    assert grid.shape == xf.shape
    np.testing.assert_array_equal(grid, poly_eval(c, xf, yf))


def test_pixel_sky_round_trip(aperture):
    x = np.array([0.0, 100.3, 1023.5, 2047.0])
    y = np.array([2047.0, 5.5, 1023.5, 0.0])
    v2, v3 = aperture.pixel_to_v2v3(x, y)
    xb, yb = aperture.v2v3_to_pixel(v2, v3)
    np.testing.assert_allclose(xb, x, atol=1e-8)
    np.testing.assert_allclose(yb, y, atol=1e-8)
    # the reference pixel is at (V2Ref, V3Ref)
    v2r, v3r = aperture.pixel_to_v2v3(aperture.xsciref - 1, aperture.ysciref - 1)
    assert v2r == pytest.approx(aperture.v2ref, abs=1e-9)
    assert v3r == pytest.approx(aperture.v3ref, abs=1e-9)


def test_pixel_area_is_the_jacobian(aperture):
    x, y, h = 300.0, 1700.0, 1e-3
    xi0, eta0 = aperture.pixel_to_ideal(x, y)
    xi1, eta1 = aperture.pixel_to_ideal(x + h, y)
    xi2, eta2 = aperture.pixel_to_ideal(x, y + h)
    fd = abs((xi1 - xi0) * (eta2 - eta0) - (xi2 - xi0) * (eta1 - eta0)) / h**2
    assert aperture.pixel_area(x, y) == pytest.approx(fd, rel=1e-6)


def test_distortion_model_matches_the_geometry(aperture):
    model = distortion_transform(aperture)
    x = np.array([0.0, 511.2, 2047.0])
    y = np.array([13.0, 1900.7, 2047.0])
    v2, v3 = model(x, y)
    e2, e3 = aperture.pixel_to_v2v3(x, y)
    np.testing.assert_allclose(v2, e2, atol=1e-9)
    np.testing.assert_allclose(v3, e3, atol=1e-9)
    # its inverse is the SIAF's ideal -> science polynomial: good to a few milli-pixels
    xb, yb = model.inverse(v2, v3)
    assert np.abs(xb - x).max() < 0.02 and np.abs(yb - y).max() < 0.02


def test_attitude_puts_the_reference_point_where_asked():
    att = Attitude.from_reference(120.5, -527.5, 210.0, 54.3, 123.4)
    ra, dec = att.v2v3_to_radec(120.5, -527.5)
    assert ra == pytest.approx(210.0, abs=1e-10) and dec == pytest.approx(54.3, abs=1e-10)
    assert att.roll_at(120.5, -527.5) == pytest.approx(123.4, abs=1e-9)
    # V3 at the reference point points at ROLL_REF east of north: a point 10" up V3 lies there
    a = unit_vector(ra, dec)
    b = unit_vector(*att.v2v3_to_radec(120.5, -517.5))
    assert position_angle(a, b - a) == pytest.approx(123.4, abs=1e-3)
    v2, v3 = att.radec_to_v2v3(*att.v2v3_to_radec(-300.0, 200.0))
    assert v2 == pytest.approx(-300.0, abs=1e-8) and v3 == pytest.approx(200.0, abs=1e-8)


def test_slew_moves_the_sky_across_the_reference():
    att = Attitude.from_reference(0.0, -500.0, 10.0, -5.0, 30.0)
    moved = att.moved(0.0, -500.0, 3.0, -498.0)
    # the sky that was at (3, -498) now sits on the reference point
    np.testing.assert_allclose(
        moved.v2v3_to_radec(0.0, -500.0), att.v2v3_to_radec(3.0, -498.0), atol=1e-11
    )


def test_velocity_aberration_scale():
    v = np.array([0.0, 30.0, 0.0])
    b = 30 / 299792.458
    # towards the apex the field shrinks by (1 + beta) / gamma^-1; across it, by gamma
    assert va_scale_factor(v, 90.0, 0.0) == pytest.approx((1 + b) / np.sqrt(1 - b * b), rel=1e-12)
    assert va_scale_factor(v, 0.0, 0.0) == pytest.approx(1 / np.sqrt(1 - b * b), rel=1e-12)


def test_exposure_wcs_round_trip_and_dither():
    det = detector_spec("nircam", "nrcb2")
    sub = subarray_spec(det, "SUB640")
    ew = exposure_wcs(det, sub, filt="F200W", pupil="CLEAR", pointing=(150.0, 2.2, 77.0))
    x, y = np.array([0.0, 320.0, 639.0]), np.array([639.0, 100.0, 0.0])
    xb, yb = ew.radec_to_pixel(*ew.pixel_to_radec(x, y))
    np.testing.assert_allclose(xb, x, atol=1e-8)
    np.testing.assert_allclose(yb, y, atol=1e-8)
    kw = ew.keywords()
    assert kw["wcsinfo.ra_ref"] == pytest.approx(150.0) and kw["wcsinfo.roll_ref"] == pytest.approx(
        77.0
    )
    assert kw["velocity_aberration.scale_factor"] == pytest.approx(1.0, abs=2e-4)
    # a dither of (+2", +1") in the ideal frame moves the target there
    dith = exposure_wcs(
        det, sub, filt="F200W", pupil="CLEAR", pointing=(150.0, 2.2, 77.0), dither_arcsec=(2.0, 1.0)
    )
    tx, ty = dith.radec_to_pixel(150.0, 2.2)
    xi, eta = ew.aperture.pixel_to_ideal(
        tx + sub.xstart - 1 + dith.col_offset, ty + sub.ystart - 1 + dith.row_offset
    )
    xi0, eta0 = ew.aperture.pixel_to_ideal(*_ref_full(ew, sub))
    assert xi - xi0 == pytest.approx(2.0, abs=2e-3) and eta - eta0 == pytest.approx(1.0, abs=2e-3)


def _ref_full(ew, sub):
    return ew.xref_sci - 1 + sub.xstart - 1, ew.yref_sci - 1 + sub.ystart - 1


@pytest.fixture(scope="module")
def rate_sim(tmp_path_factory):
    return simulate_rate(
        tmp_path_factory.mktemp("rate"),
        "nircam",
        "nrca3",
        "SUB160",
        seed=5,
        filter="F200W",
        star_density=5e-4,
    )


def test_rate_product_and_truth(rate_sim):
    r = rate_sim
    assert r.rate.name == "jw01234001001_01101_00001_nrca3_rate.fits"
    with dm.open(r.rate) as m:
        assert m.shape == (160, 160)
        assert m.meta.bunit_data == "DN/s"
        assert m.meta.cal_step.ramp_fit == "COMPLETE"
        assert m.meta.wcsinfo.v2_ref == pytest.approx(r.wcs.v2_ref)
        assert m.meta.wcsinfo.ra_ref == pytest.approx(53.16, abs=1e-9)
        assert m.meta.velocity_aberration.scale_factor == r.wcs.va_scale
        good = np.isfinite(m.data)
        np.testing.assert_allclose(
            m.err[good] ** 2, m.var_poisson[good] + m.var_rnoise[good], rtol=1e-5
        )
    t = read_truth_sources(r.truth_sources)
    assert len(t) > 3
    ra, dec = r.wcs.pixel_to_radec(t["x"], t["y"])
    np.testing.assert_allclose(ra, t["ra"], atol=1e-12)
    np.testing.assert_allclose(dec, t["dec"], atol=1e-12)
    stage2 = {"flat", "photom", "area", "distortion", "filteroffset"}
    assert set(r.refs) == stage2 | {"apcorr", "abvegaoffset"}  # source_catalog's too


def test_flat_photom_area_give_the_sky_and_the_fluxes(tmp_path):
    r = simulate_rate(
        tmp_path,
        "niriss",
        "nis",
        "SUB256",
        seed=2,
        noise=False,
        bad_pixels=False,
        star_density=3e-4,
        galaxy_density=0.0,
        bright_limit=2e3,
    )
    rate = dm.open(r.rate).data
    flat = dm.open(r.refs["flat"]).data
    ph = dm.open(r.refs["photom"])
    row = [p for p in ph.phot_table if p["filter"] == "CLEAR" and p["pupil"] == "F150W"][0]
    pixar = ph.meta.photometry.pixelarea_steradians
    area = fits.getdata(r.refs["area"], "SCI")[1792:2048, 1792:2048]
    sb = rate / flat * row["photmjsr"]
    cat = read_truth_sources(r.truth_sources)
    from astropy.table import Table

    sky = Table.read(r.truth_catalog).meta["sky_mjysr"]
    # away from the sources the calibrated image is the sky surface brightness
    assert np.median(sb[4:-4, 4:-4]) == pytest.approx(sky, rel=2e-3)
    # an isolated star: sum(SB * solid angle) is its flux
    stars = cat[
        (cat["kind"] == "star")
        & (cat["x"] > 20)
        & (cat["x"] < 235)
        & (cat["y"] > 20)
        & (cat["y"] < 235)
    ]
    assert len(stars) > 0
    s = stars[np.argmax(stars["flux_jy"])]
    ix, iy = int(round(s["x"])), int(round(s["y"]))
    win = (slice(iy - 15, iy + 16), slice(ix - 15, ix + 16))
    flux = np.sum((sb[win] - sky) * area[win]) * pixar * 1e6
    assert flux == pytest.approx(s["flux_jy"], rel=0.03)


def test_asdf_references_carry_what_jwst_needs(rate_sim):
    with asdf.open(rate_sim.refs["distortion"]) as af:
        meta = af.tree["meta"]
        assert meta["reftype"] == "DISTORTION"
        assert meta["instrument"]["module"] == "A" and meta["instrument"]["channel"] == "SHORT"
        assert "CLEAR" in meta["instrument"]["p_pupil"]
        assert meta["input_units"] == "pixel" and meta["output_units"] == "arcsec"
        v2, v3 = af.tree["model"](1023.5, 1023.5)
        assert (v2, v3) == pytest.approx(
            aperture_for(detector_spec(None, "nrca3")).pixel_to_v2v3(1023.5, 1023.5)
        )
    with asdf.open(rate_sim.refs["filteroffset"]) as af:
        rows = af.tree["filters"]
        assert {"filter", "pupil", "column_offset", "row_offset"} <= set(rows[0])
        assert any(r["filter"] == "F200W" and r["pupil"] == "CLEAR" for r in rows)
    assert dm.open(rate_sim.refs["area"]).shape == (2048, 2048)


def test_miri_filter_offsets_have_no_pupil(tmp_path):
    r = simulate_rate(tmp_path, "miri", None, "SUB256", seed=1, **NO_SCENE)
    with asdf.open(r.refs["filteroffset"]) as af:
        assert all("pupil" not in row for row in af.tree["filters"])
    ph = dm.open(r.refs["photom"])
    assert {"FULL", "SUB256"} <= set(ph.phot_table["subarray"])


def test_nirspec_spectroscopy_has_no_rate(tmp_path):
    with pytest.raises(ConfigError, match="imaging"):
        simulate_rate(tmp_path, "nirspec", "nrs1", exp_type="NRS_FIXEDSLIT")


def test_dithered_observation_shares_one_sky(tmp_path):
    from astropy.table import Table

    from jwcal.associations import load_asn
    from jwcal.simulate import simulate_dithers

    res = simulate_dithers(
        tmp_path,
        "nircam",
        "nrca2",
        "SUB400P",
        dithers=3,
        seed=7,
        star_density=1e-3,
        galaxy_density=0.0,
    )
    assert len(res.exposures) == 3 and res.offsets[0] == (0.0, 0.0)
    cat = Table.read(res.truth_catalog)
    tables = [read_truth_sources(e.truth_sources) for e in res.exposures]
    # a source seen in every exposure moved by about the dither offset
    common = set(tables[0]["id"]) & set(tables[1]["id"]) & set(tables[2]["id"])
    assert len(common) > 5
    sid = sorted(common)[0]
    rows = [t[t["id"] == sid][0] for t in tables]
    for e, r in zip(res.exposures, rows, strict=True):
        assert (r["ra"], r["dec"]) == (cat["ra"][sid - 1], cat["dec"][sid - 1])
        np.testing.assert_allclose(
            e.wcs.pixel_to_radec(r["x"], r["y"]), (r["ra"], r["dec"]), atol=1e-12
        )
    ap = res.exposures[0].wcs.aperture
    dx = rows[1]["x"] - rows[0]["x"]
    assert dx == pytest.approx(res.offsets[1][0] / ap.scales[0], abs=0.5)
    a3 = load_asn(res.asn_image3)
    assert [m["expname"] for m in a3.members()] == [
        p.name.replace("_rate", "_cal") for p in res.inputs
    ]
    assert len(load_asn(res.asn_image2).products) == 3


def test_cli_rate_and_dithers(tmp_path, capsys):
    from jwcal.cli import main

    rc = main(
        [
            "simulate",
            "--instrument",
            "niriss",
            "--subarray",
            "SUB80",
            "--rate",
            "--outdir",
            str(tmp_path / "one"),
        ]
    )
    assert rc == 0 and "rate:" in capsys.readouterr().out
    assert list((tmp_path / "one").glob("*_rate.fits"))
    rc = main(
        [
            "simulate",
            "--instrument",
            "fgs",
            "--subarray",
            "SUB128CNTR",
            "--rate",
            "--dithers",
            "2",
            "--outdir",
            str(tmp_path / "two"),
        ]
    )
    assert rc == 0
    assert len(list((tmp_path / "two").glob("*_rate.fits"))) == 2
    assert (tmp_path / "two" / "image3_asn.json").exists()


def test_nirspec_optics_reproduce_the_siaf(tmp_path):
    from jwcal.simulate.geometry import sees_the_sky
    from jwcal.simulate.nirspec_refs import nirspec_optics

    det = detector_spec(None, "nrs1")
    assert sees_the_sky(det, "NRS_TACQ") and not sees_the_sky(det, "NRS_FIXEDSLIT")
    optics = nirspec_optics(det, aperture_for(det, False))
    assert optics.fit_error < 1e-6  # arcsec
    r = simulate_rate(tmp_path, "nirspec", "nrs1", "SUB32", exp_type="NRS_WATA", use_pysiaf=False,
                      **NO_SCENE)  # fmt: skip
    assert set(r.refs) == {"disperser", "fpa", "camera", "collimator", "fore", "ote",
                           "wavelengthrange"}  # fmt: skip
    with dm.open(r.rate) as m:
        assert m.meta.instrument.grating == "MIRROR" and m.meta.instrument.gwa_xtilt is not None
    with pytest.raises(ConfigError, match="imaging"):
        simulate_rate(tmp_path, "nirspec", "nrs1", exp_type="NRS_IFU")
