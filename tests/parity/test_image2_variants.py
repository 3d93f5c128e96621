"""calwebb_image2 against jwst 3.0.0 on an association with background exposures (the
background step and ``save_bsub``) and on a ``_rateints`` cube (calwebb_tso-image2).

Tolerances as in test_image2_pipeline.py: ``_cal``/``_calints``/``_bsub`` arrays within
1e-5 relative, DQ identical; ``_i2d`` SCI within 1e-4 of the value plus the median level on the interior.  The
combined background is a float64 mean rounded to float32 in both, so the background-
subtracted SCI agrees to float32 rounding of the subtraction (1e-5 of the level).
"""

import json
import shutil

import numpy as np
import pytest

pytest.importorskip("jwst")

from image2_helpers import (  # noqa: E402
    assert_close_to_level,
    interior,
    jwcal_overrides,
    read,
)

from jwcal import datamodels as dm  # noqa: E402
from jwcal.pipelines import Image2Pipeline  # noqa: E402
from jwcal.simulate import simulate_rate  # noqa: E402
from jwcal.testing.oracle import run_jwst  # noqa: E402

pytestmark = [pytest.mark.parity, pytest.mark.slow]


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    root = tmp_path_factory.mktemp("variants")
    s = simulate_rate(root / "sim", "nircam", "nrca1", "SUB320", seed=21, filter="F150W",
                      star_density=3e-4)  # fmt: skip
    yield root, s
    shutil.rmtree(root, ignore_errors=True)


def _backgrounds(s, rng):
    """Three background exposures: the sky level with fresh noise, one with a bright patch
    (a source in the background field, which the clipping should not need to remove)."""
    rate = dm.open(s.rate)
    sky = float(np.nanmedian(rate.data))
    names = []
    for i in range(3):
        b = dm.open(s.rate)
        noise = rng.normal(0.0, 1.0, b.shape) * np.sqrt(np.nan_to_num(b.var_rnoise) + 1e-3)
        b.data = (sky + noise).astype(np.float32)
        if i == 2:
            b.data[100:110, 200:215] += 50.0
        b.meta.observation.exposure_number = str(10 + i)
        name = s.rate.name.replace("_00001_", f"_{10 + i:05d}_")
        b.save(s.rate.parent / name)
        names.append(name)
    return names


@pytest.fixture(scope="module")
def with_background(sim):
    root, s = sim
    names = _backgrounds(s, np.random.default_rng(5))
    stem = s.rate.name.replace("_rate.fits", "")
    # absolute names: jwst opens background members relative to the working directory
    members = [{"expname": str(s.rate), "exptype": "science"}]
    members += [{"expname": str(s.rate.parent / n), "exptype": "background"} for n in names]
    asn = {
        "asn_type": "image2", "asn_rule": "DMSLevel2bBase", "version_id": None,
        "code_version": "1.0", "degraded_status": "No known degraded exposures in association.",
        "program": "01234", "constraints": "none", "asn_id": "o001", "asn_pool": "test_pool",
        "products": [{"name": stem, "members": members}],
    }  # fmt: skip
    apath = s.rate.parent / "image2_asn.json"
    apath.write_text(json.dumps(asn))
    refs = {k: str(v) for k, v in s.refs.items()}
    run_jwst("jwst.pipeline.Image2Pipeline", apath, refs, root / "bkg_jwst",
             params={"save_bsub": True}, scratch=root / "crds")  # fmt: skip
    Image2Pipeline.call(str(apath), steps=jwcal_overrides(s.refs), save_bsub=True,
                        output_dir=str(root / "bkg_jwcal"), save_results=True)  # fmt: skip
    return root, stem


@pytest.mark.parametrize("suffix", ["bsub", "cal"])
def test_background_subtracted_products(with_background, suffix):
    root, stem = with_background
    a, ha, _ = read(root / "bkg_jwst" / f"{stem}_{suffix}.fits", "SCI")
    b, hb, _ = read(root / "bkg_jwcal" / f"{stem}_{suffix}.fits", "SCI")
    assert_close_to_level(a, b, 1e-5, f"{suffix} SCI")
    da, *_ = read(root / "bkg_jwst" / f"{stem}_{suffix}.fits", "DQ")
    db, *_ = read(root / "bkg_jwcal" / f"{stem}_{suffix}.fits", "DQ")
    np.testing.assert_array_equal(da, db)
    assert hb["S_BKDSUB"] == ha["S_BKDSUB"] == "COMPLETE"
    if suffix == "cal":
        assert hb["ASNTABLE"] == ha["ASNTABLE"] and hb["ASNPOOL"] == ha["ASNPOOL"]


