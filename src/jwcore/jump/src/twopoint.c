/* Two-point difference jump detection: see twopoint.h.
 *
 * The algorithm is the JWST one (Anderson & Gordon 2011, PASP 123, 1237; stcal 1.20.0):
 * per pixel, the first differences of the ramp (in electrons) are compared with their
 * median, in units of the noise expected from the median and the read noise.  With few
 * differences the largest outlier is clipped and the comparison repeated on the rest; with
 * many, one pass suffices; with many integrations, sigma clipping across integrations.
 * The four neighbours of a jump between min/max_jump_to_flag_neighbors sigma are flagged,
 * and groups after large jumps are flagged for a number of groups.
 *
 * The kernel streams over the image in blocks of rows, one pixel at a time, with no
 * full-size temporary.  Neighbour flagging crosses block edges: the edge rows' neighbour
 * triggers are computed first (phase 1), so that phase 2 never reads a row that another
 * thread is rewriting.  Every pixel's result depends only on its own ramp and those of its
 * four neighbours, so the output is identical for any number of threads.
 *
 * Floating-point choices follow stcal so that borderline decisions agree: the data are
 * scaled to electrons in single precision, differences are taken in single precision, the
 * medians and ratios in double precision, except where stcal stores the clipped medians and
 * residuals of its iterative search in single precision.
 */
#include "twopoint.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tp_internal.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Final flags of one row from its own bits and the triggers of the rows above and below
 * (NULL at the image edge); returns the number of primary jumps.  Branch-free per pixel. */
TP_CLONES
static int64_t finalize_row(const tp_ctx *c, tp_scratch *s, size_t y, const uint8_t *cur,
                            const uint8_t *up, const uint8_t *down) {
    const jw_twopt_params *p = c->p;
    const size_t nx = c->nx;
    const uint8_t jump = p->fl_jump, bad = c->bad;
    const int nb = p->flag_4_neighbors, tr = c->do_transient;
    int *until1 = s->until, *until2 = s->until + nx;
    uint8_t *nbr = s->nbr;
    int64_t nprim = 0;
    for (size_t i = 0; i < c->nints; i++) {
        for (size_t x = 0; x < nx; x++) until1[x] = until2[x] = -1;
        for (size_t g = 0; g < c->ng; g++) {
            const size_t k = i * c->ng + g;
            const uint8_t *b = cur + k * nx;
            uint8_t *dq = c->gdq + k * c->plane + y * nx;
            /* neighbour triggers of the four neighbours */
            const int use_nb = nb && g > 0;
            if (use_nb) {
                for (size_t x = 0; x < nx; x++) nbr[x] = 0;
                if (up)
                    for (size_t x = 0; x < nx; x++) nbr[x] |= up[k * nx + x];
                if (down)
                    for (size_t x = 0; x < nx; x++) nbr[x] |= down[k * nx + x];
                for (size_t x = 1; x < nx; x++) nbr[x] |= b[x - 1];
                for (size_t x = 0; x + 1 < nx; x++) nbr[x] |= b[x + 1];
            }
            int64_t np = 0;
            for (size_t x = 0; x < nx; x++) np += b[x] & B_PRIM;
            nprim += np;
            if (tr && g > 0) {
                const int gi = (int)g, n1 = gi + p->after_jump_n1, n2 = gi + p->after_jump_n2;
                for (size_t x = 0; x < nx; x++) {
                    uint8_t v = dq[x];
                    const int ok = (v & bad) == 0;
                    const int j = (b[x] & B_PRIM) | (use_nb & ok & ((nbr[x] & B_TRIG) != 0));
                    /* later groups carry the transient that follows a large jump */
                    until1[x] = (j & ((b[x] & B_BIG1) != 0)) ? n1 : until1[x];
                    until2[x] = (j & ((b[x] & B_BIG2) != 0)) ? n2 : until2[x];
                    const int add = ok & ((gi <= until1[x]) | (gi <= until2[x]));
                    v |= (uint8_t)(-(j | add) & jump);
                    dq[x] = v;
                }
            } else if (use_nb) {
                for (size_t x = 0; x < nx; x++) {
                    const uint8_t v = dq[x];
                    const int ok = (v & bad) == 0;
                    const int j = (b[x] & B_PRIM) | (ok & ((nbr[x] & B_TRIG) != 0));
                    dq[x] = v | (uint8_t)(-j & jump);
                }
            } else {
                for (size_t x = 0; x < nx; x++) dq[x] |= (uint8_t)(-(b[x] & B_PRIM) & jump);
            }
            /* a JUMP_DET bit on a saturated or DO_NOT_USE group says nothing more */
            for (size_t x = 0; x < nx; x++) {
                const uint8_t v = dq[x];
                dq[x] = (v & bad) ? (uint8_t)(v & ~jump) : v;
            }
        }
    }
    return nprim;
}

