"""NSClean: 1/f noise of NIRSpec images fitted in Fourier space (Rauscher 2024, PASP 136,
015001; "NSClean: an algorithm for removing correlated noise from JWST NIRSpec images").

The background pixels of each detector line (full frame), or of a stretch of the clocking
sequence (subarrays, with the new-row overhead), are fitted by a weighted least-squares
sum of low-frequency Fourier vectors; the model is apodised, optionally smoothed along the
dispersion ("buffing"), and subtracted.  Data are handled in detector orientation (the
science frame transposed, and flipped for NRS2).  The arithmetic and precision are those
of jwst 3.0's clean_flicker_noise (single-precision complex fits), so the models agree.
"""

from __future__ import annotations

import numpy as np

__all__ = ["clean_full_frame", "clean_subarray", "lowpass_filter", "to_detector", "from_detector"]


def to_detector(image, detector):
    """Science frame to detector orientation (slow scan up, fast scan right)."""
    return image.transpose() if detector == "NRS1" else image.transpose()[::-1]


def from_detector(image, detector):
    return image.transpose() if detector == "NRS1" else image[::-1].transpose()


def lowpass_filter(f_half_power, w_cutoff, n, d=1.0):
    """Gain 1 below ``f_half_power - w/2``, a half-cosine roll-off, 0 above."""
    freq = np.fft.rfftfreq(n, d=d)
    cos = (1 + np.cos(np.pi * (freq - f_half_power) / w_cutoff + np.pi / 2)) / 2
    filt = np.where(freq <= f_half_power - w_cutoff / 2, 1, cos)
    return np.where(freq <= f_half_power + w_cutoff / 2, filt, 0)


