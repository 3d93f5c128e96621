"""The simulator: determinism, switches, keywords and reference-file conventions."""

import numpy as np
import pytest
from astropy.io import fits

from jwcal import datamodels as dm
from jwcal.errors import ConfigError
from jwcal.simulate import detector_spec, frame_time, simulate_exposure, subarray_spec
from jwcal.simulate.detector import (
    apply_ipc,
    delinearize,
    ipc_forward_kernel,
    ipc_inverse_kernel,
    linearize,
    make_detector_maps,
    readout_geometry,
)
from jwcal.simulate.instruments import read_pattern
from jwcal.simulate.ramp import group_frames
from jwcal.simulate.readout import IRS2Layout
from jwcal.simulate.truth import read_jumps

SMALL = dict(instrument="nircam", detector="nrca1", subarray="SUB64P", ngroups=4, nints=1)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    return simulate_exposure(tmp_path_factory.mktemp("sim"), seed=3, zeroframe=True, **SMALL)


def test_same_seed_same_bytes(tmp_path, sim):
    again = simulate_exposure(tmp_path, seed=3, zeroframe=True, **SMALL)
    a = dm.open(sim.uncal).data
    b = dm.open(again.uncal).data
    np.testing.assert_array_equal(a, b)
    other = simulate_exposure(tmp_path / "o", seed=4, **SMALL)
    assert not np.array_equal(a, dm.open(other.uncal).data)


def test_primary_keywords_of_a_real_uncal(sim):
    hdr = fits.getheader(sim.uncal, 0)
    need = (
        "TELESCOP INSTRUME DETECTOR EXP_TYPE READPATT NINTS NGROUPS NFRAMES GROUPGAP NRESETS "
        "NRSTSTRT DRPFRMS1 DRPFRMS3 FRMDIVSR TSAMPLE TFRAME TGROUP EFFINTTM EFFEXPTM DURATION "
        "ZEROFRAM SUBARRAY SUBSTRT1 SUBSTRT2 SUBSIZE1 SUBSIZE2 FASTAXIS SLOWAXIS TSOVISIT "
        "DATE-OBS TIME-OBS EXPSTART EXPMID EXPEND FILTER PUPIL CHANNEL MODULE PROGRAM OBSERVTN "
        "VISIT VISITGRP SEQ_ID ACT_ID EXPOSURE NOUTPUTS"
    ).split()
    missing = [k for k in need if k not in hdr]
    assert not missing
    assert hdr["SUBSIZE1"] == 64 and hdr["NGROUPS"] == 4 and hdr["NFRAMES"] == 2
    assert hdr["TGROUP"] == pytest.approx(2 * hdr["TFRAME"])
    assert sim.uncal.name == "jw01234001001_01101_00001_nrca1_uncal.fits"
    with fits.open(sim.uncal) as hd:
        assert hd["SCI"].data.dtype.kind in "iu" and hd["SCI"].header["BITPIX"] == 16
        assert len(hd["GROUP"].data) == 4
        assert len(hd["INT_TIMES"].data) == 1
        assert hd["ZEROFRAME"].data.shape == (1, 64, 64)


def test_reference_files_have_the_keywords_jwst_needs(sim):
    expected = {
        "mask",
        "saturation",
        "superbias",
        "linearity",
        "dark",
        "gain",
        "readnoise",
        "ipc",
        "persat",
        "trapdensity",
        "trappars",
    }
    assert expected <= set(sim.refs)
    for rt, path in sim.refs.items():
        if path.suffix == ".asdf":
            continue  # DISTORTION, FILTEROFFSET: tests/simulate/test_stage2_sim.py
        hdr = fits.getheader(path, 0)
        for k in (
            "REFTYPE",
            "INSTRUME",
            "DETECTOR",
            "USEAFTER",
            "DESCRIP",
            "AUTHOR",
            "PEDIGREE",
            "SUBSTRT1",
            "SUBSTRT2",
            "SUBSIZE1",
            "SUBSIZE2",
        ):
            assert k in hdr, (rt, k)
        assert hdr["REFTYPE"] == rt.upper()
    dark = fits.getheader(sim.refs["dark"], 0)
    assert dark["NFRAMES"] == 1 and dark["GROUPGAP"] == 0  # frame-resolved