static int plane_all(const uint8_t *plane, size_t n, uint8_t bits) {
    for (size_t i = 0; i < n; i++)
        if (!(plane[i] & bits)) return 0;
    return 1;
}

/* Choose the detection from the number of groups that are DO_NOT_USE everywhere. */
static int choose_mode(const tp_ctx *c) {
    const jw_twopt_params *p = c->p;
    long max_flagged = 0, total_flagged = 0;
    for (size_t i = 0; i < c->nints; i++) {
        long nf = 0;
        for (size_t g = 0; g < c->ng; g++)
            nf += plane_all(c->gdq + (i * c->ng + g) * c->plane, c->plane, p->fl_dnu);
        if (nf > max_flagged) max_flagged = nf;
        total_flagged += nf;
    }
    const long nints = (long)c->nints;
    const long total_groups = nints * (long)c->ng - total_flagged;
    const long min_usable_groups = (long)c->ng - max_flagged;
    const long min_usable_diffs = min_usable_groups - 1;
    const int sigclip = p->only_use_ints ? nints >= p->minimum_sigclip_groups
                                         : total_groups >= p->minimum_sigclip_groups;
    const int too_few = min_usable_groups < p->minimum_groups;
    if (!sigclip && too_few) return JW_TP_SKIPPED;
    if (sigclip) return JW_TP_SIGMA_CLIP;
    return min_usable_diffs >= p->min_diffs_single_pass ? JW_TP_SINGLE_PASS : JW_TP_ITERATIVE;
}

/* The detection proper, once the mode is chosen. */
static int run(tp_ctx *cp, int nt, int64_t *n_primary) {
    tp_ctx c = *cp;
    const jw_twopt_params *p = c.p;
    uint8_t *gdq = c.gdq;
    const size_t nints = c.nints, ngroups = c.ng, ny = c.ny, nx = c.nx, plane = c.plane;
    const uint8_t jump = p->fl_jump;

    if (c.mode == JW_TP_SKIPPED) {
        const size_t total = nints * ngroups * plane;
        for (size_t i = 0; i < total; i++)
            if ((gdq[i] & jump) && (gdq[i] & c.bad)) gdq[i] = (uint8_t)(gdq[i] & ~jump);
        return JW_OK;
    }
    c.do_transient = p->after_jump_n1 > 0 || p->after_jump_n2 > 0;
    c.need_median = c.mode == JW_TP_SINGLE_PASS || p->flag_4_neighbors || c.do_transient;
    int err = 0;

    if (c.mode == JW_TP_SIGMA_CLIP) {
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(+ : err)
#endif
        {
            tp_scratch s;
            if (tp_scratch_alloc(&s, &c, 0) != JW_OK) {
                err += 1;
            } else {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
                for (size_t y = 0; y < ny; y++) tp_sigclip_row(&c, &s, y);
                tp_scratch_free(&s);
            }
        }
        if (err) return JW_ERR_ALLOC;
        /* stcal: a group in which every pixel is a jump or DO_NOT_USE loses its pure-JUMP
         * flags (the data were not jumps but the whole group moved) */
        for (size_t k = 0; k < nints * ngroups; k++) {
            uint8_t *pl = gdq + k * plane;
            if (!plane_all(pl, plane, (uint8_t)(jump | p->fl_dnu))) continue;
            for (size_t i = 0; i < plane; i++)
                if (pl[i] == jump) pl[i] = 0;
        }
        c.mode = JW_TP_SIGMA_CLIP; /* detection done: the fused pass reads JUMP from gdq */
    }

    /* Row blocks: a fixed partition, so the blocks' edge rows do not depend on threads. */
    const size_t rb = ny < 32 ? ny : 32;
    const size_t nblocks = (ny + rb - 1) / rb;
    const size_t rowbytes = nx * (size_t)c.G;
    uint8_t *edges = NULL; /* per block: bits of its first and last rows */
    if (p->flag_4_neighbors && nblocks > 1) {
        edges = (uint8_t *)malloc(2 * nblocks * rowbytes);
        if (!edges) return JW_ERR_ALLOC;
    }
    int64_t nprim = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(+ : err, nprim)
#endif
    {
        tp_scratch s;
        const int ok = tp_scratch_alloc(&s, &c, 1) == JW_OK;
        if (!ok) err += 1;
        if (edges) {
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (size_t b = 0; b < nblocks; b++) {
                if (!ok) continue;
                const size_t y0 = b * rb, y1 = y0 + rb < ny ? y0 + rb : ny;
                tp_row_bits(&c, &s, y0, edges + 2 * b * rowbytes);
                tp_row_bits(&c, &s, y1 - 1, edges + (2 * b + 1) * rowbytes);
            }
        }
        /* the implicit barrier above: every edge row is known before any row is rewritten */
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (size_t b = 0; b < nblocks; b++) {
            if (!ok) continue;
            const size_t y0 = b * rb, y1 = y0 + rb < ny ? y0 + rb : ny;
            uint8_t *ring = s.ring;
            /* a block's first and last rows are in edges already: copied, not recomputed */
            if (edges)
                memcpy(ring + (y0 % 3) * rowbytes, edges + 2 * b * rowbytes, rowbytes);
            else
                tp_row_bits(&c, &s, y0, ring + (y0 % 3) * rowbytes);
            for (size_t y = y0; y < y1; y++) {
                const uint8_t *up = NULL, *down = NULL;
                if (p->flag_4_neighbors) {
                    if (y > y0)
                        up = ring + ((y - 1) % 3) * rowbytes;
                    else if (y > 0)
                        up = edges + (2 * (b - 1) + 1) * rowbytes;
                }
                if (y + 1 < y1) {
                    uint8_t *nxt = ring + ((y + 1) % 3) * rowbytes;
                    if (edges && y + 2 == y1)
                        memcpy(nxt, edges + (2 * b + 1) * rowbytes, rowbytes);
                    else
                        tp_row_bits(&c, &s, y + 1, nxt);
                    down = p->flag_4_neighbors ? nxt : NULL;
                } else if (p->flag_4_neighbors && y + 1 < ny) {
                    down = edges + 2 * (b + 1) * rowbytes;
                }
                nprim += finalize_row(&c, &s, y, ring + (y % 3) * rowbytes, up, down);
            }
        }
        if (ok) tp_scratch_free(&s);
    }
    free(edges);
    if (err) return JW_ERR_ALLOC;
    *n_primary = nprim;
    return JW_OK;
}