class FullFrameCleaner:
    """NSClean for a full 2048 x 2048 NIRSpec frame (mask in detector orientation)."""

    def __init__(self, mask, fc=1 / (2 * 2048 / 16), kill_width=1 / (2 * 2048 / 16) / 4,
                 buffer_sigma=1.5, sigrej=3.0, weights_kernel_sigma=32):  # fmt: skip
        self.mask = mask
        self.ny, self.nx = mask.shape
        self.kill_width = kill_width
        self.sigrej = sigrej
        self.apodizer = np.array(lowpass_filter(fc, kill_width, self.nx))
        self.nvec = int(np.sum(self.apodizer > 0))
        # Weights: inverse of the local density of background pixels along each line.
        weight = np.zeros((self.ny, self.nx), dtype=np.float32)
        x = np.arange(self.nx)
        mu, sig = self.nx // 2 + 1, weights_kernel_sigma
        weight[self.ny // 2 + 1] = np.exp(-((x - mu) ** 2) / sig**2 / 2) / sig / np.sqrt(2 * np.pi)
        weight_fft = np.fft.rfft2(np.fft.ifftshift(weight))
        with np.errstate(divide="ignore"):
            p = 1 / np.fft.irfft2(
                np.fft.rfft2(np.array(mask, dtype=np.float32)) * weight_fft, (self.ny, self.nx)
            )
        p = np.where(mask, p, 0.0)
        p[~np.isfinite(p)] = 0.0
        self.p_matrix = p
        y = np.arange(self.ny)
        mu = self.nx // 2 + 1
        gk = np.exp(-(((y - mu) / buffer_sigma) ** 2) / 2) / buffer_sigma / np.sqrt(2 * np.pi)
        kern = np.zeros((self.ny, self.nx), dtype=np.float32)
        kern[:, mu] = gk
        self.fgkern = np.array(np.fft.rfft2(np.fft.ifftshift(kern)), dtype=np.complex64)

    def fit(self, data):
        model = np.zeros((self.ny, self.nx), dtype=np.float32)
        k = np.arange(self.nvec).reshape((1, -1))
        for y in np.arange(self.ny)[4:-4]:
            use = self.mask[y]
            d = data[y][use]
            if len(d) == 0:
                continue
            p = self.p_matrix[y][use]
            mu = np.median(d)
            sig = 1.4826 * np.median(np.abs(d - mu))
            d = np.where((mu - self.sigrej * sig <= d) & (d <= mu + self.sigrej * sig), d, mu)
            m = np.arange(self.nx)[use].reshape((-1, 1))
            basis = np.array(np.exp(2 * np.pi * 1j * m * k / self.nx) / m.shape[0],
                             dtype=np.complex64)  # fmt: skip
            a = basis * p[:, np.newaxis]
            a_h = np.conjugate(a.transpose())
            pinv_pb = np.matmul(np.linalg.inv(np.matmul(a_h, a)), a_h)
            rfft = np.zeros(self.nx // 2 + 1, dtype=np.complex64)
            rfft[: k.shape[1]] = np.matmul(pinv_pb, p * d)
            rfft *= self.nx / m.shape[0]
            if self.kill_width > 0:
                rfft[: self.nvec] *= self.apodizer[: self.nvec]
            model[y] = np.fft.irfft(rfft, self.nx)
        return model

    def model(self, data, buff=True):
        """The background model of a frame in detector orientation."""
        bkg = self.fit(data)
        if buff:
            bkg = np.fft.irfft2(np.fft.rfft2(bkg) * self.fgkern, s=bkg.shape)
        return bkg


def clean_full_frame(image, mask, detector, log, buff=True):
    """Subtract the NSClean background from a full frame, in place (single precision, as
    jwst); returns the image, or None if a fit is singular."""
    cleaner = FullFrameCleaner(to_detector(mask, detector))
    data = to_detector(image, detector)
    try:
        data -= cleaner.model(data, buff=buff)
    except np.linalg.LinAlgError:
        log.warning("Error cleaning image; step will be skipped")
        return None
    return image


class SubarrayCleaner:
    """NSClean for a stretch of a subarray (detector orientation), fitted on the full
    clocking sequence: 10 microseconds per pixel, 12 pixel times of overhead per line."""

    nloh = np.int32(12)
    tpix = np.float32(10.0e-6)
    sigrej = np.float32(4.0)

    def __init__(self, data, mask, fc=(1061, 1211, 49943, 49957), weights_kernel_sigma=None):
        self.data = np.array(data, dtype=np.float32)
        self.mask = np.array(mask, dtype=np.bool_)
        self.ny = np.int32(data.shape[0])
        self.nx = np.int32(data.shape[1])
        self.n = np.int32(self.ny * (self.nx + self.nloh))
        self.freq = np.array(np.fft.rfftfreq(self.n, self.tpix), dtype=np.float32)
        if weights_kernel_sigma is None:
            weights_kernel_sigma = 1 / ((fc[0] + fc[1]) / 2) / self.tpix / 2 / 4
        self.kernel_sigma = weights_kernel_sigma
        self.mask[np.isnan(self.data)] = False
        fc = np.array(fc, dtype=np.float32)
        ap = np.zeros(len(self.freq), dtype=np.float32)
        ap[self.freq < fc[0]] = 1.0
        here = (fc[0] <= self.freq) & (self.freq < fc[1])
        ap[here] = 0.5 * (np.cos((np.pi / (fc[1] - fc[0])) * (self.freq[here] - fc[0])) + 1)
        here = (fc[2] <= self.freq) & (self.freq < fc[3])
        ap[here] = 0.5 * (np.cos((np.pi / (fc[3] - fc[2])) * (self.freq[here] - fc[2]) + np.pi) + 1)
        ap[self.freq >= fc[3]] = 1.0
        self.apodizer = ap

    def model(self):
        """The weighted least-squares background model of the stretch."""
        x = np.arange(self.nx).reshape((1, -1))
        y = np.arange(self.ny).reshape((-1, 1))
        m = (y * (self.nx + self.nloh) + x)[self.mask].reshape((-1, 1))
        k = np.arange(len(self.freq))[self.apodizer > 0.0].reshape((1, -1))
        basis = np.array(np.exp(2 * np.pi * 1j * m * k / self.n) / m.shape[0], dtype=np.complex64)
        t = np.arange(self.n, dtype=np.float32)
        mu = np.float32(self.n // 2 + 1)
        sig = np.float32(self.kernel_sigma)
        weight = np.exp(-((t - mu) ** 2) / sig**2 / 2) / sig / np.sqrt(2 * np.pi)
        weight_fft = np.fft.rfft(np.fft.ifftshift(weight))
        mline = np.hstack((self.mask, np.zeros((self.ny, self.nloh), dtype=np.bool_))).flatten()
        with np.errstate(divide="ignore"):
            p = 1 / np.fft.irfft(np.fft.rfft(np.array(mline, dtype=np.float32)) * weight_fft,
                                 self.n)  # fmt: skip
        p = p[mline]
        p[~np.isfinite(p)] = 0.0
        a = p.reshape((-1, 1)) * basis
        a_h = np.conjugate(a.transpose())
        pinv_pb = np.matmul(np.linalg.inv(np.matmul(a_h, a)), a_h)
        rfft = np.zeros(len(self.freq), dtype=np.complex64)
        rfft[self.apodizer > 0.0] = np.matmul(pinv_pb * p.reshape((1, -1)), self.data[self.mask])
        rfft *= self.n / m.shape[0]
        return np.fft.irfft(rfft * self.apodizer, self.n).reshape((self.ny, -1))[:, : self.nx]


def clean_subarray(image, mask, detector, log, npix_iter=512,
                       fc=(1061, 1211, 49943, 49957), exclude_outliers=True, sigrej=4,
                       minfrac=0.05):  # fmt: skip
    """A subarray image minus its NSClean background (double precision, as jwst).

    The image is cut along the slow axis into overlapping stretches with about
    ``npix_iter`` background pixels each, fitted separately and blended with triangular
    weights.  Outliers (``sigrej`` robust sigmas) and their 4 neighbours are left out.
    Returns None when the mask has no pixel or a fit is singular.
    """
    image = to_detector(image, detector)
    mask = to_detector(mask, detector)
    if exclude_outliers:
        med = np.median(image[mask])
        std = 1.4825 * np.median(np.abs((image - med)[mask]))
        outlier = mask & (np.abs(image - med) > sigrej * std)
        mask = mask & (~outlier)
        mask[1:] = mask[1:] & (~outlier[:-1])
        mask[:-1] = mask[:-1] & (~outlier[1:])
        mask[:, 1:] = mask[:, 1:] & (~outlier[:, :-1])
        mask[:, :-1] = mask[:, :-1] & (~outlier[:, 1:])
    sum_mask = np.array([0] + list(np.cumsum(np.sum(mask, axis=1))))
    nonzero = np.sum(mask, axis=1) > 0
    if np.sum(nonzero) == 0:
        log.warning("No good pixels in mask; step will be skipped")
        return None
    rows = np.arange(mask.shape[0])
    i1, imax = np.amin(rows[nonzero]), np.amax(rows[nonzero])
    starts, widths, models = [], [], []
    while i1 <= imax:
        k = 0
        for k in range(i1 + 1, imax + 2):
            if (sum_mask[k] - sum_mask[i1] > npix_iter
                    and sum_mask[-1] - sum_mask[i1] > 1.5 * npix_iter):  # fmt: skip
                break
        di = k - i1
        starts.append(i1)
        widths.append(di)
        if np.mean(mask[i1 : i1 + di]) > minfrac:
            cleaner = SubarrayCleaner(image[i1 : i1 + di], mask[i1 : i1 + di], fc=fc)
            try:
                models.append(cleaner.model())
            except np.linalg.LinAlgError:
                log.warning("Error cleaning image; step will be skipped")
                return None
        else:
            log.warning(
                "Insufficient reference pixels for NSClean around row %d; no correction "
                "will be made here.", i1,
            )  # fmt: skip
            models.append(np.zeros(image[i1 : i1 + di].shape))
        if k == imax + 1:
            break
        i1 += max(int(np.round(di / 2)), 1)
    model = np.zeros(image.shape)
    total = np.zeros(image.shape)
    for i0, di, mod in zip(starts, widths, models, strict=True):
        w = 1.001 - np.abs(np.linspace(-1, 1, di))[:, np.newaxis]
        model[i0 : i0 + di] += w * mod
        total[i0 : i0 + di] += w
    total[model == 0] = 1
    model /= total
    return from_detector(image - model, detector)