def test_saturation_reference_is_raw_dn_with_bias(sim):
    sat = fits.getdata(sim.refs["saturation"], "SCI")
    bias = fits.getdata(sim.refs["superbias"], "SCI")
    sci = fits.getdata(sim.refs["mask"], "DQ") == 0
    assert np.all(sat[sci] > bias[sci] + 20000)
    assert np.all(sat <= 65535)


def test_readnoise_reference_is_cds_noise(tmp_path):
    # Dark, noise-only ramps: the scatter of a group difference is the CDS noise.
    s = simulate_exposure(
        tmp_path,
        instrument="nircam",
        detector="nrca1",
        subarray="SUB320",
        readpatt="RAPID",
        ngroups=2,
        seed=1,
        scene=False,
        dark=False,
        cosmic_rays=False,
        refpix_drifts=False,
    )
    d = dm.open(s.uncal).data.astype(float)
    cds = d[0, 1] - d[0, 0]
    rn = fits.getdata(s.refs["readnoise"], "SCI")
    sci = fits.getdata(s.truth_masks, "DQ") == 0
    ratio = np.std(cds[sci]) / np.sqrt(np.mean(rn[sci] ** 2))
    assert ratio == pytest.approx(1.0, abs=0.03)


def test_ipc_reference_inverts_the_forward_coupling():
    fwd = ipc_forward_kernel(0.006)
    assert fwd.sum() == pytest.approx(1.0)
    inv = ipc_inverse_kernel(fwd, 5)
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 1000, (40, 40)).astype(np.float64)
    region = (slice(0, 40), slice(0, 40))
    back = apply_ipc(apply_ipc(img, fwd, region), inv, region)
    # Zero padding on both sides makes the round trip exact except for the cut kernel.
    assert np.max(np.abs(back - img)[3:-3, 3:-3]) < 1e-5 * img.max()
    assert not np.allclose(apply_ipc(img, fwd, region), img)


def test_ipc_reference_file_is_the_inverse(sim):
    k = fits.getdata(sim.refs["ipc"], "SCI")
    assert k.shape == (5, 5)
    assert k[2, 2] > 1 and k[2, 1] < 0  # deconvolution: centre above 1, negative neighbours


def test_linearity_coeffs_invert_the_injected_curve(sim):
    co = fits.getdata(sim.refs["linearity"], "COEFFS").astype(np.float64)
    maps = make_detector_maps(detector_spec("nircam", "nrca1")).cut(
        subarray_spec(detector_spec("nircam", "nrca1"), "SUB64P")
    )
    t = np.linspace(0, 50000, 11)[:, None, None] * np.ones((1, 64, 64))
    m = delinearize(t.astype(np.float32), maps.lin_c2, maps.lin_c3).astype(np.float64)
    corrected = co[0] + co[1] * m + co[2] * m**2 + co[3] * m**3
    sci = ~maps.refpix
    assert np.max(np.abs(corrected - t)[:, sci]) < 0.05
    assert np.max(np.abs(m - t)[:, sci]) > 1000  # the curve is really non-linear


def test_delinearize_is_the_inverse_of_linearize():
    c2 = np.float32(1.4e-6)
    c3 = np.float32(1.2e-11)
    t = np.linspace(-50, 60000, 1000).astype(np.float32)
    assert np.max(np.abs(linearize(delinearize(t, c2, c3), c2, c3) - t)) < 0.02


