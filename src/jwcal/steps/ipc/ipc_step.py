"""The ipc step: undo inter-pixel capacitance by convolving with the IPC kernel."""

from __future__ import annotations

import numpy as np

from jwcore.detector import convolve_ipc

from ... import datamodels
from ...stpipe import Step
from .._ramps import is_irs2, reject_superstripe, science_region, writeable

__all__ = ["IPCStep"]


class IPCStep(Step):
    """Convolve every group with the IPC deconvolution kernel (the IPC reference file).

    The kernel is one small array (usually 3x3 or 5x5) or one per pixel (4-D, cut to the
    exposure's subarray).  Reference pixels are neither changed nor used: the science region
    is convolved as if surrounded by zeros.  NIRSpec IRS2 data are convolved on their normal
    pixels only.  The arithmetic is :func:`jwcore.detector.convolve_ipc`, identical to jwst's.
    """

    class_alias = "ipc"
    cal_step = "ipc"
    reference_file_types = ("ipc",)

    def process(self, input):
        model = self.prepare_output(input, datamodels.RampModel)
        reject_superstripe(model, "ipc")
        ref = self.load_reference(model, "ipc")
        if ref is None:
            self.log.warning("No IPC reference file; ipc skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        kernel = np.asarray(ref.data, dtype=np.float32)
        data = writeable(model, "data")
        if is_irs2(model):
            self._convolve_irs2(model, data, kernel)
        else:
            region = science_region(model)
            self.log.debug("Science region rows %d:%d, columns %d:%d", *region)
            convolve_ipc(data, kernel, region=region, n_threads=self.n_threads)
        self.record_step_status(model, "COMPLETE")
        return model

    def _convolve_irs2(self, model, data, kernel) -> None:
        from ..saturation.irs2 import normal_rows

        rows = normal_rows(model.meta, data.shape[-2])
        shape = (int(rows.sum()), data.shape[-1])
        region = science_region(model, shape)
        for i in range(data.shape[0]):
            # One integration of normal rows at a time: the reference rows stay as they are.
            normal = np.ascontiguousarray(data[i][:, rows, :])
            convolve_ipc(normal, kernel, region=region, n_threads=self.n_threads)
            data[i][:, rows, :] = normal
