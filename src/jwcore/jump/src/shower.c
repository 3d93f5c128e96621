/* MIRI showers (faint extended emission around cosmic rays): see events.h.
 *
 * After stcal 1.20.0 `find_faint_extended`: each first difference is turned into a
 * significance |d - median| / sigma (sigma from the median and the read noise, or from
 * sigma-clipped statistics across integrations for long exposures), pixels already flagged
 * are masked, the map is smoothed with a ring kernel (masked pixels interpolated over, the
 * outside of the detector counting as zero), and connected regions above snr_threshold with
 * at least min_area pixels are showers.  Their moment ellipses, grown by expand_ratio, are
 * flagged JUMP_DET in that group and groups_masked_after later ones (saturated pixels
 * excepted), except in pixels where the flags would change the mean group difference by more
 * than max_amplitude.  All showers are found before any is flagged.
 *
 * Scratch: the per-pixel statistics (two planes, or two per difference with sigma
 * clipping), one significance plane, one mask plane and one bit per group and pixel of one
 * integration.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "regions.h"
#include "select.h"

#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct {
    const float *data;
    uint8_t *gdq;
    const uint32_t *pdq;
    const float *gain, *rnoise;
    size_t nints, ng, nd, ny, nx, plane;
    const jw_shower_params *p;
    uint8_t bad3; /* DO_NOT_USE | SATURATED | JUMP_DET */
} sh_ctx;

typedef struct {
    int intg, grp;
    jw_region e;
} shower_t;

/* Value in electrons as stcal's shower search sees it: NaN where SATURATED or DO_NOT_USE, or
 * where the group is flagged JUMP_DET and nothing else. */
static inline float value(const sh_ctx *c, size_t i, size_t g, size_t pix) {
    const size_t off = (i * c->ng + g) * c->plane + pix;
    const uint8_t dq = c->gdq[off];
    if ((dq & (c->p->fl_sat | c->p->fl_dnu)) || dq == c->p->fl_jump) return NAN;
    return c->data[off] * c->gain[pix];
}

static inline int is_ref(const sh_ctx *c, size_t pix) { return c->pdq && c->pdq[pix] == c->p->fl_ref; }

static int plane_all_dnu(const sh_ctx *c, size_t k, int with_ref) {
    const uint8_t *pl = c->gdq + k * c->plane;
    for (size_t i = 0; i < c->plane; i++)
        if (!(pl[i] & c->p->fl_dnu) && !(with_ref && is_ref(c, i))) return 0;
    return 1;
}

/* Median and sigma of every pixel: over all differences, or per difference with sigma
 * clipping across integrations (median[j * plane + pix]). */
static int statistics(const sh_ctx *c, int sigclip, float *med, float *sig, int nt) {
    int err = 0;
    const size_t N = c->nints * c->nd;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(+ : err)
#endif
    {
        float *buf = (float *)malloc(sizeof(float) * (N > 0 ? N : 1));
        double *dbuf = (double *)malloc(sizeof(double) * (N > 0 ? N : 1));
        if (!buf || !dbuf) err += 1;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 256)
#endif
        for (size_t pix = 0; pix < c->plane; pix++) {
            if (!buf || !dbuf) continue;
            if (!sigclip) {
                int m = 0;
                for (size_t i = 0; i < c->nints; i++)
                    for (size_t j = 0; j < c->nd; j++) {
                        const float d = value(c, i, j + 1, pix) - value(c, i, j, pix);
                        if (d == d) buf[m++] = d;
                    }
                const float md = jw_median_f(buf, m);
                const float rne = c->rnoise[pix] * c->gain[pix];
                const float rn2 = rne * rne;
                med[pix] = md;
                sig[pix] = sqrtf(fabsf(md) + rn2 / (float)c->p->nframes);
                continue;
            }
            for (size_t j = 0; j < c->nd; j++) {
                int m = 0;
                for (size_t i = 0; i < c->nints; i++) {
                    const float d = value(c, i, j + 1, pix) - value(c, i, j, pix);
                    buf[i] = d;
                    if (isfinite(d)) dbuf[m++] = d;
                }
                double lo, hi;
                jw_sigclip_bounds(dbuf, m, 5.0, 5, &lo, &hi);
                int k = 0;
                for (size_t i = 0; i < c->nints; i++)
                    if (isfinite(buf[i]) && !((double)buf[i] < lo) && !((double)buf[i] > hi))
                        buf[k++] = buf[i];
                /* numpy's float32 nanmean / nanstd: sequential single-precision sums */
                float mean = 0.0f;
                for (int t = 0; t < k; t++) mean += buf[t];
                mean = (float)((double)mean / (double)k);
                float ss = 0.0f;
                for (int t = 0; t < k; t++) ss += (buf[t] - mean) * (buf[t] - mean);
                const float sd = sqrtf((float)((double)ss / (double)k));
                med[j * c->plane + pix] = jw_median_f(buf, k);
                sig[j * c->plane + pix] = sd;
            }
        }
        free(buf);
        free(dbuf);
    }
    return err;
}

