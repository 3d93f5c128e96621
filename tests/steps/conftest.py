import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "stpipe"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import jwcal_testdata as td  # noqa: E402


@pytest.fixture
def refs(tmp_path_factory):
    return td.write_refs(tmp_path_factory.mktemp("refs"))


@pytest.fixture
def uncal(tmp_path):
    m = td.make_uncal(np.random.default_rng(3))
    return m.save(tmp_path / "jw01_nrca1_uncal.fits")
