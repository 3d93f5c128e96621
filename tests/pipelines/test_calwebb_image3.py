"""Image3Pipeline's wiring: its steps, the lazily imported source_catalog, the command-line
names, refusals.  Runs on real data are in tests/parity/test_image3_pipeline.py."""

import pytest
from resample_data import PSCALE, RA0, make_image

from jwcal.errors import InputError
from jwcal.pipelines.image3 import Image3Pipeline
from jwcal.stpipe.registry import load_class, lookup

SKIP_CATALOG = {"source_catalog": {"skip": True}}


def _inputs(n=3):
    out = []
    for k in range(n):
        m = make_image(shape=(40, 44), seed=k, ra0=RA0 + k * 3 * PSCALE, filename=f"e{k}_cal.fits")
        m.meta.group_id = f"g{k}"
        m.data[20, 10 + k] += 40.0  # one hit each, on different sky positions
        out.append(m)
    return out


def test_steps_in_jwst_order():
    assert list(Image3Pipeline.step_defs) == [
        "tweakreg", "skymatch", "outlier_detection", "resample", "source_catalog",
    ]  # fmt: skip
    assert Image3Pipeline.step_defs["source_catalog"].class_alias == "source_catalog"


def test_command_line_names():
    for name in ("image3", "calwebb_image3", "Image3Pipeline"):
        assert load_class(lookup(name)) is Image3Pipeline


def test_moving_target_is_refused():
    ims = _inputs(2)
    for m in ims:
        m.meta.target.type = "MOVING"
    with pytest.raises(InputError, match="moving-target"):
        Image3Pipeline.call(ims, steps=SKIP_CATALOG)
