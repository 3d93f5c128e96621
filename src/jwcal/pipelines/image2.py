"""calwebb_image2: count-rate images to calibrated (``_cal``) and resampled (``_i2d``) ones."""

from __future__ import annotations

import os
from pathlib import Path

from .. import datamodels
from ..errors import InputError
from ..steps.assign_wcs import AssignWcsStep
from ..steps.bkg_subtract import BackgroundStep
from ..steps.flat_field import FlatFieldStep
from ..steps.photom import PhotomStep
from ..steps.resample import ResampleStep
from ..stpipe import Param, Pipeline
from ..stpipe.stepio import is_model
from ..stpipe.suffix import remove_suffix

__all__ = ["Image2Pipeline"]

#: Exposure types whose calibrated images are also resampled (``_i2d``).
IMAGE_EXP_TYPES = ("MIR_IMAGE", "NRC_IMAGE", "NIS_IMAGE", "FGS_IMAGE")


class Image2Pipeline(Pipeline):
    """Stage 2 for imaging: bkg_subtract, assign_wcs, flat_field, photom, resample.

    The input is a ``_rate``/``_rateints`` exposure (file or model) or a level-2
    association; each product is calibrated on its own: its ``background`` members (if
    any) are subtracted, then the WCS is attached, the flat field divided and the flux
    calibrated (``_cal``, or ``_calints`` for cubes); 2-D images of the regular imaging
    modes are also resampled (``_i2d``).  Returns the list of calibrated models, as jwst.
    The variants calwebb_tso-image2 and calwebb_wfs-image2 skip steps through their
    shipped parameter files.
    """

    class_alias = "calwebb_image2"
    params = {
        "save_bsub": Param(bool, False, "save the background-subtracted exposure (_bsub)"),
    }
    step_defs = {
        "bkg_subtract": BackgroundStep,
        "assign_wcs": AssignWcsStep,
        "flat_field": FlatFieldStep,
        "photom": PhotomStep,
        "resample": ResampleStep,
    }

    def process(self, input):
        self.log.info("Starting calwebb_image2 ...")
        products, pool, table = self._products(input)
        if len(products) > 1 and self.output_file is not None:
            self.log.warning("Multiple products in the association: output_file is ignored")
            self.output_file = None
        results = []
        for product in products:
            self.log.info("Processing product %s", product["name"])
            if self.save_results and self.output_file is None:
                self.output_file = product["name"]
            result = self._process_product(product, pool, table)
            suffix = "calints" if isinstance(result, datamodels.CubeModel) else "cal"
            result.meta.filename = os.path.basename(
                self.make_output_path(
                    basepath=self.output_file or product["name"], suffix=suffix
                )  # fmt: skip
            )
            results.append(result)
            self.output_file = None
        self.log.info("... ending calwebb_image2")
        # The products are saved under the names just set (x_cal.fits), as jwst does.
        self.output_use_model = True
        object.__setattr__(self, "suffix", False)
        return results

    def _products(self, input):
        """The level-2 products: (name, science and background members) of each."""
        from ..associations import Association

        obj = input
        if isinstance(obj, (str, os.PathLike)) and str(obj).lower().endswith(".json"):
            obj = self.prepare_output(obj)
        if isinstance(obj, Association):
            products = []
            for i, p in enumerate(obj.products):
                members = {"science": [], "background": []}
                for m in obj.members(product=i):
                    kind = m["exptype"].lower()
                    if kind in members:
                        members[kind].append(str(obj.member_path(m)))
                products.append({"name": p.get("name") or _root(members["science"][0]),
                                 **members})  # fmt: skip
            return products, obj.get("asn_pool") or " ", obj.table_name or " "
        if isinstance(obj, (list, tuple)):
            raise InputError("calwebb_image2 takes one exposure or an association, not a list")
        name = self.output_file or _root(obj)
        return [{"name": name, "science": [obj], "background": []}], " ", "singleton"

    def _process_product(self, product, pool, table):
        science = product["science"]
        if len(science) != 1:
            self.log.warning("%d science members in %s: using the first", len(science),
                             product["name"])  # fmt: skip
        model = self.prepare_output(science[0])
        model.meta.asn.pool_name = pool
        model.meta.asn.table_name = table
        if product["background"]:
            ints = isinstance(model, datamodels.CubeModel)
            self.bkg_subtract.suffix = "bsubints" if ints else "bsub"
            if self.save_bsub:
                self.bkg_subtract.save_results = True
            model = self.bkg_subtract.run(model, product["background"])
        model = self.assign_wcs.run(model)
        model = self.flat_field.run(model)
        model = self.photom.run(model)
        exp_type = str(model.meta.get("exposure.type") or "").upper()
        if exp_type in IMAGE_EXP_TYPES and model.data.ndim == 2:
            self.resample.save_results = self.save_results
            self.resample.suffix = "i2d"
            self.resample.run(model)
        self.log.info("Finished processing product %s", product["name"])
        return model


def _root(obj) -> str:
    if is_model(obj):
        name = obj.meta.get("filename") or "image2"
    else:
        name = Path(os.fspath(obj)).name
    stem = os.path.splitext(name)[0]
    return remove_suffix(stem)[0]
