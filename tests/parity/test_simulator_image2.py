"""The simulator's stage-2 references work in jwst 3.0.0's calwebb_image2 and calibrate its
sky: a noise-free ``_rate`` through jwst's assign_wcs, flat_field and photom (resample
skipped) gives back the catalogue's sky surface brightness (to 1e-4) and, for isolated
stars, ``sum((SB - sky) * AREA) * PIXAR_SR * 1e6`` equal to the true flux in Jy (to 0.3%:
the PSF wings beyond the +-25 pixel sum)."""

import subprocess

import numpy as np
import pytest

pytest.importorskip("jwst")

from astropy.table import Table  # noqa: E402

from jwcal.simulate import simulate_rate  # noqa: E402
from jwcal.simulate.sky import read_truth_sources  # noqa: E402
from jwcal.testing.oracle import run_jwst  # noqa: E402

pytestmark = [pytest.mark.parity, pytest.mark.slow]

CASES = {
    "nircam": dict(instrument="nircam", detector="nrcb1", subarray="SUB400P", filter="F200W"),
    "miri": dict(instrument="miri", subarray="BRIGHTSKY", filter="F1130W"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_image2_calibrates_the_simulated_sky(tmp_path, name):
    from stdatamodels.jwst import datamodels as sdm

    sim = simulate_rate(tmp_path / "sim", seed=5, noise=False, bad_pixels=False,
                        star_density=2e-4, galaxy_density=0.0, bright_limit=3e3,
                        **CASES[name])  # fmt: skip
    out = tmp_path / "jwst"
    try:
        run_jwst("jwst.pipeline.Image2Pipeline", sim.rate, sim.refs_by_type(), out,
                 steps={"resample": {"skip": True}})  # fmt: skip
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"jwst failed:\n{exc.stderr[-3000:]}")
    cal = sdm.open(out / sim.rate.name.replace("_rate", "_cal"))
    assert cal.meta.cal_step.flat_field == "COMPLETE" and cal.meta.cal_step.photom == "COMPLETE"
    sky = Table.read(sim.truth_catalog).meta["sky_mjysr"]
    assert np.nanmedian(cal.data) == pytest.approx(sky, rel=1e-4)
    t = read_truth_sources(sim.truth_sources)
    ny, nx = cal.data.shape
    xy = np.column_stack([t["x"], t["y"]])
    sep = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(sep, np.inf)
    ok = (
        (t["kind"] == "star")
        & (sep.min(axis=1) > 50)
        & (t["x"] > 26) & (t["x"] < nx - 27) & (t["y"] > 26) & (t["y"] < ny - 27)
    )  # fmt: skip
    assert ok.sum() >= 2
    pixar = cal.meta.photometry.pixelarea_steradians
    for s in t[ok]:
        ix, iy = int(round(s["x"])), int(round(s["y"]))
        win = (slice(iy - 25, iy + 26), slice(ix - 25, ix + 26))
        flux = np.sum((cal.data[win] - sky) * cal.area[win]) * pixar * 1e6
        assert flux == pytest.approx(s["flux_jy"], rel=3e-3)