/* Ring kernel offsets of astropy's Ring2DKernel evaluated at pixel centres. */
static int ring_offsets(double rin, double rout, int *dy, int *dx, int max) {
    const int half = ((int)ceil(2.0 * rout) | 1) / 2; /* odd size rounded up */
    int n = 0;
    for (int y = -half; y <= half; y++)
        for (int x = -half; x <= half; x++) {
            const double rr = (double)(x * x + y * y);
            if (rr >= rin * rin && rr <= rout * rout && n < max) {
                dy[n] = y;
                dx[n] = x;
                n++;
            }
        }
    return n;
}

/* Significance of difference (intg, grp - 1) with flagged pixels masked (NaN). */
static void ratio_plane(const sh_ctx *c, int sigclip, const float *med, const float *sig,
                        size_t intg, size_t grp, float *out, int nt) {
    const uint8_t mask = c->bad3;
    const uint8_t *dq = c->gdq + (intg * c->ng + grp) * c->plane;
    const size_t off = sigclip ? (grp - 1) * c->plane : 0;
    (void)nt;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (size_t pix = 0; pix < c->plane; pix++) {
        const uint32_t comb = (uint32_t)dq[pix] | (c->pdq ? c->pdq[pix] : 0u);
        if ((comb & mask) || is_ref(c, pix)) {
            out[pix] = NAN;
            continue;
        }
        const float d = value(c, intg, grp, pix) - value(c, intg, grp - 1, pix);
        out[pix] = fabsf(d - med[off + pix]) / sig[off + pix];
    }
}

/* Ring-smoothed significance above the threshold (astropy-style interpolation over NaN). */
static void smooth_threshold(const sh_ctx *c, const float *r, const int *dy, const int *dx,
                             int nk, uint8_t *out, int nt) {
    const long ny = (long)c->ny, nx = (long)c->nx;
    const double thr = c->p->snr_threshold;
    int err = 0;
    (void)nt;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(+ : err)
#endif
    {
        double *sum = (double *)malloc(sizeof(double) * (size_t)nx);
        double *cnt = (double *)malloc(sizeof(double) * (size_t)nx);
        if (!sum || !cnt) err += 1;
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (long y = 0; y < ny; y++) {
            if (!sum || !cnt) continue;
            for (long x = 0; x < nx; x++) sum[x] = cnt[x] = 0.0;
            for (int t = 0; t < nk; t++) {
                const long yy = y + dy[t];
                const long s = dx[t];
                if (yy < 0 || yy >= ny) {
                    for (long x = 0; x < nx; x++) cnt[x] += 1.0; /* outside: good, zero */
                    continue;
                }
                const float *row = r + yy * nx;
                const long xa = s < 0 ? -s : 0, xb = s > 0 ? nx - s : nx;
                for (long x = 0; x < xa && x < nx; x++) cnt[x] += 1.0;
                for (long x = xb > 0 ? xb : 0; x < nx; x++) cnt[x] += 1.0;
                for (long x = xa; x < xb; x++) {
                    const float v = row[x + s];
                    const int good = v == v;
                    sum[x] += good ? (double)v : 0.0;
                    cnt[x] += good ? 1.0 : 0.0;
                }
            }
            const float *own = r + y * nx;
            uint8_t *o = out + y * nx;
            for (long x = 0; x < nx; x++)
                o[x] = own[x] == own[x] && cnt[x] > 0.0 && sum[x] / cnt[x] > thr;
        }
        free(sum);
        free(cnt);
    }
    (void)err;
}

