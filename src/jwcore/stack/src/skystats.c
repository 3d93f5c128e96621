/* Clipped sky statistics with stsci.imagestats' conventions; see stack.h.
 *
 * Its computeMean keeps values inside [lo, hi] (inclusive), accumulates in double and
 * returns single-precision mean, sample standard deviation, min and max (see
 * clipped_moments for its min/max quirk); the histogram
 * covers [min, min + nbins*dz) in bins of dz = (max - min) / (nbins - 1), while the mode
 * and mid-point are placed with the nominal width hwidth = binwidth * std (imagestats'
 * own mix, kept so that sky levels agree with jwst's).
 */
#include "stack.h"

#include <math.h>
#include <stdlib.h>

static int clipped_moments(const float *v, size_t n, double lo, double hi, int64_t *np,
                           float *mean, float *std, float *mn, float *mx) {
    double s = 0.0, s2 = 0.0;
    int64_t k = 0;
    /* imagestats starts min and max at the first value clamped into [lo, hi], whether or
     * not that value is used: with a clipped first value the histogram then spans up to
     * the clip limit.  Kept, since the mode and mid-point depend on the histogram range. */
    float first = v[0];
    if (!(first >= lo)) first = (float)lo;
    if (first > hi) first = (float)hi;
    float vmin = first, vmax = first;
    for (size_t i = 0; i < n; i++) {
        const float x = v[i];
        if (!(x >= lo && x <= hi)) continue;
        s += x;
        k++;
        if (x < vmin) vmin = x;
        if (x > vmax) vmax = x;
    }
    if (k == 0) return JW_ERR_ARG;
    const double m = s / (double)k;
    for (size_t i = 0; i < n; i++) {
        const float x = v[i];
        if (!(x >= lo && x <= hi)) continue;
        const double d = x - m;
        s2 += d * d;
    }
    *np = k;
    *mean = (float)m;
    *std = (float)(k > 1 ? sqrt(s2 / (double)(k - 1)) : 0.0);
    *mn = vmin;
    *mx = vmax;
    return JW_OK;
}

int jw_sky_stats(const float *v, size_t n, double lower, double upper, int nclip, double lsig,
                 double usig, double binwidth, int want_hist, jw_skystats *out) {
    if (v == NULL || out == NULL || n == 0 || nclip < 0) return JW_ERR_ARG;
    double lo = lower, hi = upper;
    int64_t np = 0;
    float mean = 0, std = 0, mn = 0, mx = 0;
    for (int it = 0; it <= nclip; it++) {
        if (clipped_moments(v, n, lo, hi, &np, &mean, &std, &mn, &mx) != JW_OK) return JW_ERR_ARG;
        if (it < nclip) {
            const double a = (double)mean - lsig * (double)std;
            const double b = (double)mean + usig * (double)std;
            lo = a > lower ? a : lower;
            hi = b < upper ? b : upper;
        }
    }
    out->npix = np;
    out->mean = mean;
    out->stddev = std;
    out->min = mn;
    out->max = mx;
    out->mode = NAN;
    out->midpt = NAN;
    if (!want_hist) return JW_OK;

    const double hwidth = binwidth * (double)std;
    const double drange = (double)mx - (double)mn;
    const double tiny = 10.0 * 1.1920928955078125e-07;
    long nbins;
    double dz;
    if (hwidth < tiny || fabs(drange) < tiny || hwidth > drange) {
        nbins = 1;
        dz = drange;
    } else {
        nbins = (long)(drange / hwidth) + 1;
        dz = drange / (double)(nbins - 1);
    }
    uint32_t *hist = calloc((size_t)nbins, sizeof(uint32_t));
    if (hist == NULL) return JW_ERR_ALLOC;
    const float fmin = mn, fdz = (float)dz;
    const float fmax = fmin + fdz * (float)nbins;
    for (size_t i = 0; i < n; i++) {
        const float x = v[i];
        if (!(x >= fmin && x < fmax) || fdz <= 0.0f) continue;
        long b = (long)((x - fmin) / fdz);
        if (b >= 0 && b < nbins) hist[b]++;
    }
    /* the mode: the first highest bin, refined by a parabola through its neighbours */
    double mode;
    if (nbins == 1) {
        mode = mn + 0.5 * hwidth;
    } else if (nbins == 2) {
        mode = hist[0] > hist[1] ? mn + 0.5 * hwidth
               : hist[0] < hist[1] ? mn + 1.5 * hwidth : mn + hwidth;
    } else {
        long peak = 0;
        for (long b = 1; b < nbins; b++)
            if (hist[b] > hist[peak]) peak = b;
        if (peak == 0) {
            mode = mn + 0.5 * hwidth;
        } else if (peak == nbins - 1) {
            mode = mn + ((double)nbins - 0.5) * hwidth;
        } else {
            const double dh1 = (double)hist[peak] - (double)hist[peak - 1];
            const double dh2 = (double)hist[peak] - (double)hist[peak + 1];
            if (dh1 + dh2 == 0.0) {
                mode = mn + ((double)peak + 0.5) * hwidth;
            } else {
                const double m = (double)peak + 1.0 + 0.5 * (dh1 - dh2) / (dh1 + dh2);
                mode = mn + (m - 0.5) * hwidth;
            }
        }
    }
    out->mode = mode;
    /* the mid-point: where the cumulative histogram crosses one half */
    if (nbins > 1) {
        double total = 0.0;
        for (long b = 0; b < nbins; b++) total += hist[b];
        double cum = 0.0, prev = 0.0;
        long lo_b = nbins - 1;
        for (long b = 0; b < nbins; b++) {
            prev = cum;
            cum += hist[b];
            if ((float)(cum / total) >= 0.5f) {
                lo_b = b;
                break;
            }
        }
        const double h1 = mn + (double)lo_b * hwidth;
        const double hdiff = (float)(cum / total) - (lo_b == 0 ? 0.0 : (float)(prev / total));
        if (hdiff == 0.0)
            out->midpt = h1;
        else if (lo_b == 0)
            out->midpt = h1 + 0.5 / hdiff * hwidth;
        else
            out->midpt = h1 + (0.5 - (float)(prev / total)) / hdiff * hwidth;
    } else {
        out->midpt = hist[0];
    }
    free(hist);
    return JW_OK;
}
