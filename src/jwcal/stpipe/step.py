"""The Step: one calibration step with typed parameters, reference files and outputs."""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import time
from pathlib import Path
from typing import ClassVar

from ..errors import ConfigError
from . import config as _config
from . import logs
from .output import make_output_path
from .params import UNIVERSAL_PARAMS, Param, override_param
from .stepio import StepInputs, is_model
from .threads import get_threads, resolve_maximum_cores

__all__ = ["Step"]

_log = logging.getLogger("jwcal.stpipe")
_SPEC_CACHE: dict[type, dict[str, Param]] = {}


class Step(StepInputs):
    """Base class of every calibration step.

    Subclasses set ``class_alias`` (the jwst alias), ``cal_step`` (the
    ``meta.cal_step`` entry they set), ``params`` (:class:`~jwcal.stpipe.Param` by name,
    with jwst 3.0.0's defaults), ``reference_file_types``, and implement ``process``.

    Parameters
    ----------
    name : str, optional
        Instance name (default: the class name; inside a pipeline, the step's key).  The
        default output suffix is the name in lower case.
    parent : Step, optional
        The pipeline running this step.
    config_file : str, optional
        The parameter file this step was configured from.
    **params
        Parameter values (validated and converted to the declared types).
    """

    class_alias: ClassVar[str | None] = None
    cal_step: ClassVar[str | None] = None
    params: ClassVar[dict[str, Param]] = {}
    reference_file_types: ClassVar[tuple[str, ...]] = ()

    # ----- parameters ----------------------------------------------------------------------
    @classmethod
    def param_specs(cls) -> dict[str, Param]:
        """Every parameter of the class: universal ones, the class's, ``override_<reftype>``."""
        specs = _SPEC_CACHE.get(cls)
        if specs is None:
            specs = dict(UNIVERSAL_PARAMS)
            for klass in reversed(cls.__mro__):
                specs.update(klass.__dict__.get("params", {}) or {})
            for rt in cls.reference_file_types:
                specs[f"override_{rt}"] = override_param(rt)
            _SPEC_CACHE[cls] = specs
        return specs

    def __init__(self, name=None, parent=None, config_file=None, **params):
        specs = self.param_specs()
        object.__setattr__(self, "name", name or type(self).__name__)
        object.__setattr__(self, "parent", parent)
        object.__setattr__(self, "config_file", config_file)
        object.__setattr__(self, "_input_dir", None)
        object.__setattr__(self, "_input_filename", None)
        unknown = sorted(set(params) - set(specs))
        if unknown:
            what = "parameter" if len(unknown) == 1 else "parameters"
            raise ConfigError(f"unknown {what} {', '.join(unknown)} for {type(self).__name__}")
        for key, spec in specs.items():
            object.__setattr__(self, key, copy.deepcopy(spec.default))
        for key, value in params.items():
            setattr(self, key, value)
        self._refs_used: list[tuple[str, str]] = []
        self._summary: list[tuple[str, str, float]] = []
        self.log = logging.getLogger(f"{logs.LOGGER_NAME}.{self.qualified_name}")

    def __setattr__(self, key, value):
        spec = self.param_specs().get(key)
        if spec is not None:
            value = spec.convert(value, f"{self.name}.{key}")
        object.__setattr__(self, key, value)

    @property
    def qualified_name(self) -> str:
        return self.name if self.parent is None else f"{self.parent.qualified_name}.{self.name}"

    def get_pars(self, include_steps: bool = True) -> dict:
        """The current parameter values (overrides only when set)."""
        out = {}
        for key in self.param_specs():
            value = getattr(self, key)
            if key.startswith("override_") and (value is None or is_model(value)):
                continue
            out[key] = copy.deepcopy(value) if not callable(value) else value
        return out

    def update_pars(self, parameters: dict) -> None:
        """Set parameters from a dict like :meth:`get_pars` returns (unknown keys ignored)."""
        specs = self.param_specs()
        for key, value in parameters.items():
            if key in specs:
                setattr(self, key, value)

    def export_config(self, filename, include_metadata: bool = True) -> Path:
        """Write the parameters as a parameter file (ASDF, or ``.cfg`` by extension).

        ``include_metadata`` is accepted for jwst compatibility; the file always has its
        ``meta`` block.
        """
        return _config.write_parameter_file(self, filename)

    @property
    def n_threads(self) -> int:
        """Threads for the kernels: from ``maximum_cores`` when the step has it."""
        if "maximum_cores" in self.param_specs():
            return resolve_maximum_cores(self.maximum_cores)
        return get_threads()

    # ----- construction from configurations -----------------------------------------------
    @classmethod
    def from_config(cls, config: dict, name=None, parent=None, config_file=None):
        """An instance from a configuration dict (already checked by ``filter_config``)."""
        cfg = dict(config)
        cfg.pop("class", None)
        cfg_name = cfg.pop("name", None)
        return cls(name or cfg_name, parent=parent, config_file=config_file, **cfg)

    @classmethod
    def build_config(cls, config_file=None, defaults_file=None, **kwargs) -> tuple[dict, str]:
        """Merge the parameter sources in jwst's order of precedence.

        Class defaults for sub-steps (``Pipeline.step_params``) < ``defaults_file`` (a
        variant's shipped .cfg) < ``config_file`` (the user's parameter file) < ``kwargs``.

        Returns
        -------
        config : dict
        name : str or None
            The instance name given by the files, if any.
        """
        config: dict = {}
        name = None
        step_params = getattr(cls, "step_params", None)
        if step_params:
            config = _config.merge_config(config, {"steps": copy.deepcopy(step_params)})
        for path in (defaults_file, config_file):
            if path is None:
                continue
            p = _config.find_config_file(path)
            raw = _config.read_parameter_file(p)
            name = raw.get("name") or name
            checked = _config.filter_config(cls, raw, str(p), strict=False)
            config = _config.merge_config(config, checked)
        if kwargs:
            steps = kwargs.get("steps")
            if steps:
                steps = {k: dict(v) for k, v in steps.items()}
                for sname, sub in steps.items():
                    ref = sub.pop("config_file", None)
                    if ref:
                        base = Path(config_file).parent if config_file else Path()
                        loaded = _config.read_parameter_file(base / ref)
                        loaded.pop("class", None)
                        loaded.pop("name", None)
                        steps[sname] = _config.merge_config(loaded, sub)
                kwargs = {**kwargs, "steps": steps}
            checked = _config.filter_config(cls, kwargs, "", strict=True)
            config = _config.merge_config(config, checked)
        return config, name

    @classmethod
    def from_config_file(cls, config_file, name=None):
        """An instance configured by a parameter file (its ``class`` must be this class or
        a subclass when it names one that jwcal knows)."""
        from .registry import resolve_class

        raw = _config.read_parameter_file(_config.find_config_file(config_file))
        target = cls
        if raw.get("class"):
            try:
                named, _ = resolve_class(str(raw["class"]))
            except ConfigError:
                named = None
            if named is not None and issubclass(named, cls):
                target = named
        config, fname = target.build_config(config_file=config_file)
        return target.from_config(config, name=name or fname, config_file=str(config_file))

    @classmethod
    def call(cls, *args, config_file=None, **kwargs):
        """Configure a new instance and run it on ``args``.

        Parameters
        ----------
        *args
            The input: a file, a model or an association (``asn.json``).
        config_file : str or Path, optional
            A parameter file (ASDF or ``.cfg``); keyword arguments win over it.
        **kwargs
            Parameters; ``steps={"jump": {...}}`` for a pipeline's steps.
        """
        # jwst's logging switches; jwcal logs through the standard logging module.
        configure_log = kwargs.pop("configure_log", True)
        kwargs.pop("logcfg", None)
        ctx = logs.ensure_handler() if configure_log else contextlib.nullcontext()
        with ctx:
            config, name = cls.build_config(config_file=config_file, **kwargs)
            instance = cls.from_config(config, name=name, config_file=config_file)
            return instance.run(*args)

    # ----- running ------------------------------------------------------------------------
    def process(self, *args):
        """Do the work of the step: subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement process()")

    def run(self, *args):
        """Run the step on its input: hooks, skip, the work, bookkeeping and saving."""
        from .hooks import run_hooks

        t0 = time.perf_counter()
        top = self.parent is None
        what = ", ".join(_describe(a) for a in args)
        self.log.info("%s running on %s", self.qualified_name, what or "no input")
        if top:
            self.log.debug("parameters: %s", self.get_pars())
        if args:
            self.set_primary_input(args[0])
        if self.output_file is not None:
            self.save_results = True
        if self.output_dir:
            os.makedirs(os.path.expandvars(os.path.expanduser(self.output_dir)), exist_ok=True)
        if self.suffix is None:
            self.suffix = self.default_suffix()
        args = run_hooks(self, "pre", args)
        self._refs_used = []
        if top and self.skip:
            self.log.info("%s run on its own, so skip is set to False", self.name)
            self.skip = False
        if self.skip:
            self.log.info("%s skipped", self.name)
            result = args[0] if args else None
            self._mark_skipped(result)
        else:
            result = self.process(*args)
        result = run_hooks(self, "post", (result,))[0]
        for model in _models_in(result):
            self.finalize_result(model)
        self._refs_used = []
        if not self.skip and self.save_results and result is not None:
            self._save_result(result)
        self._finish(result, t0)
        return result

    def _finish(self, result, t0: float) -> None:
        dt = time.perf_counter() - t0
        status = self._status_of(result)
        self.log.info(
            "%s done: %s in %.2f s (peak RSS %.0f MB)", self.name, status, dt, logs.peak_rss_mb()
        )
        if self.parent is not None:
            self.parent._summary.append((self.name, status, dt))

    def _status_of(self, result) -> str:
        if self.skip:
            return "SKIPPED"
        key = self.cal_step or self.class_alias
        for model in _models_in(result):
            value = model.meta.get(f"cal_step.{key}") if key else None
            if value:
                return str(value)
        return "COMPLETE"

    def _mark_skipped(self, result) -> None:
        for model in _models_in(result):
            self.record_step_status(model, "SKIPPED")

    def _save_result(self, result) -> None:
        if isinstance(result, (list, tuple)):
            many = len(result) > 1
            for i, r in enumerate(result):
                if is_model(r):
                    self.save_model(r, idx=i if many and self.output_use_index else None)
        elif is_model(result):
            self.save_model(result)

    def finalize_result(self, model) -> None:
        """Record the reference files used in ``meta.ref_file`` of a result."""
        if not hasattr(model, "meta"):
            return
        for reftype, name in self._refs_used:
            model.meta.set(f"ref_file.{reftype}.name", name)

    def record_step_status(self, model, status: str) -> None:
        """Set ``meta.cal_step.<cal_step>`` of ``model`` (or of each model in a list)."""
        key = self.cal_step or self.class_alias
        if not key:
            return
        for m in _models_in(model):
            m.meta.set(f"cal_step.{key}", status)

    # ----- outputs ------------------------------------------------------------------------
    def default_suffix(self) -> str:
        return self.name.lower()

    def default_output_file(self, input_file=None) -> str:
        name = input_file if isinstance(input_file, str) else None
        if name is None:
            name = self.search_attr("_input_filename")
        if name is None:
            name = f"step_{self.name}{self.output_ext}"
        return name

    def make_output_path(self, basepath=None, ext=None, suffix=None, **components) -> str:
        """The output path by the JWST naming rules (see :mod:`jwcal.stpipe.output`)."""
        comps = dict(getattr(self, "_output_components", None) or {})
        comps.update(components)
        return make_output_path(self, basepath=basepath, ext=ext, suffix=suffix, **comps)

    def add_asn_id_to_output_name(self, source=None):
        """Put the association id in this step's output names (``x_o001_crf.fits``).

        ``source`` is an Association, an asn id, or None (then this step's or a parent's
        ``asn_id`` attribute, if any).  Returns the id used (None: names carry no id).
        """
        asn_id = getattr(source, "asn_id", source)
        if asn_id is None:
            asn_id = self.search_attr("asn_id")
        self._output_components = {"asn_id": asn_id}
        return asn_id

    def save_model(self, model, suffix=None, idx=None, output_file=None, force=False, **comps):
        """Save ``model`` under this step's naming rules, if saving is asked for.

        Returns the path written, or None when ``save_results`` is off and no
        ``output_file`` is set (unless ``force``).
        """
        if output_file in (None, ""):
            output_file = self.output_file
        if not force and not self.save_results and not output_file:
            return None
        if self.output_use_model or (output_file is None and not self.search_output_file):
            output_file = model.meta.get("filename")
            idx = None
        path = self.make_output_path(basepath=output_file, suffix=suffix, idx=idx, **comps)
        out = model.save(path)
        self.log.info("Saved %s", out)
        return str(out)

    def search_attr(self, attribute: str, default=None, parent_first: bool = False):
        """The first non-None ``attribute`` of this step or its parents."""
        if parent_first and self.parent is not None:
            value = self.parent.search_attr(attribute, parent_first=True)
            if value is not None:
                return value
        value = getattr(self, attribute, None)
        if value is None and self.parent is not None:
            value = self.parent.search_attr(attribute)
        return default if value is None else value

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.qualified_name}>"


def _models_in(result):
    if result is None:
        return []
    if isinstance(result, (list, tuple)):
        return [m for m in result if is_model(m)]
    if is_model(result):
        return [result]
    members = getattr(result, "models", None)
    if isinstance(members, list):
        return [m for m in members if is_model(m)]
    return []


def _describe(obj) -> str:
    if isinstance(obj, (str, os.PathLike)):
        return os.fspath(obj)
    if is_model(obj):
        return repr(obj)
    if isinstance(obj, (list, tuple)):
        return f"{len(obj)} inputs"
    return type(obj).__name__
