"""Steps, pipelines, parameters and the command line: the framework every step runs in.

It behaves like jwst's stpipe as users know it from ``strun``: steps and pipelines by
alias, typed parameters with jwst's defaults, ASDF and ``.cfg`` parameter files, the
``_uncal`` -> ``_rate`` -> ``_cal`` output names, ``override_<reftype>`` and ``skip``.

.. code-block:: python

    from jwcal.stpipe import Step, Pipeline, Param
"""

from .params import Param
from .pipeline import Pipeline
from .progress import progress
from .step import Step
from .threads import get_threads, set_threads

__all__ = ["Step", "Pipeline", "Param", "set_threads", "get_threads", "progress"]
