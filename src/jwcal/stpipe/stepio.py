"""What a step reads: its input (opened, converted, copied) and its reference files.

A mixin of :class:`~jwcal.stpipe.Step`, kept apart so that each file reads in one sitting.
"""

from __future__ import annotations

import os
from os.path import abspath, isfile, join, split
from pathlib import Path

#: EXP_TYPEs of FGS guide-mode data: opened as GuiderRawModel where others are RampModel.
FGS_GUIDE_EXP_TYPES = frozenset(
    ("FGS_ACQ1", "FGS_ACQ2", "FGS_FINEGUIDE", "FGS_ID-IMAGE", "FGS_ID-STACK", "FGS_TRACK")
)

__all__ = ["StepInputs", "FGS_GUIDE_EXP_TYPES", "is_model"]


def is_model(obj) -> bool:
    """True for a jwcal data model (FITS or ASDF)."""
    from ..datamodels import DataModel
    from ..datamodels.asdf_models import AsdfReferenceModel

    return isinstance(obj, (DataModel, AsdfReferenceModel))


class StepInputs:
    """Input and reference-file handling of a Step."""

    # ----- inputs -------------------------------------------------------------------------
    def set_primary_input(self, obj, exclusive: bool = True) -> None:
        """Remember the input's name, from which output names are made."""
        if not exclusive or self.search_attr("_input_dir") is None:
            if isinstance(obj, (str, os.PathLike)) and isfile(obj):
                self._input_dir = split(os.fspath(obj))[0]
        if exclusive and self.search_attr("_input_filename") is not None:
            return
        if isinstance(obj, (str, os.PathLike)):
            self._input_filename = os.fspath(obj)
        elif is_model(obj):
            name = obj.meta.get("filename")
            if not name and getattr(obj, "path", None) is not None:
                name = obj.path.name
            self._input_filename = name
        elif isinstance(obj, (list, tuple)) and obj:
            self.set_primary_input(obj[0], exclusive)
        elif hasattr(obj, "table_name"):
            self._input_filename = obj.table_name

    @property
    def input_dir(self) -> str:
        """Directory of input files named without one (the input's own, by default)."""
        return self.search_attr("_input_dir", "") or ""

    @input_dir.setter
    def input_dir(self, value) -> None:
        object.__setattr__(self, "_input_dir", value or None)

    def make_input_path(self, file_path):
        """``file_path`` in ``input_dir`` when it names no directory."""
        if isinstance(file_path, (str, os.PathLike)):
            head, tail = split(os.fspath(file_path))
            if not head and self.input_dir:
                return join(self.input_dir, tail)
        return file_path

    def prepare_output(self, init, model_class=None, make_copy=None):
        """The input as a model this step may modify.

        A path is opened (as ``model_class`` when given); a model passed by the user is
        copied when the step runs on its own (not inside a pipeline, where the previous
        step's output is taken over) or converted when it is of another class (a raw
        ``Level1bModel`` becomes a ``RampModel``: float32 data, zero GROUPDQ and PIXELDQ).
        Asking for a ``RampModel`` gives a ``GuiderRawModel`` for FGS guide-mode exposures,
        as jwst does.  A list is handled item by item; ``asn.json`` gives the association.
        """
        from .. import datamodels

        if make_copy is None:
            make_copy = self.parent is None
        if isinstance(init, (list, tuple)):
            return [self.prepare_output(m, model_class, make_copy) for m in init]
        if isinstance(init, (str, os.PathLike)):
            path = self.make_input_path(init)
            if Path(path).suffix.lower() == ".json":
                from ..associations import load_asn

                asn = load_asn(path)
                if model_class is not None:
                    from ..errors import InputError

                    raise InputError(
                        f"{path}: {self.name} works on one exposure, not an association"
                    )
                return asn
            model = datamodels.open(path)
            target = self._target_class(model, model_class)
            if target is None or isinstance(model, target):
                return model
            model.close()
            return target(path)
        if not is_model(init):
            from ..errors import InputError

            raise InputError(f"{self.name}: cannot use a {type(init).__name__} as input")
        target = self._target_class(init, model_class)
        if target is not None and not isinstance(init, target):
            return target(init)
        return init.copy() if make_copy else init

    @staticmethod
    def _target_class(model, model_class):
        from .. import datamodels

        if model_class is None:
            return None
        if model_class is datamodels.RampModel:
            exp = str(model.meta.get("exposure.type") or "").upper()
            if exp in FGS_GUIDE_EXP_TYPES:
                return datamodels.GuiderRawModel
        return model_class

    # ----- reference files ----------------------------------------------------------------
    def effective_refdir(self):
        """The reference directory: this step's or a parent's ``refdir``, or $JWCAL_REFDIR."""
        from ..references import refdir_from_env

        return self.search_attr("refdir") or refdir_from_env()

    def get_reference_file(self, model, reftype: str):
        """The path of the ``reftype`` reference file for ``model``, or ``"N/A"``.

        ``override_<reftype>`` wins (a path, ``N/A``, or a reference model, which is
        returned as it is); then the reference directory; then a CRDS cache on disk.
        Raises ReferenceFileError when none is found.
        """
        from ..references import NOT_APPLICABLE, find_reference

        rt = reftype.lower()
        override = getattr(self, f"override_{rt}", None)
        if is_model(override):
            self._record_ref(model, rt, "user-supplied model")
            return override
        path = find_reference(model.meta, rt, override=override, refdir=self.effective_refdir())
        if path == NOT_APPLICABLE:
            recorded = NOT_APPLICABLE
        else:
            crds = os.environ.get("CRDS_PATH")
            recorded = abspath(path)
            if override in (None, "") and crds and recorded.startswith(abspath(crds)):
                recorded = "crds://" + Path(path).name
        self._record_ref(model, rt, recorded)
        self.log.info("Using %s reference file %s", rt.upper(), path)
        return path

    def _record_ref(self, model, reftype: str, name: str) -> None:
        self._refs_used = [r for r in self._refs_used if r[0] != reftype]
        self._refs_used.append((reftype, name))
        if hasattr(model, "meta"):
            model.meta.set(f"ref_file.{reftype}.name", name)

    def load_reference(self, model, reftype: str):
        """The ``reftype`` reference for ``model``, opened and cut to its subarray.

        Returns None when the reference is ``N/A``.  The instrument and detector are
        checked, and ``meta.ref_file.<reftype>.name`` is recorded.
        """
        from ..references import NOT_APPLICABLE
        from ..references import load_reference as _load
        from ..references.subarray import fit_to_exposure

        found = self.get_reference_file(model, reftype)
        if is_model(found):
            if hasattr(found, "schema_def"):
                return fit_to_exposure(found.copy(), model, reftype.upper())
            return found
        if found == NOT_APPLICABLE:
            return None
        return _load(found, model, reftype)