def test_switches_turn_effects_off(tmp_path):
    quiet = simulate_exposure(
        tmp_path,
        seed=2,
        scene=False,
        bias=False,
        read_noise=False,
        poisson=False,
        dark=False,
        refpix_drifts=False,
        cosmic_rays=False,
        **SMALL,
    )
    d = dm.open(quiet.uncal).data
    assert np.all(d == 0)
    assert len(read_jumps(quiet.truth_jumps)) == 0


def test_flat_scene_and_truth_rate(tmp_path):
    s = simulate_exposure(tmp_path, seed=2, flat_scene=True, sky=5.0, **SMALL)
    truth = fits.getdata(s.truth_rate, "SCI")
    masks = fits.open(s.truth_masks)
    qe = masks["QE"].data
    sci = qe > 0
    np.testing.assert_allclose(truth[sci], 5.0 * qe[sci], rtol=1e-6)
    assert np.all(truth[~sci] == 0)


def test_cosmic_rays_at_the_requested_rate(tmp_path):
    s = simulate_exposure(
        tmp_path,
        instrument="nircam",
        detector="nrca1",
        subarray="SUB640",
        readpatt="RAPID",
        ngroups=20,
        seed=5,
        cr_rate=5.0,
        large_events=False,
        scene=False,
    )
    area = 636 * 636 * (18e-4) ** 2  # light-sensitive pixels of SUB640 at the corner
    duration = 20 * fits.getheader(s.uncal)["TFRAME"]
    expected = 5.0 * area * duration
    assert s.n_events == pytest.approx(expected, rel=4 / np.sqrt(expected))
    jumps = read_jumps(s.truth_jumps)
    big = jumps[jumps["amplitude"] > 100]
    assert len(np.unique(big["event"])) > 0.5 * s.n_events
    # Each jump shows up in the raw ramp as a step at its group.
    d = dm.open(s.uncal).data.astype(float)[0]
    mid = big[big["amplitude"] < 5000]  # well below saturation
    for row in mid[:30]:
        g, y, x = row["group"], row["y"], row["x"]
        if 0 < g:
            step = d[g, y, x] - d[g - 1, y, x]
            assert step > 0.5 * row["amplitude"] * 0.9


def test_saturation_truth_matches_the_raw_data(tmp_path):
    s = simulate_exposure(
        tmp_path,
        instrument="nircam",
        detector="nrca1",
        subarray="SUB160",
        readpatt="RAPID",
        ngroups=6,
        seed=8,
        bright_limit=5e6,
        star_density=2e-3,
    )
    d = dm.open(s.uncal).data[0]
    sat = fits.getdata(s.refs["saturation"], "SCI")
    first = fits.getdata(s.truth_saturation, "FIRST_SAT")[0]
    assert (first < 6).sum() > 0
    for g in range(6):
        np.testing.assert_array_equal(first <= g, np.any(d[: g + 1] >= sat, axis=0))


def test_bad_pixels_match_the_mask(sim):
    mask = fits.getdata(sim.refs["mask"], "DQ")
    masks = fits.open(sim.truth_masks)
    np.testing.assert_array_equal(mask, masks["DQ"].data)
    dead = (mask & 1024) != 0
    assert np.all(masks["QE"].data[dead] == 0)
    hot = (mask & 2048) != 0
    assert np.all(masks["DARK"].data[hot] >= 1.0)


def test_frame_times_from_geometry():
    nrc = detector_spec("nircam", "nrca1")
    rp = read_pattern(nrc, "RAPID")
    assert frame_time(nrc, subarray_spec(nrc, "FULL"), rp)[0] == pytest.approx(10.73676)
    assert frame_time(nrc, subarray_spec(nrc, "SUB320"), rp)[0] == pytest.approx(1.06904)
    assert frame_time(nrc, subarray_spec(nrc, "SUBGRISM256"), rp)[0] == pytest.approx(1.34668)
    nis = detector_spec("niriss", None)
    assert frame_time(nis, subarray_spec(nis, "SUB80"), read_pattern(nis, "NISRAPID"))[
        0
    ] == pytest.approx(0.07544)
    nrs = detector_spec("nirspec", "nrs1")
    irs2 = read_pattern(nrs, "NRSIRS2")
    assert frame_time(nrs, subarray_spec(nrs, "FULL", irs2=True), irs2)[0] == pytest.approx(
        14.58889, abs=1e-4
    )


