import numpy as np
import pytest
from astropy.io import fits

from jwcal import datamodels as dm
from jwcal.errors import InputError, ValidationError


def _level1b(shape=(2, 3, 16, 20)):
    m = dm.Level1bModel(np.arange(np.prod(shape), dtype=np.uint16).reshape(shape) + 40000)
    m.meta.instrument.name = "NIRCAM"
    m.meta.instrument.detector = "NRCA1"
    m.meta.exposure.type = "NRC_IMAGE"
    m.meta.exposure.readpatt = "BRIGHT2"
    m.meta.exposure.nints = shape[0]
    m.meta.exposure.ngroups = shape[1]
    m.meta.exposure.nframes = 2
    m.meta.exposure.groupgap = 0
    m.meta.exposure.frame_time = 10.73677
    m.meta.subarray.name = "FULL"
    m.meta.subarray.xstart = 1
    m.meta.subarray.ystart = 1
    m.meta.visit.tsovisit = False
    return m


def test_level1b_roundtrip(tmp_path):
    m = _level1b()
    m.zeroframe = np.full((2, 16, 20), 7, np.uint16)
    g = np.zeros(6, dtype=list(dm.products.GROUP_COLUMNS))
    g["group_end_time"] = "2024-03-01T00:00:01.000"
    m.group = g
    p = m.save(tmp_path / "jw01_uncal.fits")
    with fits.open(p) as h:
        assert [x.name for x in h] == ["PRIMARY", "SCI", "ZEROFRAME", "GROUP", "ASDF"]
        assert h[0].header["NGROUPS"] == 3 and h[0].header["DATAMODL"] == "Level1bModel"
        assert h["SCI"].header["BZERO"] == 32768
    r = dm.open(p)
    assert isinstance(r, dm.Level1bModel)
    np.testing.assert_array_equal(r.data, m.data)
    assert r.data.dtype == np.uint16 and r.data.dtype.isnative
    assert r.meta.exposure.frame_time == pytest.approx(10.73677)
    assert r.meta.visit.tsovisit is False
    assert r.meta.filename == "jw01_uncal.fits"
    assert r.group["group_end_time"][0] == "2024-03-01T00:00:01.000"
    np.testing.assert_array_equal(r.section("data", 1), m.data[1])


def test_arrays_are_read_lazily_and_sections_alone(tmp_path):
    p = _level1b().save(tmp_path / "a_uncal.fits")
    r = dm.open(p)
    assert r._arrays == {}
    assert r.shape == (2, 3, 16, 20)
    sec = r.section("data", (1, 2))
    assert sec.shape == (16, 20) and r._arrays == {}
    np.testing.assert_array_equal(sec, r.data[1, 2])


def test_defaults_and_meta_access():
    m = dm.ImageModel((4, 5))
    assert m.dq.shape == (4, 5) and m.dq.dtype == np.uint32
    assert m.err.dtype == np.float32
    assert m.meta.exposure.ngroups is None
    m.meta.exposure.ngroups = np.int64(7)
    assert type(m.meta.exposure.ngroups) is int
    with pytest.raises(AttributeError, match="not in the metadata"):
        _ = m.meta.not_a_thing
    r = dm.RampModel((1, 2, 3, 4))
    assert r.pixeldq.shape == (3, 4) and r.groupdq.shape == (1, 2, 3, 4)


def test_types_are_checked_on_save(tmp_path):
    m = dm.ImageModel((4, 5))
    m.meta.exposure.ngroups = "ten"
    with pytest.raises(ValidationError, match="meta.exposure.ngroups must be of type integer"):
        m.save(tmp_path / "x_rate.fits")
    assert not list(tmp_path.iterdir())


def test_wrong_dimensionality_is_refused():
    with pytest.raises(ValidationError, match="must be 2-D"):
        dm.ImageModel(np.zeros((2, 3, 4), np.float32))
    m = dm.RampModel((1, 2, 3, 4))
    with pytest.raises(ValidationError, match="groupdq must be 4-D"):
        m.groupdq = np.zeros((3, 4), np.uint8)


