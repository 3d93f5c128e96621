"""refpix, jump, ramp_fit and calwebb_detector1 have jwst 3.0.0's parameters and defaults."""

from __future__ import annotations

import json
import os

import pytest

from jwcal.testing.forkserver import run_python
from jwcal.testing.oracle import offline_environment

pytestmark = pytest.mark.parity
pytest.importorskip("jwst")

JWST = {
    "refpix": "jwst.refpix.RefPixStep",
    "jump": "jwst.jump.JumpStep",
    "ramp_fit": "jwst.ramp_fitting.RampFitStep",
    "calwebb_detector1": "jwst.pipeline.Detector1Pipeline",
}

_DUMP = r"""
import importlib, json, sys
out = {}
for key, path in json.loads(sys.argv[1]).items():
    mod, _, name = path.rpartition(".")
    pars = getattr(importlib.import_module(mod), name)().get_pars()
    out[key] = json.loads(json.dumps(pars, default=str))
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def jwst_pars(tmp_path_factory):
    env = dict(os.environ)
    env.update(offline_environment(tmp_path_factory.mktemp("crds")))
    proc = run_python(_DUMP, [json.dumps(JWST)], env=env, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _ours(key):
    from jwcal.stpipe.registry import resolve_class

    cls, _ = resolve_class(key)
    return cls().get_pars()


@pytest.mark.parametrize("key", ["refpix", "jump", "ramp_fit"])
def test_step_parameters_and_defaults(jwst_pars, key):
    theirs, ours = jwst_pars[key], _ours(key)
    missing = sorted(set(theirs) - set(ours))
    assert not missing, f"{key}: jwcal lacks {missing}"
    for name, value in theirs.items():
        if name.startswith("override_") or name in ("pre_hooks", "post_hooks"):
            continue
        assert ours[name] == value, f"{key}.{name}: jwcal {ours[name]!r}, jwst {value!r}"


def test_pipeline_steps_and_skips(jwst_pars):
    theirs, ours = jwst_pars["calwebb_detector1"], _ours("calwebb_detector1")
    assert ours["save_calibrated_ramp"] == theirs["save_calibrated_ramp"] is False
    assert list(ours["steps"]) == list(theirs["steps"])
    for step, pars in theirs["steps"].items():
        assert ours["steps"][step]["skip"] == pars["skip"], step