def test_group_frames_follow_the_read_pattern():
    nrc = detector_spec("nircam", "nrca1")
    fr = group_frames(read_pattern(nrc, "MEDIUM8"), 3)
    assert [list(r) for r in fr] == [list(range(0, 8)), list(range(10, 18)), list(range(20, 28))]


def test_readout_geometry_follows_fastaxis():
    nis = detector_spec("niriss", None)  # FASTAXIS=-2: amplifiers are horizontal bands
    geo = readout_geometry(nis, subarray_spec(nis, "FULL"))
    assert geo.amp[0, 0] == 3 and geo.amp[-1, 0] == 0 and geo.amp[0, -1] == 3
    nrc = detector_spec("nircam", "nrca1")  # FASTAXIS=-1: vertical bands, mirrored
    geo = readout_geometry(nrc, subarray_spec(nrc, "FULL"))
    assert geo.amp[0, 0] == 3 and geo.amp[0, -1] == 0


def test_irs2_layout_matches_jwst_mask():
    from jwst.ipc import x_irs2

    lay = IRS2Layout()
    mask = x_irs2.make_mask(np.zeros((1, 1, 3200, 2048)))
    np.testing.assert_array_equal(lay.normal, mask)
    assert lay.normal.sum() == 2048


def test_unknown_names_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown detector"):
        simulate_exposure(tmp_path, instrument="nircam", detector="nrcz9")
    with pytest.raises(ConfigError, match="read pattern"):
        simulate_exposure(tmp_path, instrument="nircam", detector="nrca1", readpatt="FAST")
    with pytest.raises(ConfigError, match="subarray"):
        simulate_exposure(tmp_path, instrument="miri", subarray="SUB320")
    with pytest.raises(ConfigError, match="unknown simulator option"):
        simulate_exposure(tmp_path, instrument="miri", cosmic=False)


def test_guider_track_product(tmp_path):
    s = simulate_exposure(
        tmp_path, instrument="fgs", detector="guider1", guide_mode="TRACK", nints=5, seed=1
    )
    model = dm.open(s.uncal)
    assert isinstance(model, dm.GuiderRawModel)
    assert model.data.shape == (5, 2, 32, 32)
    assert model.meta.exposure.type == "FGS_TRACK"
    assert {"mask", "gain", "readnoise", "flat"} == set(s.refs)


def test_miri_products(tmp_path):
    s = simulate_exposure(tmp_path, instrument="miri", subarray="SUB64", ngroups=6, nints=2, seed=1)
    assert {"reset", "rscd", "lastframe", "emicorr", "dark"} <= set(s.refs)
    assert fits.getdata(s.refs["dark"], "SCI").ndim == 4
    assert dm.open(s.uncal).data.shape == (2, 6, 64, 72)


def test_cli_writes_the_products(tmp_path, capsys):
    from jwcal.cli import main

    rc = main(
        [
            "simulate",
            "--instrument",
            "nircam",
            "--detector",
            "nrcb1",
            "--subarray",
            "SUB64P",
            "--ngroups",
            "3",
            "--seed",
            "2",
            "--no-cosmic-rays",
            "--outdir",
            str(tmp_path),
        ]
    )
    assert rc == 0
    out = capsys.readouterr().out
    assert "uncal:" in out
    assert list(tmp_path.glob("jw*_nrcb1_uncal.fits"))
    assert (tmp_path / "truth_rate.fits").exists() and (tmp_path / "refs").is_dir()
