"""The Pipeline: an ordered set of configurable sub-steps."""

from __future__ import annotations

import time
from typing import ClassVar

from ..errors import ConfigError
from . import logs
from .step import Step

__all__ = ["Pipeline"]


class Pipeline(Step):
    """Base class of the calibration pipelines.

    Subclasses set ``step_defs`` (step name -> Step class, in processing order) and may set
    ``step_params`` (their defaults for sub-step parameters, below a parameter file and the
    command line in precedence).  Each sub-step is an attribute (``self.jump``), configured
    with ``steps={"jump": {...}}``; ``process`` runs them (``model = self.jump.run(model)``).

    Parameters
    ----------
    name, parent, config_file
        As for :class:`Step`.
    steps : dict, optional
        Step name -> parameters of that step.
    **params
        The pipeline's own parameters.
    """

    step_defs: ClassVar[dict[str, type[Step]]] = {}
    step_params: ClassVar[dict[str, dict]] = {}

    def __init__(self, name=None, parent=None, config_file=None, steps=None, **params):
        steps = dict(steps or {})
        unknown = sorted(set(steps) - set(self.step_defs))
        if unknown:
            what = "step" if len(unknown) == 1 else "steps"
            raise ConfigError(
                f"{type(self).__name__} has no {what} {', '.join(unknown)} "
                f"(its steps: {', '.join(self.step_defs)})"
            )
        super().__init__(name, parent=parent, config_file=config_file, **params)
        for key, cls in self.step_defs.items():
            if not (isinstance(cls, type) and issubclass(cls, Step)):
                raise TypeError(f"{type(self).__name__}.step_defs[{key!r}] is not a Step class")
            cfg = dict(self.step_params.get(key) or {})
            cfg.update(steps.get(key) or {})
            sub = cls.from_config(cfg, name=key, parent=self, config_file=config_file)
            object.__setattr__(self, key, sub)

    @classmethod
    def from_config(cls, config: dict, name=None, parent=None, config_file=None):
        cfg = dict(config)
        cfg.pop("class", None)
        cfg_name = cfg.pop("name", None)
        return cls(name or cfg_name, parent=parent, config_file=config_file, **cfg)

    @property
    def steps(self) -> dict[str, Step]:
        """The sub-step instances by name, in order."""
        return {k: getattr(self, k) for k in self.step_defs}

    def all_reference_file_types(self) -> list[str]:
        """Reference types of the pipeline and of its sub-steps that are not skipped."""
        out = list(self.reference_file_types)
        for step in self.steps.values():
            if step.skip:
                continue
            more = (
                step.all_reference_file_types()
                if isinstance(step, Pipeline)
                else step.reference_file_types
            )
            out.extend(t for t in more if t not in out)
        return out

    def get_pars(self, include_steps: bool = True) -> dict:
        pars = super().get_pars()
        if include_steps:
            pars["steps"] = {k: s.get_pars() for k, s in self.steps.items()}
        return pars

    def update_pars(self, parameters: dict) -> None:
        super().update_pars(parameters)
        for key, sub in (parameters.get("steps") or {}).items():
            if key in self.step_defs:
                getattr(self, key).update_pars(sub)

    def run(self, *args):
        self._summary = []
        t0 = time.perf_counter()
        result = super().run(*args)
        if self.parent is None and self._summary:
            self.log.info(
                "%s summary:\n%s",
                self.name,
                logs.format_summary(self._summary, time.perf_counter() - t0),
            )
        return result

    def _status_of(self, result) -> str:
        return "SKIPPED" if self.skip else "COMPLETE"