/* Flag the showers of one integration where they do not change the mean difference too much. */
static int flag_integration(const sh_ctx *c, size_t intg, const shower_t *sh, int nsh,
                            uint8_t *bits, int nt) {
    const jw_shower_params *p = c->p;
    const size_t nbytes = (c->ng * c->plane + 7) / 8;
    memset(bits, 0, nbytes);
    jw_span *spans = NULL;
    int cap = 0, any = 0;
    for (int s = 0; s < nsh; s++) {
        if ((size_t)sh[s].intg != intg) continue;
        any = 1;
        const jw_region *e = &sh[s].e;
        double x1, x2;
        if (e->w < e->h) {
            x1 = e->h + (p->expand_ratio - 1.0) * e->w;
            x2 = e->w * p->expand_ratio;
        } else {
            x1 = e->h * p->expand_ratio;
            x2 = e->w + (p->expand_ratio - 1.0) * e->h;
        }
        x1 = x1 < p->max_extended_width ? x1 : p->max_extended_width;
        x2 = x2 < p->max_extended_width ? x2 : p->max_extended_width;
        const int ns = jw_ellipse_spans(c->ny, c->nx, e->cx, e->cy, 2.0 * jw_round(x1 / 2.0),
                                        2.0 * jw_round(x2 / 2.0), e->angle, &spans, &cap);
        if (ns < 0) {
            free(spans);
            return 1;
        }
        size_t gend = (size_t)sh[s].grp + (size_t)p->groups_masked_after + 1;
        if (gend > c->ng) gend = c->ng;
        for (int t = 0; t < ns; t++)
            for (int x = spans[t].c0; x < spans[t].c1; x++) {
                const size_t pix = (size_t)spans[t].row * c->nx + (size_t)x;
                /* once saturated, a pixel is left alone in the later groups too */
                for (size_t g = (size_t)sh[s].grp; g < gend; g++) {
                    if (c->gdq[(intg * c->ng + g) * c->plane + pix] & p->fl_sat) break;
                    const size_t b = g * c->plane + pix;
                    bits[b >> 3] |= (uint8_t)(1u << (b & 7));
                }
            }
    }
    free(spans);
    if (!any) return 0;
    const float amp = (float)p->max_amplitude;
    (void)nt;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (size_t pix = 0; pix < c->plane; pix++) {
        int added = 0;
        for (size_t g = 0; g < c->ng; g++) {
            const size_t b = g * c->plane + pix;
            added |= (bits[b >> 3] >> (b & 7)) & 1;
        }
        if (!added || is_ref(c, pix)) continue;
        /* mean group difference before and after, in single precision like numpy */
        float s1 = 0.0f, s2 = 0.0f;
        long n1 = 0, n2 = 0;
        float prev1 = NAN, prev2 = NAN;
        for (size_t g = 0; g < c->ng; g++) {
            const size_t off = (intg * c->ng + g) * c->plane + pix;
            const size_t b = g * c->plane + pix;
            const uint8_t dq = c->gdq[off];
            const int sat_or_dnu = (dq & (p->fl_sat | p->fl_dnu)) != 0;
            const float v = sat_or_dnu ? NAN : c->data[off] * c->gain[pix];
            const float v1 = (dq & c->bad3) ? NAN : v;
            const float v2 = ((dq & c->bad3) || ((bits[b >> 3] >> (b & 7)) & 1)) ? NAN : v;
            if (g > 0) {
                const float d1 = v1 - prev1, d2 = v2 - prev2;
                if (d1 == d1) {
                    s1 += d1;
                    n1++;
                }
                if (d2 == d2) {
                    s2 += d2;
                    n2++;
                }
            }
            prev1 = v1;
            prev2 = v2;
        }
        const float m1 = (float)((double)s1 / (double)n1), m2 = (float)((double)s2 / (double)n2);
        const float diff = fabsf(m1 - m2);
        if (!isfinite(diff) || diff > amp) continue;
        for (size_t g = 0; g < c->ng; g++) {
            const size_t b = g * c->plane + pix;
            if ((bits[b >> 3] >> (b & 7)) & 1) c->gdq[(intg * c->ng + g) * c->plane + pix] |= p->fl_jump;
        }
    }
    return 0;
}