def test_files_with_wrong_arrays_give_one_line_errors(tmp_path):
    prim = fits.PrimaryHDU()
    prim.header["DATAMODL"] = "Level1bModel"
    bad_dtype = tmp_path / "float_uncal.fits"
    fits.HDUList([prim, fits.ImageHDU(np.zeros((1, 2, 3, 4), np.float32), name="SCI")]).writeto(
        bad_dtype
    )
    with pytest.raises(InputError, match="SCI has dtype float32; Level1bModel needs uint16"):
        dm.open(bad_dtype)
    bad_ndim = tmp_path / "flat_uncal.fits"
    fits.HDUList([prim, fits.ImageHDU(np.zeros((3, 4), np.uint16), name="SCI")]).writeto(bad_ndim)
    with pytest.raises(InputError, match="SCI is 2-D"):
        dm.open(bad_ndim)
    nosci = tmp_path / "nosci.fits"
    fits.HDUList([fits.PrimaryHDU()]).writeto(nosci)
    with pytest.raises(InputError, match="no SCI extension"):
        dm.open(nosci)


def test_truncated_and_garbage_files(tmp_path):
    p = _level1b().save(tmp_path / "t_uncal.fits")
    raw = p.read_bytes()
    trunc = tmp_path / "trunc_uncal.fits"
    trunc.write_bytes(raw[: len(raw) // 2 + 100])
    with pytest.raises(InputError, match="truncated"):
        dm.open(trunc)
    whole_blocks = tmp_path / "short_uncal.fits"
    whole_blocks.write_bytes(raw[: 2880 * 3])
    with pytest.raises(InputError, match="truncated|no SCI"):
        dm.open(whole_blocks)
    junk = tmp_path / "junk.fits"
    junk.write_bytes(b"this is not a FITS file" * 200)
    with pytest.raises(InputError, match="not a readable FITS file"):
        dm.open(junk)


def test_open_picks_models_by_datamodl_reftype_and_shape(tmp_path):
    for shape, cls in [((3, 4), dm.ImageModel), ((2, 3, 4), dm.CubeModel)]:
        p = tmp_path / f"x{len(shape)}.fits"
        fits.HDUList(
            [fits.PrimaryHDU(), fits.ImageHDU(np.zeros(shape, np.float32), name="SCI")]
        ).writeto(p)
        assert isinstance(dm.open(p), cls)
    ref = dm.GainModel(np.ones((4, 4), np.float32))
    ref.meta.reftype = "GAIN"
    p = ref.save(tmp_path / "gain.fits")
    prim = fits.getheader(p)
    assert prim["REFTYPE"] == "GAIN"
    assert isinstance(dm.open(p), dm.GainModel)


def test_asdf_reference_roundtrip(tmp_path):
    from astropy.modeling import models

    d = dm.DistortionModel(model=models.Shift(1.5) & models.Shift(-2.0))
    d.meta.reftype = "DISTORTION"
    d.meta.instrument.name = "NIRCAM"
    p = d.save(tmp_path / "dist.asdf")
    r = dm.open(p)
    assert isinstance(r, dm.DistortionModel)
    assert r.model(1.0, 1.0) == pytest.approx((2.5, -1.0))


def test_save_to_missing_directory_is_an_output_error(tmp_path):
    from jwcal.errors import OutputError

    with pytest.raises(OutputError, match="does not exist"):
        dm.ImageModel((2, 2)).save(tmp_path / "nope" / "x_rate.fits")


def test_copy_and_update():
    m = _level1b((1, 2, 4, 4))
    c = m.copy()
    c.data[0, 0, 0, 0] = 1
    assert m.data[0, 0, 0, 0] != 1
    r = dm.RampModel((1, 2, 4, 4))
    r.update(m)
    assert r.meta.exposure.readpatt == "BRIGHT2" and r.meta.model_type == "RampModel"


def test_plain_metadata_needs_no_asdf_extensions(tmp_path):
    # Nor astropy (a third of a second): plain files are read and written by fitsfile.
    import subprocess
    import sys

    p = _level1b((1, 2, 4, 4)).save(tmp_path / "p_uncal.fits")
    code = (
        "import sys; from jwcal import datamodels as dm; m = dm.open(sys.argv[1]); "
        "m.meta.exposure.ngroups; m.save(sys.argv[1] + '.out.fits'); "
        "print(sorted(k for k in ('gwcs', 'asdf_astropy.converters', 'stdatamodels', "
        "'astropy') "
        "if k in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(p)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_tagged_metadata_is_decoded_when_used(tmp_path):
    from astropy.modeling import models

    m = dm.ImageModel((4, 4))
    m.meta.instrument.name = "NIRCAM"
    m.meta.transform_test = models.Shift(2.0)
    p = m.save(tmp_path / "tagged_rate.fits")
    r = dm.open(p)
    from jwcal.datamodels.asdf_block import Deferred

    assert isinstance(r._tree["meta"]["transform_test"], Deferred)
    assert r.meta.transform_test(1.0) == 3.0
    r2 = dm.open(p)
    r2.save(tmp_path / "again_rate.fits")  # an untouched deferred value survives a save
    assert dm.open(tmp_path / "again_rate.fits").meta.transform_test(1.0) == 3.0


def test_arrays_outside_the_schema_go_to_binary_blocks(tmp_path):
    """An array the schema has no HDU for (flat_field's var_flat on guider data, as jwst
    writes it too) is stored in a binary block of the ASDF extension, not as YAML text;
    jwcal and stdatamodels read it back exactly, and small arrays stay inline."""
    m = dm.GuiderCalModel(np.ones((1, 64, 48), np.float32))
    big = np.random.default_rng(1).normal(size=(1, 64, 48)).astype(np.float32)
    big[0, 0, :3] = [np.nan, np.inf, -0.0]
    m.var_flat = big
    m.meta.small_table = np.arange(5, dtype=np.int16)
    p = m.save(tmp_path / "g_cal.fits")
    with fits.open(p) as hdul:
        raw = hdul["ASDF"].data.tobytes()
    text = raw[: raw.find(b"\xd3BLK")]
    assert b"source: 0" in text and len(text) < 5000 and raw.count(b"\xd3BLK") == 1
    back = dm.open(p)
    assert isinstance(back.var_flat, np.ndarray)
    np.testing.assert_array_equal(back.var_flat, big)
    np.testing.assert_array_equal(back.meta.small_table, np.arange(5))
    sdm = pytest.importorskip("stdatamodels.jwst.datamodels")
    with sdm.open(p) as theirs:
        np.testing.assert_array_equal(np.asarray(theirs.var_flat), big)


def test_section_as_stored(tmp_path):
    # Float arrays come back as the file stores them (big-endian, mapped, read-only);
    # values that need converting (BZERO-offset unsigned integers) are converted.
    dark = dm.DarkModel(np.arange(3 * 4 * 5, dtype=np.float32).reshape(3, 4, 5))
    p = dark.save(tmp_path / "dark.fits")
    r = dm.open(p)
    view = r.section("data", (slice(1, 3),), stored=True)
    assert view.dtype == np.dtype(">f4") and not view.flags.writeable
    np.testing.assert_array_equal(view, dark.data[1:3])
    assert r.section("data", (slice(1, 3),)).dtype == np.dtype("=f4")
    raw = dm.open(_level1b().save(tmp_path / "raw_uncal.fits"))
    sec = raw.section("data", (0, 1), stored=True)
    assert sec.dtype == np.uint16 and sec.dtype.isnative
    np.testing.assert_array_equal(sec, _level1b().data[0, 1])


def test_read_into_converts_in_one_pass(tmp_path):
    raw = _level1b()
    raw.data[0, 0, 0, :3] = [0, 32767, 65535]
    r = dm.open(raw.save(tmp_path / "r_uncal.fits"))
    for dtype in (np.float32, np.float64, np.uint16, np.int32):
        out = np.empty(raw.data.shape[2:], dtype)
        r.read_into("data", (1, 2), out)
        np.testing.assert_array_equal(out, raw.data[1, 2].astype(dtype))
        r.read_into("data", (0, 0), out)
        np.testing.assert_array_equal(out, raw.data[0, 0].astype(dtype))
    dark = dm.DarkModel(np.linspace(-5, 5, 60, dtype=np.float32).reshape(3, 4, 5))
    d = dm.open(dark.save(tmp_path / "dark.fits"))
    out = np.empty((4, 5), np.float32)
    d.read_into("data", (2,), out)
    np.testing.assert_array_equal(out, dark.data[2])
