import os

import numpy as np
import pytest

from jwcal import datamodels as dm
from jwcal.errors import ReferenceFileError
from jwcal.references import find_reference, fit_to_exposure, load_reference


def _ref(cls, reftype, path, shape=(2048, 2048), **kw):
    m = (
        cls(np.zeros(shape, np.float32))
        if cls is not dm.MaskModel
        else cls(dq=np.zeros(shape, np.uint32))
    )
    m.meta.reftype = reftype
    m.meta.instrument.name = kw.pop("instrument", "NIRCAM")
    m.meta.instrument.detector = kw.pop("detector", "NRCA1")
    m.meta.useafter = kw.pop("useafter", "2022-01-01T00:00:00")
    for k, v in kw.items():
        m.meta.set(k, v)
    return m.save(path)


def _sci(subarray="FULL", xstart=1, ystart=1, size=(2048, 2048), detector="NRCA1"):
    s = dm.ImageModel(np.zeros(size, np.float32))
    s.meta.instrument.name = "NIRCAM"
    s.meta.instrument.detector = detector
    s.meta.exposure.type = "NRC_IMAGE"
    s.meta.exposure.readpatt = "BRIGHT2"
    s.meta.subarray.name = subarray
    s.meta.subarray.xstart, s.meta.subarray.ystart = xstart, ystart
    s.meta.subarray.xsize, s.meta.subarray.ysize = size[1], size[0]
    s.meta.observation.date = "2024-05-01"
    s.meta.observation.time = "12:00:00"
    return s


def test_override_wins_and_na(tmp_path):
    p = _ref(dm.GainModel, "GAIN", tmp_path / "g.fits", shape=(64, 64))
    assert find_reference(_sci().meta, "gain", override=p) == str(p)
    assert find_reference(_sci().meta, "gain", override="N/A") == "N/A"
    with pytest.raises(ReferenceFileError, match="GAIN reference file .* does not exist"):
        find_reference(_sci().meta, "gain", override=tmp_path / "missing.fits")


def test_refdir_chooses_matching_detector_and_newest_useafter(tmp_path):
    _ref(dm.GainModel, "GAIN", tmp_path / "old.fits", (64, 64), useafter="2022-01-01T00:00:00")
    _ref(dm.GainModel, "GAIN", tmp_path / "new.fits", (64, 64), useafter="2023-06-01T00:00:00")
    _ref(dm.GainModel, "GAIN", tmp_path / "future.fits", (64, 64), useafter="2030-01-01T00:00:00")
    _ref(
        dm.GainModel,
        "GAIN",
        tmp_path / "b1.fits",
        (64, 64),
        detector="NRCB1",
        useafter="2024-01-01T00:00:00",
    )
    got = find_reference(_sci().meta, "GAIN", refdir=tmp_path)
    assert os.path.basename(got) == "new.fits"
    # the index is cached on disk and reused
    assert (tmp_path / ".jwcal_refindex.json").exists()
    assert os.path.basename(find_reference(_sci().meta, "GAIN", refdir=tmp_path)) == "new.fits"


def test_subarray_specific_file_beats_full_frame(tmp_path):
    _ref(dm.GainModel, "GAIN", tmp_path / "full.fits", (64, 64), **{"subarray.name": "FULL"})
    _ref(dm.GainModel, "GAIN", tmp_path / "sub.fits", (64, 64), **{"subarray.name": "SUB320"})
    sci = _sci("SUB320", 1, 1, (320, 320))
    assert os.path.basename(find_reference(sci.meta, "gain", refdir=tmp_path)) == "sub.fits"
    sci2 = _sci("SUB160", 1, 1, (160, 160))
    assert os.path.basename(find_reference(sci2.meta, "gain", refdir=tmp_path)) == "full.fits"


def test_frame_resolved_dark_serves_any_readpatt(tmp_path):
    d = dm.DarkModel(np.zeros((4, 32, 32), np.float32))
    d.meta.reftype = "DARK"
    d.meta.instrument.name = "NIRCAM"
    d.meta.instrument.detector = "NRCA1"
    d.meta.exposure.readpatt = "RAPID"
    d.meta.exposure.nframes = 1
    d.meta.exposure.groupgap = 0
    d.meta.useafter = "2022-01-01T00:00:00"
    d.save(tmp_path / "dark.fits")
    assert find_reference(_sci().meta, "dark", refdir=tmp_path).endswith("dark.fits")


def test_missing_reference_error_names_type_exposure_and_remedies(tmp_path):
    with pytest.raises(ReferenceFileError) as info:
        find_reference(_sci().meta, "linearity", refdir=tmp_path)
    msg = str(info.value)
    assert "\n" not in msg
    for part in ("LINEARITY", "NIRCAM NRCA1", "--override_linearity", "--refdir", "CRDS_PATH"):
        assert part in msg


def test_full_frame_reference_is_cut_to_subarray(tmp_path):
    gain = np.arange(2048 * 2048, dtype=np.float32).reshape(2048, 2048)
    m = dm.GainModel(gain)
    m.meta.instrument.name, m.meta.instrument.detector = "NIRCAM", "NRCA1"
    m.meta.reftype = "GAIN"
    p = m.save(tmp_path / "gain.fits")
    sci = _sci("SUB320", 100, 200, (320, 320))
    ref = load_reference(p, sci, "gain")
    np.testing.assert_array_equal(ref.data, gain[199:519, 99:419])


def test_reference_for_other_detector_or_region_is_an_error(tmp_path):
    p = _ref(dm.GainModel, "GAIN", tmp_path / "b1.fits", (64, 64), detector="NRCB1")
    with pytest.raises(ReferenceFileError, match="for detector NRCB1, the exposure is NRCA1"):
        load_reference(p, _sci(size=(64, 64)), "gain")
    small = dm.GainModel(np.zeros((64, 64), np.float32))
    small.meta.instrument.name, small.meta.instrument.detector = "NIRCAM", "NRCA1"
    with pytest.raises(ReferenceFileError, match="covers detector columns 1-64"):
        fit_to_exposure(small, _sci("SUB320", 1, 1, (320, 320)), "GAIN")


def test_a_type_crds_has_none_of_is_not_applicable(tmp_path, monkeypatch):
    # CRDS answers N/A for a MIRI SUPERBIAS (the saturation step asks every exposure for
    # one); for NIRCam a missing SUPERBIAS is still an error.
    monkeypatch.delenv("CRDS_PATH", raising=False)
    miri = _sci(detector="MIRIMAGE")
    miri.meta.instrument.name = "MIRI"
    assert find_reference(miri.meta, "superbias", refdir=tmp_path) == "N/A"
    with pytest.raises(ReferenceFileError, match="no SUPERBIAS reference file"):
        find_reference(_sci().meta, "superbias", refdir=tmp_path)