int jw_flag_showers(const float *data, uint8_t *gdq, const uint32_t *pdq, const float *gain,
                    const float *rnoise, size_t nints, size_t ngroups, size_t ny, size_t nx,
                    const jw_shower_params *p, int n_threads, int64_t *n_events) {
    if (!data || !gdq || !gain || !rnoise || !p || !n_events || p->nframes <= 0) return 2;
    *n_events = 0;
    const int nt = n_threads > 0 ? n_threads : 1;
    sh_ctx c = {data, gdq, pdq, gain, rnoise, nints, ngroups, ngroups > 0 ? ngroups - 1 : 0,
                ny, nx, ny * nx, p, (uint8_t)(p->fl_dnu | p->fl_sat | p->fl_jump)};
    if (c.plane == 0 || ngroups < 2 || nints == 0) return 0;
    long ndnu = 0;
    for (size_t k = 0; k < nints * ngroups; k++) ndnu += plane_all_dnu(&c, k, 0);
    if ((long)(nints * (ngroups - 1)) - ndnu < (long)p->min_diffs) return 0;

    const int sigclip = (long)nints >= (long)p->minimum_sigclip_groups;
    const size_t nstat = sigclip ? c.nd : 1;
    int dy[512], dx[512];
    const int nk = ring_offsets(p->inner_radius, p->outer_radius, dy, dx, 512);
    float *med = (float *)malloc(sizeof(float) * nstat * c.plane);
    float *sig = (float *)malloc(sizeof(float) * nstat * c.plane);
    float *ratio = (float *)malloc(sizeof(float) * c.plane);
    uint8_t *mask = (uint8_t *)malloc(c.plane);
    uint8_t *bits = (uint8_t *)malloc((ngroups * c.plane + 7) / 8);
    shower_t *sh = NULL;
    jw_region *found = NULL;
    int nsh = 0, nfound = 0, status = 0;
    if (!med || !sig || !ratio || !mask || !bits || statistics(&c, sigclip, med, sig, nt)) {
        status = 1;
        goto done;
    }
    for (size_t i = 0; i < nints && !status; i++) {
        size_t first = 0;
        for (size_t g = 0; g < ngroups; g++)
            if (!plane_all_dnu(&c, i * ngroups + g, 1)) {
                first = g;
                break;
            }
        for (size_t g = first + 1; g < ngroups; g++) {
            ratio_plane(&c, sigclip, med, sig, i, g, ratio, nt);
            smooth_threshold(&c, ratio, dy, dx, nk, mask, nt);
            nfound = 0;
            if (jw_find_regions(mask, NULL, 1, ny, nx, p->min_area, &found, &nfound)) {
                status = 1;
                break;
            }
            if (nfound == 0) continue;
            shower_t *tmp = (shower_t *)realloc(sh, sizeof(shower_t) * (size_t)(nsh + nfound));
            if (!tmp) {
                status = 1;
                break;
            }
            sh = tmp;
            for (int t = 0; t < nfound; t++) sh[nsh++] = (shower_t){(int)i, (int)g, found[t]};
        }
    }
    *n_events = nsh;
    for (size_t i = 0; i < nints && !status && nsh > 0; i++)
        status = flag_integration(&c, i, sh, nsh, bits, nt);
done:
    free(med);
    free(sig);
    free(ratio);
    free(mask);
    free(bits);
    free(sh);
    free(found);
    return status;
}
