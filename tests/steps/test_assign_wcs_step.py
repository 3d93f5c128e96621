"""assign_wcs on its own: the pipeline it builds, the SIP fit, the modes it skips or refuses,
and the product it writes (parity with jwst: tests/parity/test_assign_wcs.py)."""

import logging
import subprocess
import sys
import warnings

import asdf
import numpy as np
import pytest
from astropy.io import fits
from astropy.modeling import bind_bounding_box
from astropy.wcs import WCS as FitsWcs

from jwcal import datamodels as dm
from jwcal.errors import ConfigError, InputError, ReferenceFileError
from jwcal.simulate import simulate_rate
from jwcal.simulate.sky import read_truth_sources
from jwcal.steps.assign_wcs import AssignWcsStep
from jwcal.steps.assign_wcs.sip import fit_sip, native_tan, sampling_grid

MAS = 1.0 / 3.6e6


@pytest.fixture(scope="module")
def nircam(tmp_path_factory):
    """A NIRCam SUB640 rate with the analytic (no pysiaf) geometry."""
    return simulate_rate(
        tmp_path_factory.mktemp("nrc"),
        "nircam",
        "nrcb4",
        "SUB640",
        seed=4,
        filter="F210M",
        star_density=3e-4,
        use_pysiaf=False,
    )


def _refs(sim, *types):
    return {f"override_{t}": str(sim.refs[t]) for t in types}


def _copy_meta_model(sim, **meta):
    model = dm.open(sim.rate)
    for path, value in meta.items():
        model.meta.set(path, value)
    return model


# ----- the mathematics --------------------------------------------------------------------
def test_gnomonic_projection_is_exact():
    rng = np.random.default_rng(3)
    ra0, dec0 = 210.0, 63.0
    ra = ra0 + rng.uniform(-0.05, 0.05, 100)
    dec = dec0 + rng.uniform(-0.05, 0.05, 100)
    x, y = native_tan(ra, dec, ra0, dec0)
    # back through the textbook inverse (Calabretta & Greisen 2002, eq. 54 and 2)
    xr, yr = np.deg2rad(x), np.deg2rad(y)
    d0 = np.deg2rad(dec0)
    den = np.cos(d0) - yr * np.sin(d0)
    ra_b = ra0 + np.rad2deg(np.arctan2(xr, den))
    dec_b = np.rad2deg(np.arctan2(np.sin(d0) + yr * np.cos(d0), np.hypot(xr, den)))
    np.testing.assert_allclose(ra_b, ra, atol=1e-12)
    np.testing.assert_allclose(dec_b, dec, atol=1e-12)


def test_sampling_grid_spans_the_box():
    u, v = sampling_grid(12, ((-0.5, 319.5), (-0.5, 99.5)), (159.5, 49.5))
    assert u.size == v.size == 144
    assert (u.min(), u.max()) == pytest.approx((-160.0, 160.0))
    assert (v.min(), v.max()) == pytest.approx((-50.0, 50.0))


def _sip_header():
    h = fits.Header()
    h.update({
        "CTYPE1": "RA---TAN-SIP", "CTYPE2": "DEC--TAN-SIP", "CRPIX1": 512.5, "CRPIX2": 500.5,
        "CRVAL1": 80.0, "CRVAL2": -69.5, "CD1_1": -1.7e-5, "CD1_2": 2.0e-6,
        "CD2_1": 2.2e-6, "CD2_2": 1.7e-5, "A_ORDER": 2, "B_ORDER": 2, "A_2_0": 3e-6,
        "A_1_1": -2e-6, "A_0_2": 1e-6, "B_2_0": -1e-6, "B_1_1": 4e-6, "B_0_2": 2e-6,
    })  # fmt: skip
    return h


def test_sip_fit_recovers_a_sip_wcs():
    h = _sip_header()
    truth = FitsWcs(h)

    def forward(x, y):
        return truth.all_pix2world(np.asarray(x, float), np.asarray(y, float), 0)

    kws = fit_sip(forward, ((-0.5, 1023.5), (-0.5, 999.5)), crpix=(512.5, 500.5))
    assert kws["a_order"] == 2 and kws["ctype1"] == "RA---TAN-SIP"
    for k in ("A_2_0", "A_1_1", "A_0_2", "B_2_0", "B_1_1", "B_0_2", "CD1_1", "CD2_1"):
        assert kws[k.lower()] == pytest.approx(h[k], rel=1e-6), k
    assert kws["crval1"] == pytest.approx(80.0, abs=1e-12)
    assert kws["sipmxerr"] < 1e-6 and kws["sipiverr"] < 0.01