def test_background_subtracted_i2d(with_background):
    root, stem = with_background
    wa, *_ = read(root / "bkg_jwst" / f"{stem}_i2d.fits", "WHT")
    sa, *_ = read(root / "bkg_jwst" / f"{stem}_i2d.fits", "SCI")
    sb, *_ = read(root / "bkg_jwcal" / f"{stem}_i2d.fits", "SCI")
    assert_close_to_level(sa, sb, 1e-4, "i2d SCI", interior(wa))


@pytest.fixture(scope="module")
def tso(sim):
    root, s = sim
    rate = dm.open(s.rate)
    rng = np.random.default_rng(9)
    n = 3
    cube = dm.CubeModel((rate.data + rng.normal(0, 0.5, (n,) + rate.shape)).astype("f4"))
    for name in ("err", "var_poisson", "var_rnoise"):
        setattr(cube, name, np.repeat(getattr(rate, name)[None], n, axis=0))
    cube.dq = np.repeat(rate.dq[None], n, axis=0)
    cube.update(rate)
    cube.meta.exposure.type = "NRC_TSIMAGE"
    cube.meta.exposure.nints = n
    cube.meta.visit.tsovisit = True
    path = s.rate.parent / s.rate.name.replace("_rate", "_rateints")
    cube.save(path)
    refs = {k: str(v) for k, v in s.refs.items()}
    run_jwst("jwst.pipeline.Image2Pipeline", path, refs, root / "tso_jwst", scratch=root / "crds")
    Image2Pipeline.call(str(path), config_file="calwebb_tso-image2.cfg",
                        steps=jwcal_overrides(s.refs), output_dir=str(root / "tso_jwcal"),
                        save_results=True)  # fmt: skip
    return root, path.name.replace("_rateints.fits", "")


@pytest.mark.parametrize("ext", ["SCI", "ERR", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT", "DQ"])
def test_tso_calints(tso, ext):
    root, stem = tso
    a, ha, sa = read(root / "tso_jwst" / f"{stem}_calints.fits", ext)
    b, hb, sb = read(root / "tso_jwcal" / f"{stem}_calints.fits", ext)
    assert a.shape == b.shape and a.ndim == 3
    if ext == "DQ":
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(b, a, rtol=1e-5, equal_nan=True)
    assert sb["PHOTMJSR"] == pytest.approx(sa["PHOTMJSR"]) if ext == "SCI" else True
    assert not list((root / "tso_jwcal").glob("*_i2d.fits"))


@pytest.fixture(scope="module")
def cube_backgrounds(sim):
    """A _rateints exposure and two background cubes (12 integrations, one with a cosmic
    ray that the clipping over integrations removes), through jwst's BackgroundStep."""
    from image2_helpers import run_jwst_many

    root, s = sim
    rate = dm.open(s.rate)
    rng = np.random.default_rng(17)
    paths = []
    for i, (n, level) in enumerate([(4, None), (12, 2.0), (12, 2.3)]):
        base = rate.data if level is None else np.full(rate.shape, level, np.float32)
        cube = dm.CubeModel((base + rng.normal(0, 0.3, (n,) + rate.shape)).astype("f4"))
        cube.err = np.full(cube.shape, 0.3, np.float32)
        cube.dq = np.zeros(cube.shape, np.uint32)
        cube.update(rate)
        cube.meta.exposure.nints = n
        if level is not None:
            cube.data[3, 50, 60] += 400.0
            cube.dq[5, 10, 10] = 4
        path = root / f"cube{i}_rateints.fits"
        cube.save(path)
        paths.append(str(path))
    out = root / "cubebkg_jwst"
    run_jwst_many("jwst.background.BackgroundStep",
                  [{"input": paths[0], "output_dir": str(out), "params": {"bkg_list": paths[1:]}}],
                  root / "crds")  # fmt: skip
    from jwcal.steps.bkg_subtract import BackgroundStep

    mine = BackgroundStep.call(paths[0], bkg_list=paths[1:])
    (found,) = list(out.glob("*.fits"))
    return found, mine


def test_background_of_cubes(cube_backgrounds):
    path, mine = cube_backgrounds
    a, h, _ = read(path, "SCI")
    assert a.shape == mine.data.shape
    assert_close_to_level(a, mine.data, 1e-5, "SCI")
    dq, *_ = read(path, "DQ")
    np.testing.assert_array_equal(dq, mine.dq)
    assert h["S_BKDSUB"] == "COMPLETE"
