"""The simulator's stage-3 scenario: argument checks.  What it writes (pointing errors in
the keywords, sky offsets, residual cosmic rays, the APCORR and ABVEGAOFFSET references)
is checked in tests/parity/test_image3_pipeline.py, on the simulation that module runs
through both pipelines (one simulation serves both, to keep the suite's time down)."""

import pytest

from jwcal.errors import ConfigError
from jwcal.simulate import simulate_image3


@pytest.mark.parametrize("name", ["wcs_errors", "sky_offsets"])
def test_one_entry_per_exposure_is_required(tmp_path, name):
    bad = {"wcs_errors": [(0.0, 0.0, 0.0)], "sky_offsets": [0.0]}[name]
    with pytest.raises(ConfigError, match=f"{name} needs one entry per exposure \\(2\\)"):
        simulate_image3(tmp_path, "nircam", "nrcb1", "SUB64P", dithers=2, calibrate=False,
                        **{name: bad})  # fmt: skip
    assert not any(tmp_path.iterdir())  # refused before anything is written
