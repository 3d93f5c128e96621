"""Files written by stdatamodels open in jwcal with the same arrays and metadata, and the
other way round."""

import numpy as np
import pytest

from jwcal import datamodels as jd

sd = pytest.importorskip("stdatamodels.jwst.datamodels")

META = {
    "instrument.name": "NIRCAM",
    "instrument.detector": "NRCA3",
    "instrument.filter": "F150W",
    "instrument.pupil": "CLEAR",
    "exposure.type": "NRC_IMAGE",
    "exposure.readpatt": "MEDIUM8",
    "exposure.ngroups": 4,
    "exposure.nints": 2,
    "exposure.nframes": 8,
    "exposure.groupgap": 2,
    "exposure.frame_time": 10.73677,
    "exposure.group_time": 107.3677,
    "subarray.name": "SUB320",
    "subarray.xstart": 1,
    "subarray.ystart": 1729,
    "subarray.xsize": 32,
    "subarray.ysize": 24,
    "observation.date": "2024-02-03",
    "visit.tsovisit": False,
    "wcsinfo.ra_ref": 80.5,
    "wcsinfo.v3yangle": -0.56,
    "cal_step.dq_init": "COMPLETE",
}


def _set(model, values):
    for path, value in values.items():
        obj = model.meta
        *parents, leaf = path.split(".")
        for p in parents:
            obj = getattr(obj, p)
        setattr(obj, leaf, value)


def _get(model, path):
    obj = model.meta
    for p in path.split("."):
        obj = getattr(obj, p)
    return obj


CASES = [
    ("Level1bModel", lambda r: (r.integers(0, 65535, (2, 4, 24, 32))).astype(np.uint16), ["data"]),
    (
        "RampModel",
        lambda r: r.normal(size=(2, 4, 24, 32)).astype(np.float32),
        ["data", "groupdq", "pixeldq"],
    ),
    (
        "ImageModel",
        lambda r: r.normal(size=(24, 32)).astype(np.float32),
        ["data", "dq", "err", "var_poisson"],
    ),
    (
        "CubeModel",
        lambda r: r.normal(size=(2, 24, 32)).astype(np.float32),
        ["data", "dq", "err", "var_rnoise"],
    ),
]


@pytest.mark.parametrize(("name", "make", "arrays"), CASES)
def test_stdatamodels_file_opens_in_jwcal(tmp_path, name, make, arrays):
    rng = np.random.default_rng(3)
    s = getattr(sd, name)(make(rng))
    j_spec = getattr(jd, name).schema_def.arrays
    for a in arrays[1:]:
        spec = j_spec[a]
        shape = s.data.shape[-2:] if spec.like == "image" else s.data.shape
        setattr(s, a, rng.integers(0, 2**7, shape).astype(spec.dtype))
    _set(s, META)
    p = tmp_path / f"sd_{name}.fits"
    s.save(p)
    j = jd.open(p)
    assert type(j).__name__ == name
    for a in arrays:
        np.testing.assert_array_equal(getattr(j, a), getattr(s, a))
    for path, value in META.items():
        assert _get(j, path) == value, path


@pytest.mark.parametrize(("name", "make", "arrays"), CASES)
def test_jwcal_file_opens_in_stdatamodels(tmp_path, name, make, arrays):
    rng = np.random.default_rng(4)
    j = getattr(jd, name)(make(rng))
    for a in arrays[1:]:
        arr = getattr(j, a)
        arr[...] = rng.integers(0, 2**7, arr.shape).astype(arr.dtype)
    _set(j, META)
    p = j.save(tmp_path / f"jw_{name}.fits")
    s = sd.open(p)
    assert type(s).__name__ == name
    for a in arrays:
        np.testing.assert_array_equal(getattr(s, a), getattr(j, a))
    for path, value in META.items():
        assert _get(s, path) == value, path


def test_reference_models_interchange(tmp_path):
    j = jd.SaturationModel(np.full((24, 32), 60000, np.float32))
    j.dq[0, 0] = 2**21
    j.meta.reftype = "SATURATION"
    j.meta.instrument.name = "NIRCAM"
    j.meta.instrument.detector = "NRCA1"
    j.meta.useafter = "2022-01-01T00:00:00"
    j.meta.description = "test"
    j.meta.author = "jwcal"
    j.meta.pedigree = "DUMMY"
    p = j.save(tmp_path / "sat.fits")
    s = sd.SaturationModel(p)
    np.testing.assert_array_equal(s.data, j.data)
    assert s.dq[0, 0] == 2**21 and s.meta.reftype == "SATURATION"
    s.save(tmp_path / "sat2.fits")
    back = jd.open(tmp_path / "sat2.fits")
    assert isinstance(back, jd.SaturationModel) and back.dq[0, 0] == 2**21