def test_sip_fit_of_a_plain_tan_is_linear():
    h = _sip_header()
    for k in list(h):
        if k[:2] in ("A_", "B_"):
            del h[k]
    h["CTYPE1"], h["CTYPE2"] = "RA---TAN", "DEC--TAN"
    w = FitsWcs(h)
    kws = fit_sip(lambda x, y: w.all_pix2world(x, y, 0), ((-0.5, 99.5), (-0.5, 99.5)))
    assert kws["ctype1"] == "RA---TAN" and "a_order" not in kws
    assert kws["crpix1"] == pytest.approx(50.5)  # the box centre (0-based 49.5), 1-based


# ----- the step ---------------------------------------------------------------------------
def test_imaging_wcs_and_truth(nircam):
    model = AssignWcsStep.call(nircam.rate, **_refs(nircam, "distortion", "filteroffset"))
    assert model.meta.cal_step.assign_wcs == "COMPLETE"
    assert model.meta.wcs.available_frames == ["detector", "v2v3", "v2v3vacorr", "world"]
    t = read_truth_sources(nircam.truth_sources)
    ra, dec = model.meta.wcs(np.asarray(t["x"]), np.asarray(t["y"]))
    sep = np.hypot((ra - t["ra"]) * np.cos(np.deg2rad(dec)), dec - t["dec"])
    assert sep.max() < MAS
    info = model.meta.wcsinfo
    assert info.ctype1 == "RA---TAN-SIP" and info.a_order >= 2
    assert info.pc1_1 is None and info.cdelt1 is None  # replaced by the CD matrix
    assert info.s_region.startswith("POLYGON ICRS  ")
    # the bounding box is the subarray's
    assert model.meta.wcs.bounding_box.bounding_box(order="F") == ((-0.5, 639.5), (-0.5, 639.5))


def test_product_round_trip(nircam, tmp_path):
    model = AssignWcsStep.call(nircam.rate, **_refs(nircam, "distortion", "filteroffset"))
    path = model.save(tmp_path / "x_assign_wcs.fits")
    back = dm.open(path)
    assert back.meta.wcs(100.0, 200.0) == model.meta.wcs(100.0, 200.0)
    hdr = fits.getheader(path, "SCI")
    assert hdr["CTYPE1"] == "RA---TAN-SIP" and "A_2_0" in hdr and "S_REGION" in hdr
    assert fits.getheader(path, 0)["S_WCS"] == "COMPLETE"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fw = FitsWcs(hdr)
    r1 = fw.all_pix2world([[100.0, 200.0]], 0)[0]
    r2 = model.meta.wcs(100.0, 200.0)
    assert (
        np.hypot((r1[0] - r2[0]) * np.cos(np.deg2rad(r2[1])), r1[1] - r2[1]) < 0.01 * 0.031 / 3600
    )


def test_filter_offset_moves_the_wcs(nircam):
    with_off = AssignWcsStep.call(nircam.rate, **_refs(nircam, "distortion", "filteroffset"))
    without = AssignWcsStep.call(
        nircam.rate, override_filteroffset="N/A", **_refs(nircam, "distortion")
    )
    rows = asdf.open(nircam.refs["filteroffset"]).tree["filters"]
    row = [r for r in rows if r["filter"] == "F210M" and r["pupil"] == "CLEAR"][0]
    assert abs(row["column_offset"]) + abs(row["row_offset"]) > 0
    x, y = 320.0, 320.0
    expect = without.meta.wcs(x + row["column_offset"], y + row["row_offset"])
    np.testing.assert_allclose(with_off.meta.wcs(x, y), expect, atol=1e-12)


def test_filter_offset_without_a_matching_row_is_zero(nircam, caplog):
    model = _copy_meta_model(nircam, **{"instrument.filter": "F070W", "instrument.pupil": "WLP8"})
    ref = AssignWcsStep.call(model, override_filteroffset="N/A", **_refs(nircam, "distortion"))
    with caplog.at_level(logging.WARNING):
        out = AssignWcsStep.call(model, **_refs(nircam, "distortion", "filteroffset"))
    assert "No FILTEROFFSET row" in caplog.text
    assert out.meta.wcs(5.0, 5.0) == ref.meta.wcs(5.0, 5.0)


def test_duplicate_filter_offset_rows_are_an_error(nircam, tmp_path):
    with asdf.open(nircam.refs["filteroffset"]) as af:
        tree = {"meta": af.tree["meta"], "filters": list(af.tree["filters"])}
    tree["filters"].append(
        {"filter": "F210M", "pupil": "CLEAR", "column_offset": 0.1, "row_offset": 0.2}
    )
    bad = tmp_path / "dup_filteroffset.asdf"
    asdf.AsdfFile(tree).write_to(bad)
    with pytest.raises(ReferenceFileError, match="2 rows"):
        AssignWcsStep.call(
            nircam.rate, override_filteroffset=str(bad), **_refs(nircam, "distortion")
        )


