"""The simulator's stage-3 scenario: pointing errors in the keywords, sky offsets, residual
cosmic rays and the truth that records them."""

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from jwcal import datamodels as dm
from jwcal.errors import ConfigError
from jwcal.simulate import simulate_dithers, simulate_image3

ERRORS = [(0.0, 0.0, 0.0), (0.2, -0.1, 0.0)]
SKY = [0.0, 0.03]


@pytest.fixture(scope="module")
def sims(tmp_path_factory):
    kw = dict(instrument="nircam", detector="nrcb1", subarray="SUB160", dithers=2, seed=3)
    plain = simulate_dithers(tmp_path_factory.mktemp("plain"), **kw)
    s3 = simulate_image3(tmp_path_factory.mktemp("s3"), calibrate=False, wcs_errors=ERRORS,
                         sky_offsets=SKY, **kw)  # fmt: skip
    return plain, s3


def test_truth_table_records_what_was_injected(sims):
    _, s3 = sims
    t = Table.read(s3.truth, format="ascii.ecsv")
    assert list(t["dra_arcsec"]) == [0.0, 0.2]
    assert list(t["ddec_arcsec"]) == [0.0, -0.1]
    assert list(t["sky_offset_mjysr"]) == SKY
    assert all(t["n_outliers"] > 0)


def test_pointing_error_moves_the_keywords_not_the_sky(sims):
    plain, s3 = sims
    a, b = dm.open(plain.exposures[1].rate), dm.open(s3.rates[1])
    dec = a.meta.wcsinfo.dec_ref
    dra = (b.meta.wcsinfo.ra_ref - a.meta.wcsinfo.ra_ref) * 3600 * np.cos(np.deg2rad(dec))
    ddec = (b.meta.wcsinfo.dec_ref - a.meta.wcsinfo.dec_ref) * 3600
    assert dra == pytest.approx(0.2, abs=2e-3)
    assert ddec == pytest.approx(-0.1, abs=2e-3)
    # the first exposure has no error: its keywords are the plain ones
    a0, b0 = dm.open(plain.exposures[0].rate), dm.open(s3.rates[0])
    assert b0.meta.wcsinfo.ra_ref == a0.meta.wcsinfo.ra_ref


def test_sky_offset_and_outliers_are_added_to_the_rate(sims):
    plain, s3 = sims
    flat = fits.getdata(s3.refs["flat"], "SCI").astype(float)
    for k in range(2):
        a = dm.open(plain.exposures[k].rate).data.astype(float)
        b = dm.open(s3.rates[k]).data.astype(float)
        hits = Table.read(s3.truth_outliers[k], format="ascii.ecsv")
        photmjsr = Table.read(s3.truth, format="ascii.ecsv")["photmjsr"][k]
        expect = a + SKY[k] / photmjsr * flat
        np.add.at(expect, (np.asarray(hits["y"]), np.asarray(hits["x"])), hits["amp_dn_s"])
        ok = np.isfinite(a)
        np.testing.assert_allclose(b[ok], expect[ok], rtol=1e-5, atol=1e-4)
        assert (hits["snr"] >= 10 * 0.2).all()
        assert len(set(zip(hits["x"], hits["y"], strict=True))) == len(hits)


def test_source_catalog_references_and_refcat(sims):
    _, s3 = sims
    with fits.open(s3.refs["apcorr"]) as hdul:
        assert hdul[0].header["REFTYPE"] == "APCORR"
        tab = hdul["APCORR"].data
        assert np.all(np.diff(tab["radius"]) > 0)
        np.testing.assert_allclose(tab["apcorr"] * tab["eefraction"], 1.0, rtol=1e-6)
    ref = dm.open(s3.refs["abvegaoffset"])
    assert 1.0 <= float(ref.abvega_offset["abvega_offset"][0]) <= 3.0
    cat = Table.read(s3.refcat, format="ascii.ecsv")
    assert {"RA", "DEC"} <= set(cat.colnames) and len(cat) > 0


def test_one_entry_per_exposure_is_required(tmp_path):
    with pytest.raises(ConfigError, match="sky_offsets needs one entry per exposure"):
        simulate_image3(tmp_path, "nircam", "nrcb1", "SUB64P", dithers=2, calibrate=False,
                        sky_offsets=[0.0])  # fmt: skip