int jw_jump_twopoint(const float *data, uint8_t *gdq, const float *gain, const float *rnoise,
                     size_t nints, size_t ngroups, size_t ny, size_t nx,
                     const jw_twopt_params *p, int n_threads, jw_twopt_result *res) {
    if (!data || !gdq || !gain || !rnoise || !p || !res || ngroups < 1 || p->nframes <= 0)
        return JW_ERR_ARG;
    res->mode = JW_TP_SKIPPED;
    res->n_primary = 0;
    const size_t plane = ny * nx;
    if (plane == 0 || nints == 0) return JW_OK;
    tp_ctx c;
    memset(&c, 0, sizeof(c));
    c.data = data;
    c.gdq = gdq;
    c.gain = gain;
    c.rnoise = rnoise;
    c.nints = nints;
    c.ng = ngroups;
    c.nd = ngroups - 1;
    c.nx = nx;
    c.ny = ny;
    c.plane = plane;
    c.N = (int)(nints * (ngroups - 1));
    c.G = (int)(nints * ngroups);
    c.p = p;
    c.bad = (uint8_t)(p->fl_sat | p->fl_dnu);
    /* runs of up to 256 columns, fewer for long exposures (scratch of about 1 MB) */
    const size_t per_col = (size_t)c.G + 3 * (size_t)c.N;
    c.cw = ((size_t)1 << 18) / per_col;
    if (c.cw > 256) c.cw = 256;
    if (c.cw < 1) c.cw = 1;
    if (c.cw > nx) c.cw = nx;
    const int nt = n_threads > 0 ? n_threads : 1;
    (void)nt;
    c.mode = ngroups < 2 ? JW_TP_SKIPPED : choose_mode(&c);
    res->mode = c.mode;
    c.gidx = (int *)malloc(sizeof(int) * (size_t)(c.N > 0 ? c.N : 1));
    if (c.N <= TP_NET_MAX) {
        c.nnet = tp_batcher_network(c.N, NULL);
        c.net = (int *)malloc(sizeof(int) * 2 * (size_t)(c.nnet > 0 ? c.nnet : 1));
        if (c.net) tp_batcher_network(c.N, c.net);
    }
    if (!c.gidx || (c.N <= TP_NET_MAX && !c.net)) {
        free(c.gidx);
        free(c.net);
        return JW_ERR_ALLOC;
    }
    for (size_t i = 0; i < nints; i++)
        for (size_t j = 0; j + 1 < ngroups; j++)
            c.gidx[i * (ngroups - 1) + j] = (int)(i * ngroups + j + 1);
    const int status = run(&c, nt, &res->n_primary);
    free(c.gidx);
    free(c.net);
    return status;
}

