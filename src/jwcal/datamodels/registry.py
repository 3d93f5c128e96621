"""Which model class reads a file."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError
from . import asdf_models, products, reference
from .model import DataModel

__all__ = ["open", "model_class", "MODEL_CLASSES"]

MODEL_CLASSES: dict[str, type] = {}
for _mod in (products, reference, asdf_models):
    for _name in _mod.__all__:
        _obj = getattr(_mod, _name)
        if isinstance(_obj, type) and _name.endswith("Model"):
            MODEL_CLASSES[_name] = _obj

# Names other JWST tools write in DATAMODL for the same layouts.
_ALIASES = {
    "DrizProductModel": "ImageModel",
    "IFUImageModel": "ImageModel",
    "SuperBiasModel": "SuperBiasModel",
    "DarkNirspecModel": "DarkModel",
    "ReadNoiseModel": "ReadnoiseModel",
}


def model_class(name: str) -> type | None:
    """The class for a DATAMODL value, or None."""
    return MODEL_CLASSES.get(_ALIASES.get(name, name))


def _guess_fits(path: str):
    from .fits_io import FitsSource

    src = FitsSource(path)
    try:
        prim = src.headers["PRIMARY"]
        name = str(prim.get("DATAMODL", "")).strip()
        cls = model_class(name) if name else None
        if cls is not None:
            return cls
        reftype = str(prim.get("REFTYPE", "")).strip().upper()
        if reftype:
            if reftype == "DARK" and "SCI" in src.headers and src.headers["SCI"].get("NAXIS") == 4:
                return reference.DarkMIRIModel
            if reftype == "PHOTOM":
                inst = str(prim.get("INSTRUME", "")).upper()
                return {
                    "NIRISS": reference.NisImgPhotomModel,
                    "MIRI": reference.MirImgPhotomModel,
                    "FGS": reference.FgsImgPhotomModel,
                }.get(inst, reference.NrcImgPhotomModel)
            if reftype == "APCORR":
                inst = str(prim.get("INSTRUME", "")).upper()
                return {
                    "NIRISS": reference.NisImgApcorrModel,
                    "MIRI": reference.MirImgApcorrModel,
                    "FGS": reference.FgsImgApcorrModel,
                }.get(inst, reference.NrcImgApcorrModel)
            if reftype in reference.REFTYPE_MODELS:
                return reference.REFTYPE_MODELS[reftype]
            raise InputError(f"{path}: reference type {reftype} is not one jwcal reads")
        if "SCI" not in src.headers:
            raise InputError(
                f"{path}: no SCI extension and no DATAMODL keyword: not a JWST product"
            )
        sci = src.headers["SCI"]
        ndim = sci.get("NAXIS", 0)
        if ndim == 4:
            if sci.get("BITPIX") == 16 and "GROUPDQ" not in src.headers:
                return products.Level1bModel
            return products.RampModel
        if ndim == 3:
            return products.CubeModel
        if ndim == 2:
            return products.ImageModel
        raise InputError(f"{path}: SCI is {ndim}-D, which no jwcal model holds")
    finally:
        src.close()


def open(init, **kwargs):  # noqa: A001 - the name JWST users know
    """Open a file (or wrap a model) as the right jwcal data model.

    Parameters
    ----------
    init : str, Path or DataModel
        A JWST FITS product or reference file, or an ASDF reference file.  A model is
        returned as it is.

    Returns
    -------
    DataModel or AsdfReferenceModel
        The class named by the file's DATAMODL keyword; failing that, the one for its
        REFTYPE; failing that, the one its SCI array's shape implies.
    """
    if isinstance(init, (DataModel, asdf_models.AsdfReferenceModel)):
        return init
    if not isinstance(init, (str, os.PathLike)):
        raise InputError(f"cannot open {type(init).__name__} as a data model")
    path = Path(init)
    if path.suffix.lower() == ".json":
        raise InputError(f"{path}: an association, not a data model (use jwcal.associations)")
    if path.suffix.lower() == ".asdf":
        return _open_asdf(path)
    cls = _guess_fits(os.fspath(path))
    return cls(path, **kwargs)


def _open_asdf(path: Path):
    model = asdf_models.AsdfReferenceModel(path)
    reftype = str(model.meta.get("reftype", "") or "").upper()
    mtype = model.meta.get("model_type", "")
    cls = asdf_models.ASDF_REFTYPE_MODELS.get(reftype) or MODEL_CLASSES.get(mtype)
    if cls is None or not issubclass(cls, asdf_models.AsdfReferenceModel):
        return model
    out = cls.__new__(cls)
    object.__setattr__(out, "_tree", model._tree)
    object.__setattr__(out, "_path", path)
    out._tree["meta"]["model_type"] = cls.__name__
    return out