def test_calibration_exposures_are_skipped(nircam):
    model = _copy_meta_model(nircam, **{"exposure.type": "NRC_DARK"})
    out = AssignWcsStep.call(model, **_refs(nircam, "distortion", "filteroffset"))
    assert out.meta.cal_step.assign_wcs == "SKIPPED" and out.meta.wcs is None


def test_spectroscopic_modes_are_refused(nircam):
    model = _copy_meta_model(nircam, **{"exposure.type": "NRC_WFSS"})
    with pytest.raises(InputError, match="NRC_WFSS"):
        AssignWcsStep.call(model, **_refs(nircam, "distortion", "filteroffset"))


def test_missing_pointing_is_named(nircam):
    model = _copy_meta_model(nircam)
    del model.meta.wcsinfo.roll_ref
    with pytest.raises(InputError, match="ROLL_REF"):
        AssignWcsStep.call(model, **_refs(nircam, "distortion", "filteroffset"))


def test_distortion_is_required(nircam):
    with pytest.raises(ReferenceFileError, match="DISTORTION"):
        AssignWcsStep.call(nircam.rate, override_distortion="N/A")


def test_ramp_input_is_skipped(nircam):
    ramp = dm.RampModel((1, 2, 8, 8))
    ramp.meta.instrument.name = "NIRCAM"
    ramp.meta.exposure.type = "NRC_IMAGE"
    out = AssignWcsStep.call(ramp, **_refs(nircam, "distortion"))
    assert out.meta.cal_step.assign_wcs == "SKIPPED"


def test_sip_parameters(nircam):
    kw = _refs(nircam, "distortion", "filteroffset")
    fixed = AssignWcsStep.call(nircam.rate, sip_degree=4, sip_inv_degree=3, **kw)
    assert fixed.meta.wcsinfo.a_order == 4 and fixed.meta.wcsinfo.ap_order == 3
    off = AssignWcsStep.call(nircam.rate, sip_approx=False, **kw)
    assert off.meta.wcsinfo.a_order is None and off.meta.wcsinfo.pc1_1 is not None
    with pytest.raises(ConfigError, match="sip_degree"):
        AssignWcsStep(sip_degree=7)


def test_fgs_keeps_a_reference_bounding_box(tmp_path):
    sim = simulate_rate(
        tmp_path,
        "fgs",
        "guider1",
        "SUB128LL",
        seed=1,
        star_density=0.0,
        galaxy_density=0.0,
        use_pysiaf=False,
    )
    # a reference with its own (full-frame) bounding box: a corner subarray keeps it
    ref = dm.DistortionModel(str(sim.refs["distortion"]))
    bind_bounding_box(ref.model, ((-0.5, 2047.5), (-0.5, 2047.5)), order="F")
    boxed = ref.save(tmp_path / "boxed_distortion.asdf")
    out = AssignWcsStep.call(sim.rate, override_distortion=str(boxed))
    assert out.meta.wcs.bounding_box.bounding_box(order="F") == ((-0.5, 2047.5), (-0.5, 2047.5))
    plain = AssignWcsStep.call(sim.rate, **_refs(sim, "distortion"))
    assert plain.meta.wcs.bounding_box.bounding_box(order="F") == ((-0.5, 127.5), (-0.5, 127.5))


def test_miri_matches_filter_offsets_on_the_filter(tmp_path):
    sim = simulate_rate(
        tmp_path,
        "miri",
        None,
        "BRIGHTSKY",
        seed=2,
        filter="F1000W",
        star_density=0.0,
        galaxy_density=0.0,
        use_pysiaf=False,
    )
    rows = asdf.open(sim.refs["filteroffset"]).tree["filters"]
    row = [r for r in rows if r["filter"] == "F1000W"][0]
    a = AssignWcsStep.call(sim.rate, **_refs(sim, "distortion", "filteroffset"))
    b = AssignWcsStep.call(sim.rate, override_filteroffset="N/A", **_refs(sim, "distortion"))
    np.testing.assert_allclose(
        a.meta.wcs(10.0, 20.0),
        b.meta.wcs(10.0 + row["column_offset"], 20.0 + row["row_offset"]),
        atol=1e-12,
    )


