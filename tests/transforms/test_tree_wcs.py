"""WCS trees: read from ASDF blocks, held unresolved in a model, written with PyYAML, and read
by asdf/gwcs as the same WCS; the imaging chain of image2 runs without importing gwcs."""

import io
import json
import subprocess
import sys
import warnings

import asdf
import numpy as np
import pytest
from astropy.modeling import models as am

from jwcal import datamodels as dm
from jwcal.datamodels.asdf_block import Deferred, decode, encode, read_tree
from jwcal.simulate import simulate_rate
from jwcal.transforms import TreeWCS
from jwcal.transforms import tree as T


def _asdf_bytes(tree, **kw) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        asdf.AsdfFile(tree).write_to(buf, **kw)
    return buf.getvalue()


def _imaging_wcs(xstart=None) -> TreeWCS:
    poly = am.Polynomial2D(2, c1_0=0.031, c0_1=0.0005, c2_0=1e-7, c1_1=-2e-8)
    poly2 = am.Polynomial2D(2, c1_0=-0.0004, c0_1=0.0312, c0_2=3e-8)
    ref = (am.Shift(-1023.5) & am.Shift(-1023.5)) | am.Mapping((0, 1, 0, 1)) | poly & poly2
    ref_node = read_tree(_asdf_bytes({"m": ref}))["m"]
    det = T.compose(T.concat(T.shift(0.5), T.identity(1)), ref_node) if xstart else ref_node
    det = T.bounding_box(det, ((-0.5, 2047.5), (-0.5, 2047.5)))
    sky = T.compose(
        T.concat(T.scale(1 / 3600), T.scale(1 / 3600)),
        T.spherical_to_cartesian(180),
        T.rotate_sequence_3d([0.03, 0.14, 20.0, -27.79, -53.16], "zyxyz"),
        T.cartesian_to_spherical(360),
        name="v23tosky",
    )
    steps = [(T.frame2d("detector"), det),
             (T.frame2d("v2v3", ("v2", "v3"), ("arcsec", "arcsec")), sky),
             (T.celestial_frame(), None)]  # fmt: skip
    return TreeWCS.from_steps(steps)


@pytest.mark.parametrize("compression", [None, "zlib", "bzp2"])
def test_blocks_are_read_as_asdf_writes_them(compression):
    arrays = {"a": np.arange(12.0).reshape(3, 4), "b": np.array([1, -2, 3], np.int32)}
    raw = _asdf_bytes(arrays, all_array_compression=compression)
    back = read_tree(raw)
    for k, v in arrays.items():
        np.testing.assert_array_equal(back[k], v)
        assert back[k].dtype == v.dtype


def test_a_tree_wcs_is_the_gwcs_asdf_makes_of_it():
    tw = _imaging_wcs(xstart=True)
    g = tw.to_gwcs()
    assert g.available_frames == ["detector", "v2v3", "world"]
    y, x = np.mgrid[-0.5:2047.5:37, -0.5:2047.5:41]
    for a, b in zip(tw(x, y), g(x, y), strict=True):
        np.testing.assert_array_equal(a, b)
    assert tw.bounding_box == g.bounding_box.bounding_box(order="F")
    ra, dec = tw(np.array([-3.0, 100.0]), np.array([5.0, 5.0]))
    assert np.isnan(ra[0]) and np.isfinite(ra[1])  # outside the bounding box
    with pytest.raises(NotImplementedError, match="polynomial"):
        tw.invert(*tw(1000.0, 700.0))  # the distortion has no inverse: gwcs iterates


def test_a_model_holds_the_tree_until_asked_for_a_gwcs(tmp_path):
    model = dm.ImageModel(np.zeros((8, 8), np.float32))
    model.meta.wcs = _imaging_wcs()
    raw = model.meta.to_dict()["wcs"]
    assert isinstance(raw, Deferred) and not raw._done
    assert isinstance(model.meta.light_wcs(), TreeWCS)
    # written with PyYAML, read by asdf as a gwcs
    tree = decode(encode({"meta": {"wcs": raw}}))
    assert isinstance(tree["meta"]["wcs"], Deferred)
    g = tree["meta"]["wcs"].resolve()
    assert type(g).__name__ == "WCS"
    np.testing.assert_array_equal(g(10.0, 20.0), model.meta.light_wcs()(10.0, 20.0))
    # reading .wcs makes the gwcs
    assert type(model.meta.wcs).__name__ == "WCS"


def test_image2_runs_without_gwcs(tmp_path):
    """The imaging chain of image2 (assign_wcs, resample, the products) never imports
    gwcs, astropy.modeling or asdf: they cost seconds per process."""
    sim = simulate_rate(tmp_path / "sim", "nircam", "nrca1", "SUB320", seed=3, filter="F150W",
                        star_density=2e-4, use_pysiaf=False)  # fmt: skip
    refs = {t: str(p) for t, p in sim.refs.items()}
    code = (
        "import json, sys\n"
        "from jwcal.pipelines import Image2Pipeline\n"
        "r = json.loads(sys.argv[2])\n"
        "steps = {'assign_wcs': {'override_distortion': r['distortion'],\n"
        "                        'override_filteroffset': r['filteroffset']},\n"
        "         'flat_field': {'override_flat': r['flat']},\n"
        "         'photom': {'override_photom': r['photom'], 'override_area': r['area']}}\n"
        "Image2Pipeline.call(sys.argv[1], steps=steps, output_dir=sys.argv[3], save_results=True)\n"
        "bad = [m for m in ('gwcs', 'astropy.modeling', 'asdf') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    subprocess.run([sys.executable, "-c", code, str(sim.rate), json.dumps(refs), str(out)],
                   check=True)  # fmt: skip
    cal = dm.open(next(out.glob("*_cal.fits")))
    i2d = dm.open(next(out.glob("*_i2d.fits")))
    assert type(cal.meta.wcs).__name__ == "WCS" and type(i2d.meta.wcs).__name__ == "WCS"
