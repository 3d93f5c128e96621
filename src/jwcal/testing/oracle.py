"""Running the official pipeline (jwst) offline, as the yardstick.

jwst asks CRDS for parameter files and context names even when every reference file is
overridden.  :func:`offline_environment` makes it work with no server: a scratch CRDS cache
holding only a ``server_config`` file, and the environment variables that point crds at it.
It must be applied before jwst, stpipe or crds are imported, so the runners here work in
another process: a child of the fork server (:mod:`jwcal.testing.forkserver`), which
imported jwst once under that environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from .forkserver import run_python

__all__ = [
    "offline_environment",
    "refs_by_type",
    "pipeline_overrides",
    "run_jwst",
]

_SERVER_CONFIG = """{{
 'observatory': 'jwst',
 'operational_context': 'jwst_0000.pmap',
 'latest_context': 'jwst_0000.pmap',
 'edit_context': 'jwst_0000.pmap',
 'versions_context': 'jwst_0000.pmap',
 'bad_files_list': [],
 'force_remote_mode': False,
 'mappings': [],
 'reference_url': 'none',
 'mapping_url': 'none',
 'crds_version': {{'str': '14.0.3'}},
 'last_synced': '2026-01-01 00:00:00',
 'download_metadata': {download_metadata!r},
}}
"""


def offline_environment(scratch: str | Path | None = None) -> dict[str, str]:
    """Environment variables under which jwst runs with no CRDS server.

    Parameters
    ----------
    scratch : path, optional
        Directory for the scratch CRDS cache (a temporary one when not given).

    Returns
    -------
    dict
        The variables to add to ``os.environ`` (or to a subprocess's environment).
    """
    from crds.client.proxy import crds_encode

    root = Path(scratch) if scratch else Path(tempfile.mkdtemp(prefix="jwcal-crds-"))
    cfgdir = root / "config" / "jwst"
    cfgdir.mkdir(parents=True, exist_ok=True)
    (cfgdir / "server_config").write_text(_SERVER_CONFIG.format(download_metadata=crds_encode({})))
    return {
        "STPIPE_DISABLE_CRDS_STEPPARS": "true",
        "CRDS_PATH": str(root),
        "CRDS_CONFIG_URI": str(cfgdir),
        "CRDS_SERVER_URL": "https://jwst-serverless-mode.stsci.edu",
        "CRDS_CONTEXT": "jwst_0000.pmap",
        "CRDS_MODE": "local",
    }


def refs_by_type(refdir: str | Path) -> dict[str, str]:
    """reftype (lower case) -> path for every reference file in a directory (one per type)."""
    from ..references import RefIndex

    out: dict[str, str] = {}
    for entry in RefIndex(refdir).entries:
        out.setdefault(entry.reftype.lower(), entry.path)
    return out


def pipeline_overrides(pipeline_class: str, refs: dict[str, str], steps: dict | None = None):
    """The ``steps`` argument for a jwst pipeline with every reference type overridden.

    Types not in ``refs`` get ``"N/A"``, which jwst accepts for steps that will not run.
    Must be called in a process where :func:`offline_environment` is already in effect.
    """
    import importlib

    mod, _, cls = pipeline_class.rpartition(".")
    pipe = getattr(importlib.import_module(mod), cls)
    out: dict[str, dict] = {}
    for name, step_cls in pipe.step_defs.items():
        cfg = dict((steps or {}).get(name, {}))
        for rt in getattr(step_cls, "reference_file_types", []):
            cfg.setdefault(f"override_{rt}", refs.get(rt, "N/A"))
        out[name] = cfg
    for name, cfg in (steps or {}).items():
        out.setdefault(name, dict(cfg))
    return out


_RUNNER = r"""
import json, sys, importlib
args = json.loads(sys.argv[1])
from jwcal.testing.oracle import pipeline_overrides
mod, _, cls = args["cls"].rpartition(".")
klass = getattr(importlib.import_module(mod), cls)
kw = dict(args.get("params", {}))
if hasattr(klass, "step_defs"):
    kw["steps"] = pipeline_overrides(args["cls"], args["refs"], args.get("steps"))
else:
    for rt in getattr(klass, "reference_file_types", []):
        kw.setdefault(f"override_{rt}", args["refs"].get(rt, "N/A"))
klass.call(args["input"], output_dir=args["output_dir"], save_results=True, **kw)
"""


def run_jwst(
    cls: str,
    input_path: str | Path,
    refs: dict[str, str],
    output_dir: str | Path,
    *,
    steps: dict | None = None,
    params: dict | None = None,
    timeout: float = 1800,
    scratch: str | Path | None = None,
) -> subprocess.CompletedProcess:
    """Run a jwst pipeline or step class offline in a fresh process and save its products.

    Parameters
    ----------
    cls : str
        Full class name, e.g. ``"jwst.pipeline.Detector1Pipeline"``.
    input_path : path
        The input file (or association).
    refs : dict
        reftype -> path; every other reference type a step asks for is "N/A".
    output_dir : path
        Where jwst writes its products.
    steps, params : dict, optional
        Per-step parameters and top-level parameters, passed explicitly (offline, jwst
        runs with its code defaults, not the operational parameter files).

    Returns
    -------
    subprocess.CompletedProcess
        With ``stdout``/``stderr`` captured; raises CalledProcessError on failure.
    """
    env = dict(os.environ)
    env.update(offline_environment(scratch))
    payload = json.dumps(
        {
            "cls": cls,
            "input": str(input_path),
            "refs": {k: str(v) for k, v in refs.items()},
            "output_dir": str(output_dir),
            "steps": steps or {},
            "params": params or {},
        }
    )
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    return run_python(_RUNNER, [payload], env=env, timeout=timeout, check=True)