def test_command_line(nircam, tmp_path):
    cmd = [sys.executable, "-m", "jwcal", "assign_wcs", str(nircam.rate),
           f"--override_distortion={nircam.refs['distortion']}",
           f"--override_filteroffset={nircam.refs['filteroffset']}",
           f"--output_dir={tmp_path}", "--sip_npoints=16"]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    out = tmp_path / nircam.rate.name.replace("_rate", "_assignwcsstep")  # as jwst names it
    assert out.exists(), sorted(p.name for p in tmp_path.iterdir())
    assert fits.getheader(out, 0)["S_WCS"] == "COMPLETE"


# ----- NIRSpec ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def nirspec(tmp_path_factory):
    return simulate_rate(tmp_path_factory.mktemp("nrs"), "nirspec", "nrs2", "SUB2048", seed=3,
                         filter="F140X", exp_type="NRS_MSATA", star_density=2e-3,
                         use_pysiaf=False)  # fmt: skip


def test_nirspec_image_through_the_optical_model(nirspec):
    kw = {f"override_{k}": str(v) for k, v in nirspec.refs.items()}
    model = AssignWcsStep.call(nirspec.rate, **kw)
    assert model.meta.wcs.available_frames == [
        "detector", "sca", "gwa", "msa", "oteip", "v2v3", "v2v3vacorr", "world"
    ]  # fmt: skip
    t = read_truth_sources(nirspec.truth_sources)
    assert len(t) > 0
    ra, dec = model.meta.wcs(np.asarray(t["x"]), np.asarray(t["y"]))
    assert np.hypot((ra - t["ra"]) * np.cos(np.deg2rad(dec)), dec - t["dec"]).max() < MAS
    assert model.meta.wcsinfo.waverange_start == pytest.approx(0.8e-6)
    assert model.meta.wcsinfo.spectral_order == 0
    assert model.meta.wcs.bounding_box.bounding_box(order="F") == ((-0.5, 2047.5), (-0.5, 31.5))
    # the grating-wheel tilt readings matter: without them the WCS moves
    m2 = dm.open(nirspec.rate)
    m2.meta.instrument.gwa_xtilt = None
    off = AssignWcsStep.call(m2, **kw)
    assert off.meta.wcs(1000.0, 16.0) != model.meta.wcs(1000.0, 16.0)


def test_nirspec_needs_its_references(nirspec):
    kw = {f"override_{k}": str(v) for k, v in nirspec.refs.items() if k != "ote"}
    with pytest.raises(ReferenceFileError, match="OTE"):
        AssignWcsStep.call(nirspec.rate, override_ote="N/A", **kw)


def test_nirspec_opaque_ends_at_the_msa(nirspec):
    kw = {f"override_{k}": str(v) for k, v in nirspec.refs.items()}
    model = _copy_meta_model(nirspec, **{"instrument.filter": "OPAQUE"})
    out = AssignWcsStep.call(model, **kw)
    assert out.meta.wcs.output_frame.name == "msa"
    assert out.meta.wcsinfo.s_region is None and out.meta.wcsinfo.a_order is None
    assert out.meta.cal_step.assign_wcs == "COMPLETE"


def test_nirspec_spectroscopy_is_refused(nirspec):
    model = _copy_meta_model(nirspec, **{"exposure.type": "NRS_FIXEDSLIT"})
    with pytest.raises(InputError, match="NRS_FIXEDSLIT"):
        AssignWcsStep.call(model)


def test_direction_cosine_models_invert():
    from jwcal.steps.assign_wcs.nirspec import dircos_to_unitless, unitless_to_dircos

    x, y = np.array([0.1, -0.2]), np.array([0.05, 0.3])
    cx, cy, cz = unitless_to_dircos()(x, y)
    np.testing.assert_allclose(cx**2 + cy**2 + cz**2, 1.0)
    np.testing.assert_allclose(dircos_to_unitless()(cx, cy, cz), (x, y))
    np.testing.assert_allclose(unitless_to_dircos().inverse(cx, cy, cz), (x, y))


def test_references_found_in_a_reference_directory(nircam, nirspec):
    a = AssignWcsStep.call(nircam.rate, refdir=str(nircam.outdir / "refs"))
    assert a.meta.ref_file.distortion.name.endswith("nrcb4_distortion.asdf")
    assert a.meta.ref_file.filteroffset.name.endswith("nrcb4_filteroffset.asdf")
    b = AssignWcsStep.call(nirspec.rate, refdir=str(nirspec.outdir / "refs"))
    assert b.meta.ref_file.ote.name.endswith("nrs2_ote.asdf")
    assert b.meta.cal_step.assign_wcs == "COMPLETE"
