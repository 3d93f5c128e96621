"""Output file names: jwcal's rules give jwst 3.0.0's names, case by case."""

import pytest

from jwcal.steps.dq_init import DQInitStep
from jwcal.stpipe import Pipeline

pytestmark = pytest.mark.parity
jwst_dq = pytest.importorskip("jwst.dq_init")

CASES = [
    # input name, step parameters, make_output_path arguments
    ("jw01_nrca1_uncal.fits", {}, {}),
    ("jw01_nrca1_uncal.fits", {"output_dir": "out"}, {}),
    ("jw01_nrca1_uncal.fits", {"output_file": "custom.fits"}, {}),
    ("jw01_nrca1_uncal.fits", {"output_file": "custom_rate.fits"}, {}),
    ("jw01_nrca1_uncal.fits", {"suffix": "rate"}, {}),
    ("jw01_nrca1_uncal.fits", {}, {"suffix": "rateints"}),
    ("jw01_nrca1_uncal.fits", {}, {"idx": 2}),
    ("jw01_nrca1_uncal.fits", {}, {"suffix": False}),
    ("jw01_nrca1_uncal.fits", {}, {"asn_id": "o001", "suffix": "crf"}),
    ("jw01-nrca1-rate.fits", {}, {"suffix": "cal"}),
    ("jw01_nrca1_rateints.fits", {}, {"suffix": "calints"}),
    ("jw01_nrca1_cal.fits", {}, {"suffix": "i2d"}),
    ("jw01_nrca1_raw.fits", {}, {}),
    ("jw01_nrca1_dqinitstep.fits", {}, {"suffix": "saturationstep"}),
    ("jw01_nrca1_jump.fits", {}, {"suffix": "ramp"}),
    ("mosaic_i2d.fits", {"output_ext": ".asdf"}, {}),
    ("dir/jw01_nrca1_uncal.fits", {"output_dir": "o"}, {"basepath": "other_x1d.fits"}),
]


@pytest.mark.parametrize("name, pars, args", CASES)
def test_standalone_names(name, pars, args):
    ours = DQInitStep(**pars)
    theirs = jwst_dq.DQInitStep(**pars)
    ours._input_filename = theirs._input_filename = name
    assert ours.make_output_path(**args) == theirs.make_output_path(**args)


class OneStep(Pipeline):
    step_defs = {"dq_init": DQInitStep}


@pytest.mark.parametrize(
    "pars, args",
    [({}, {}), ({"output_file": "product.fits"}, {}), ({"output_dir": "d"}, {"idx": 0})],
)
def test_names_inside_a_pipeline(pars, args):
    from jwst.pipeline import GuiderPipeline

    ours, theirs = OneStep(**pars), GuiderPipeline(**pars)
    ours._input_filename = theirs._input_filename = "jw01_guider_uncal.fits"
    assert ours.dq_init.make_output_path(**args) == theirs.dq_init.make_output_path(**args)
