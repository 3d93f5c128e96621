/* OLS ramp fitting over whole images: see ols.h.  The per-pixel algorithm is in
 * ols_pixel.c; here rows are shared between OpenMP threads, each thread keeping a
 * scratch of a few ramps.  Every pixel is computed independently and in a fixed order,
 * so the results do not depend on the number of threads.
 */
#include "ols.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "median_network.h"
#include "ols_pixel.h"
#include "prefault.h"

#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct {
    double *d, *tmp, *crmag, *seg_vals;
    uint8_t *g, *gorig, *gtmp;
    ols_seg *segs;
    ols_seg_out so;
    void *block;
} ols_scratch;

static int scratch_alloc(ols_scratch *s, int ng) {
    const size_t n = (size_t)ng;
    s->block = malloc(n * (10 * sizeof(double) + 3 + sizeof(ols_seg)) + 64);
    if (!s->block) return 1;
    double *base = (double *)s->block;
    s->d = base;
    s->tmp = base + n;
    s->crmag = base + 2 * n;
    s->seg_vals = base + 3 * n;
    s->so.slope = s->seg_vals;
    s->so.sigslope = s->seg_vals + n;
    s->so.var_p = s->seg_vals + 2 * n;
    s->so.var_r = s->seg_vals + 3 * n;
    s->so.yint = s->seg_vals + 4 * n;
    s->so.sigyint = s->seg_vals + 5 * n;
    s->so.weight = s->seg_vals + 6 * n;
    s->segs = (ols_seg *)(base + 10 * n);
    s->g = (uint8_t *)(s->segs + n);
    s->gorig = s->g + n;
    s->gtmp = s->gorig + n;
    return 0;
}

/* stcal reads the times as single-precision floats; the volatile keeps the rounding. */
static double as_single(double x) {
    volatile float f = (float)x;
    return (double)f;
}

/* Whether fma() runs as an instruction: ols_qdiv then beats a division (its results are the
 * division's either way). */
static int fast_fma(void) {
#if defined(FP_FAST_FMA)
    return 1;
#elif defined(__GNUC__) && defined(__x86_64__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

static void free_ctx(ols_ctx *c);

static int make_ctx(const jw_ols_params *p, ols_ctx *c, size_t *off) {
    if (!p || p->ngroups == 0 || p->ngroups > 60000 || p->nframes < 1) return JW_RAMP_ERR_ARG;
    memset(c, 0, sizeof(*c));
    c->ng = (int)p->ngroups;
    c->gt = as_single(p->group_time);
    c->ft = as_single(p->frame_time);
    c->one_group_time = ((double)(float)p->nframes + 1.0) * c->ft / 2.0;
    c->ped_tmp = ((double)(p->nframes + 1) / 2.0 + (double)p->dropframes) /
                 (double)(p->nframes + p->groupgap);
    c->suppress = p->suppress_one_group && p->ngroups > 1;
    c->bitwise = p->bitwise != 0;
    c->dnu = (uint8_t)p->flags.dnu;
    c->sat = (uint8_t)p->flags.sat;
    c->jump = (uint8_t)p->flags.jump;
    c->pers = (uint8_t)p->flags.pers;
    c->cl = (uint8_t)p->flags.chargeloss;
    c->pdnu = p->flags.dnu;
    c->psat = p->flags.sat;
    c->pjump = p->flags.jump;
    c->ppers = p->flags.pers;
    c->pngval = p->flags.no_gain;
    c->rgt = 1.0 / c->gt;
    c->root = sqrt(2.0 * (double)p->nframes);
    c->rroot = 1.0 / c->root;
    c->use_fma = fast_fma() && c->gt >= 0x1p-100 && c->gt <= 0x1p100;
    float *tab = ols_weight_table(off);
    const int m = c->ng > 1 ? c->ng - 1 : 1;
    const size_t cap = median_network_capacity(m);
    uint16_t *lo = (uint16_t *)malloc(cap * sizeof(uint16_t));
    uint16_t *hi = (uint16_t *)malloc(cap * sizeof(uint16_t));
    c->net_n = (lo && hi) ? median_network(m, lo, hi) : -1;
    if (!tab || c->net_n < 0) {
        free(tab);
        free(lo);
        free(hi);
        return JW_RAMP_ERR_ALLOC;
    }
    c->wtab = tab;
    c->wtab_off = off;
    c->net_lo = lo;
    c->net_hi = hi;
    const double L = (double)c->ng;
    c->kr = 12.0 / ((L * L * L - L) * c->gt * c->gt);
    c->ctab = ols_clean_coefficients(c);
    if (c->ng >= 3 && !c->ctab) {
        free_ctx(c);
        return JW_RAMP_ERR_ALLOC;
    }
    return JW_RAMP_OK;
}

static void free_ctx(ols_ctx *c) {
    free((void *)c->wtab);
    free((void *)c->net_lo);
    free((void *)c->net_hi);
    free((void *)c->ctab);
}


/* Scratch of the vectorised path for unflagged ramps, OLS_CHUNK pixels of a row. */
typedef struct {
    double *rn, *gain, *dark, *med, *slope, *w, *work;
    double *y; /* [ng][P] the unflagged ramps as doubles (ols_clean_load) */
    float *rnf;
    ols_clean_k k;
    uint32_t *pdq;
    uint8_t *clean; /* unflagged ramps of finite values (ols_clean_mask) */
    uint8_t *fit;   /* ... also with a usable gain and read noise (ols_clean_usable) */
    uint8_t *flagged;
    void *block;
} ols_chunk;

static int chunk_alloc(ols_chunk *k, int ng) {
    const size_t P = OLS_CHUNK, n = (size_t)ng;
    k->block = malloc(P * (25 + 2 * n) * sizeof(double) + P * sizeof(float) +
                      P * (sizeof(uint32_t) + 3) + 64);
    if (!k->block) return 1;
    double *b = (double *)k->block;
    k->rn = b;
    k->gain = b + P;
    k->dark = b + 2 * P;
    k->med = b + 3 * P;
    k->slope = b + 4 * P;
    k->work = b + 5 * P; /* 6 * P */
    double *kb = b + 11 * P;
    k->k = (ols_clean_k){.invrn2 = kb,
                         .var_r = kb + P,
                         .ir = kb + 2 * P,
                         .ip = kb + 3 * P,
                         .vr_thr = kb + 4 * P,
                         .o_vp = kb + 5 * P,
                         .o_vr = kb + 6 * P,
                         .o_err = kb + 7 * P,
                         .cl_add = kb + 8 * P,
                         .bad = (int64_t *)(kb + 9 * P)}; /* to b + 21 P */
    k->w = b + 21 * P;                                     /* n * P */
    k->y = k->w + n * P + 4 * P; /* n * P */
    k->rnf = (float *)(k->y + n * P);
    k->pdq = (uint32_t *)(k->rnf + P);
    k->clean = (uint8_t *)(k->pdq + P);
    k->fit = k->clean + P;
    k->flagged = k->fit + P;
    return 0;
}

/* Ramps are read a row at a time.  When no product lies in the memory of the ramps they
 * are read where they are (`direct`); else each group's row is first copied into a
 * per-thread block, so that products may overwrite the row (see jw_ols_fit). */
typedef struct {
    float *d;
    uint8_t *g;
    double *m;   /* [nx] median sums */
    uint8_t *cm; /* [nb][nx] unflagged-ramp masks of the median pass, or NULL */
    ols_soa st;  /* [nx] exposure sums of the row's pixels */
    void *st_block;
    size_t nb;  /* integrations the block holds (all of them when direct) */
    int direct; /* the ramps are read in place */
} ols_rowbuf;

/* One integration of a row: group k of pixel x at d[k * s + x] (and g likewise). */
typedef struct {
    const float *d;
    const uint8_t *g;
    size_t s;
} ols_src;

static int rowbuf_alloc(ols_rowbuf *b, const jw_ols_params *p, int direct) {
    const size_t per_int = p->ngroups * p->nx;
    memset(b, 0, sizeof(*b));
    b->direct = direct;
    /* keep every integration of the row when that stays small, else reload per pass */
    b->nb = direct || per_int * p->nints * 5 <= ((size_t)8 << 20) ? p->nints : 1;
    if (!direct) {
        b->d = (float *)malloc(b->nb * per_int * sizeof(float) + 1);
        b->g = (uint8_t *)malloc(b->nb * per_int + 1);
    }
    if (b->nb == p->nints && p->nints * p->nx <= ((size_t)1 << 20))
        b->cm = (uint8_t *)malloc(p->nints * p->nx + 1);
    b->m = (double *)malloc(p->nx * sizeof(double) + 1);
    b->st_block = malloc(p->nx * (4 * sizeof(double) + 1) + 1);
    if (b->st_block) {
        double *q = (double *)b->st_block;
        b->st = (ols_soa){q, q + p->nx, q + 2 * p->nx, q + 3 * p->nx, (uint8_t *)(q + 4 * p->nx)};
    }
    return !((direct || (b->d && b->g)) && b->m && b->st_block);
}

static void rowbuf_free(ols_rowbuf *b) {
    free(b->d);
    free(b->g);
    free(b->cm);
    free(b->m);
    free(b->st_block);
}

/* Integration i of row y as held in `slot` (read in place when direct). */
static ols_src row_slot(const jw_ols_params *p, const jw_ols_input *in, const ols_rowbuf *b,
                        size_t i, size_t y, size_t slot) {
    const size_t ng = p->ngroups, nx = p->nx;
    if (b->direct) {
        const size_t o = (i * ng * p->ny + y) * nx;
        return (ols_src){in->data + o, in->gdq + o, p->ny * nx};
    }
    const size_t off = slot * ng * nx;
    return (ols_src){b->d + off, b->g + off, nx};
}

/* Copy integration i of row y into slot `slot` (nothing to do when direct). */
static ols_src load_row(const jw_ols_params *p, const jw_ols_input *in, ols_rowbuf *b, size_t i,
                        size_t y, size_t slot) {
    if (!b->direct) {
        const size_t ng = p->ngroups, nx = p->nx, off = slot * ng * nx;
        for (size_t g = 0; g < ng; g++) {
            const size_t src = ((i * ng + g) * p->ny + y) * nx;
            memcpy(b->d + off + g * nx, in->data + src, nx * sizeof(float));
            memcpy(b->g + off + g * nx, in->gdq + src, nx);
        }
    }
    return row_slot(p, in, b, i, y, slot);
}

static void chunk_consts(const ols_ctx *c, const jw_ols_params *p, const jw_ols_input *in,
                         size_t pix0, int P, ols_chunk *ch) {
    ols_pixel_consts(c, P, in->gain + pix0, in->readnoise + pix0,
                     in->dark ? in->dark + pix0 : NULL, in->pixeldq + pix0, ch->gain, ch->rn,
                     ch->dark, ch->pdq, ch->work);
}

/* The per-pixel values of the chunk's unflagged ramps (ols_clean_consts or, bitwise, its
 * stcal-order twin), mrate: their median rates. */
static void clean_consts(const ols_ctx *c, int P, ols_chunk *ch, const double *mrate) {
    if (c->bitwise)
        ols_clean_consts_exact(c, P, ch->rn, ch->gain, ch->dark, mrate, ch->pdq, &ch->k,
                               ch->work);
    else
        ols_clean_consts(c, P, ch->rn, ch->gain, ch->dark, mrate, ch->pdq, &ch->k);
}

static inline const float *zf_at(const jw_ols_params *p, const jw_ols_input *in, size_t i,
                                 size_t y, size_t x) {
    return in->zeroframe ? in->zeroframe + (i * p->ny + y) * p->nx + x : NULL;
}

/* Add the median rates of every integration of row y to b->m. */
static void row_median_sums(const ols_ctx *c, const jw_ols_params *p, const jw_ols_input *in,
                            ols_rowbuf *b, ols_scratch *s, ols_chunk *ch, size_t y) {
    ols_ramp r = {.d = s->d, .g = s->g};
    const size_t nx = p->nx;
    for (size_t i = 0; i < p->nints; i++) {
        const ols_src rs = load_row(p, in, b, i, y, b->nb == p->nints ? i : 0);
        /* the masks are kept for the fit when every integration's row is */
        uint8_t *cm = b->cm && b->nb == p->nints ? b->cm + i * nx : NULL;
        for (size_t x0 = 0; x0 < nx; x0 += OLS_CHUNK) {
            const int P = (int)(nx - x0 < OLS_CHUNK ? nx - x0 : OLS_CHUNK);
            const float *bd = rs.d + x0;
            uint8_t *clean = cm ? cm + x0 : ch->clean;
            ols_clean_mask(c, bd, rs.g + x0, rs.s, P, clean, ch->y);
            ols_clean_medians(c, ch->y, P, ch->med, ch->w);
            /* the unflagged lanes' medians, then the others' one at a time */
            double *mt = ch->slope;
            ols_clean_pick(P, clean, ch->med, p->ngroups > 1, mt);
            int nclean = 0;
            for (int x = 0; x < P; x++) nclean += clean[x];
            for (int x = 0; x < P && nclean < P; x++) {
                if (clean[x]) continue;
                ols_prepare(c, bd + x, rs.g + x0 + x, rs.s, zf_at(p, in, i, y, x0 + x), &r,
                            NULL);
                double m = ols_median_rate(c, &r, s->tmp);
                if (p->ngroups > 1 && isnan(m)) m = 0.0;
                mt[x] = m;
            }
            double *restrict bm = b->m + x0;
            for (int x = 0; x < P; x++) bm[x] += mt[x];
        }
    }
}

int jw_ols_median_sum(const jw_ols_params *p, const jw_ols_input *in, double *median_sum,
                      int n_threads) {
    ols_ctx c;
    size_t off[OLS_WTAB_LMAX + 1];
    int st = make_ctx(p, &c, off);
    if (st) return st;
    int errors = 0;
    (void)n_threads;
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads > 0 ? n_threads : 1) reduction(+ : errors)
#endif
    {
        ols_scratch s;
        ols_rowbuf b;
        ols_chunk ch;
        const int bad = rowbuf_alloc(&b, p, 1) | scratch_alloc(&s, c.ng) | chunk_alloc(&ch, c.ng);
        if (bad) {
            errors++;
        } else {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
            for (size_t y = 0; y < p->ny; y++) {
                memcpy(b.m, median_sum + y * p->nx, p->nx * sizeof(double));
                row_median_sums(&c, p, in, &b, &s, &ch, y);
                memcpy(median_sum + y * p->nx, b.m, p->nx * sizeof(double));
            }
        }
        free(s.block);
        free(ch.block);
        rowbuf_free(&b);
    }
    free_ctx(&c);
    return errors ? JW_RAMP_ERR_ALLOC : JW_RAMP_OK;
}

void jw_ols_accum_init(jw_ols_accum *acc, size_t npix) {
    memset(acc->inv_vp, 0, npix * sizeof(double));
    memset(acc->inv_vr, 0, npix * sizeof(double));
    memset(acc->slope_num, 0, npix * sizeof(double));
    memset(acc->inv_vr_cl, 0, npix * sizeof(double));
    memset(acc->state, OLS_STATE_INIT, npix);
}

static inline void write_products(jw_ramp_products *o, size_t k, double slope, double vp,
                                  double vr, double err, uint32_t dq) {
    o->slope[k] = (float)slope;
    o->var_poisson[k] = (float)vp;
    o->var_rnoise[k] = (float)vr;
    o->err[k] = (float)err;
    o->dq[k] = dq;
}

/* What fit_row's chunks share. */
typedef struct {
    const ols_ctx *c;
    const jw_ols_params *p;
    const jw_ols_input *in;
    jw_ramp_products *ints;
    jw_ols_opt *opt;
    ols_rowbuf *b;
    ols_scratch *s;
    ols_chunk *ch;
    size_t y;
    int one_pass; /* one integration: its median comes from the same pass as its fit */
    int over;     /* products lie in the memory of the ramps read in place */
} ols_row;

/* Integration i (its row `rs`) of the P pixels of row r->y from column x0.  consts: the
 * chunk's per-pixel values are ready (ols_clean_consts); when not, they are computed here.
 * mask: the chunk's unflagged-ramp mask from the median pass, or NULL.  Returns the
 * number of optional-product overflows. */
static int fit_chunk_int(const ols_row *r, size_t i, ols_src rs, size_t x0, int P, int consts,
                         const uint8_t *mask) {
    const ols_ctx *c = r->c;
    const jw_ols_params *p = r->p;
    const jw_ols_input *in = r->in;
    ols_rowbuf *b = r->b;
    ols_scratch *s = r->s;
    ols_chunk *ch = r->ch;
    jw_ols_opt *opt = r->opt;
    jw_ramp_products *ints = r->ints;
    const size_t nx = p->nx, npix = p->ny * nx, ng = p->ngroups;
    const size_t y = r->y, row0 = y * nx;
    const float *bd0 = rs.d + x0;
    const uint8_t *bg0 = rs.g + x0;
    const size_t gs = rs.s;
    const ols_soa *st = &b->st;
    ols_ramp rp = {.d = s->d, .g = s->g};
    int overflow = 0;
    /* Unflagged ramps (no optional products asked for) go through the vectorised path; the
     * others one at a time. */
    if (opt) {
        memset(ch->clean, 0, (size_t)P);
    } else if (mask) {
        memcpy(ch->clean, mask, (size_t)P);
        ols_clean_load(c, bd0, gs, P, ch->y);
    } else {
        ols_clean_mask(c, bd0, bg0, gs, P, ch->clean, ch->y);
    }
    const uint8_t *restrict clean = ch->clean, *restrict fit = ch->fit;
    const int nclean = ols_clean_usable(P, ch->clean, ch->gain, ch->rn, ch->fit);
    if (r->one_pass && !opt) {
        /* (the median over one integration: no division by the count; the flagged ramps'
         * come from the general path below) */
        ols_clean_medians(c, ch->y, P, ch->med, ch->w);
        ols_clean_pick(P, ch->clean, ch->med, ng > 1, b->m + x0);
    }
    if (nclean) {
        if (!consts)
            clean_consts(c, P, ch, b->m + x0);
        if (c->bitwise)
            ols_clean_slope_exact(c, ch->y, P, ch->rn, ch->gain, ch->k.invrn2, ch->slope,
                                  ch->work);
        else
            ols_clean_slope(c, ch->y, P, ch->rn, ch->gain, ch->slope, ch->work);
        /* every lane's products are written and the flagged lanes' overwritten below; over
         * the ramps only the unflagged lanes', as the flagged lanes' ramps are still read */
        const ols_soa stc = ols_soa_at(st, x0);
        const size_t o = i * ints->plane_stride + row0 + x0;
        ols_clean_int(c, P, fit, ch->pdq, &ch->k, ch->slope, &stc, ints->slope + o,
                      ints->var_poisson + o, ints->var_rnoise + o, ints->err + o, ints->dq + o,
                      r->over);
    }
    /* the flagged lanes (all of them when the optional products are asked for) */
    int nflag = 0;
    uint8_t *restrict flagged = ch->flagged;
    if (nclean < P)
        for (int xc = 0; xc < P; xc++) {
            flagged[nflag] = (uint8_t)xc;
            nflag += !fit[xc];
        }
    for (int f = 0; f < nflag; f++) {
        const int xc = ch->flagged[f];
        const size_t x = x0 + (size_t)xc, pix = row0 + x;
        const double rn = ch->rn[xc], gain = ch->gain[xc], dark = ch->dark[xc];
        const uint32_t pdq = ch->pdq[xc];
        ols_int_result o;
        const float *bd = rs.d + x;
        const uint8_t *bg = rs.g + x;
        const int ncr =
            ols_prepare(c, bd, bg, gs, zf_at(p, in, i, y, x), &rp, opt ? s->crmag : NULL);
        if (r->one_pass && !clean[xc]) {
            double m = ols_median_rate(c, &rp, s->tmp);
            if (ng > 1 && isnan(m)) m = 0.0;
            b->m[x] = m;
        }
        /* the CHARGELOSS recomputation reads the group DQ as given */
        if (rp.any_cl)
            for (size_t k = 0; k < ng; k++) s->gorig[k] = bg[k * gs];
        ols_state sx = ols_soa_get(st, x);
        ols_fit_integration(c, &rp, s->gorig, rn, gain, dark, b->m[x], pdq, &sx, &o,
                            opt ? &s->so : NULL, s->segs, s->gtmp);
        ols_soa_set(st, x, &sx);
        write_products(ints, i * ints->plane_stride + pix, o.slope, o.var_p, o.var_r, o.err,
                       o.dq);
        if (!opt) continue;
        if ((size_t)s->so.nseg > opt->max_segs || (size_t)ncr > opt->max_crs) {
            overflow++;
            continue;
        }
        for (int k = 0; k < s->so.nseg; k++) {
            const size_t q = (i * opt->max_segs + (size_t)k) * npix + pix;
            opt->slope[q] = (float)s->so.slope[k];
            opt->sigslope[q] = (float)s->so.sigslope[k];
            opt->var_poisson[q] = (float)s->so.var_p[k];
            opt->var_rnoise[q] = (float)s->so.var_r[k];
            opt->yint[q] = (float)s->so.yint[k];
            opt->sigyint[q] = (float)s->so.sigyint[k];
            opt->weights[q] = (float)s->so.weight[k];
        }
        opt->pedestal[i * npix + pix] = (float)o.pedestal;
        for (int k = 0; k < ncr; k++)
            opt->crmag[(i * opt->max_crs + (size_t)k) * npix + pix] = (float)s->crmag[k];
    }
    return overflow;
}

static int fit_row(const ols_ctx *c, const jw_ols_params *p, const jw_ols_input *in,
                   const double *median_sum, double median_nints, jw_ramp_products *ints,
                   jw_ols_accum *acc, jw_ramp_products *rate, jw_ols_opt *opt, ols_rowbuf *b,
                   ols_scratch *s, ols_chunk *ch, size_t y, int over) {
    const size_t nx = p->nx, nints = p->nints;
    const size_t row0 = y * nx;
    const int keep = b->nb == nints;
    const ols_row r = {c, p, in, ints, opt, b, s, ch, y, !median_sum && nints == 1, over};
    int overflow = 0;
    if (median_sum) {
        for (size_t x = 0; x < nx; x++) b->m[x] = median_sum[row0 + x] / median_nints;
    } else if (!r.one_pass) {
        memset(b->m, 0, nx * sizeof(double));
        row_median_sums(c, p, in, b, s, ch, y);
        for (size_t x = 0; x < nx; x++) b->m[x] = b->m[x] / (double)nints;
    }
    const ols_soa *st = &b->st;
    if (acc) {
        memcpy(st->inv_vp, acc->inv_vp + row0, nx * sizeof(double));
        memcpy(st->inv_vr, acc->inv_vr + row0, nx * sizeof(double));
        memcpy(st->slope_num, acc->slope_num + row0, nx * sizeof(double));
        memcpy(st->inv_vr_cl, acc->inv_vr_cl + row0, nx * sizeof(double));
        memcpy(st->state, acc->state + row0, nx);
    } else {
        for (size_t x = 0; x < nx; x++)
            st->inv_vp[x] = st->inv_vr[x] = st->slope_num[x] = st->inv_vr_cl[x] = 0.0;
        memset(st->state, OLS_STATE_INIT, nx);
    }
    if (keep && !r.one_pass) {
        /* Every integration of the row is in the buffer: a chunk's per-pixel values serve
         * all its integrations (the median pass loaded them, else load them now). */
        if (median_sum)
            for (size_t i = 0; i < nints; i++) load_row(p, in, b, i, y, i);
        /* the median pass's masks, when it kept them */
        const uint8_t *cm = median_sum ? NULL : b->cm;
        for (size_t x0 = 0; x0 < nx; x0 += OLS_CHUNK) {
            const int P = (int)(nx - x0 < OLS_CHUNK ? nx - x0 : OLS_CHUNK);
            chunk_consts(c, p, in, row0 + x0, P, ch);
            if (!opt)
                clean_consts(c, P, ch, b->m + x0);
            for (size_t i = 0; i < nints; i++)
                overflow += fit_chunk_int(&r, i, row_slot(p, in, b, i, y, i), x0, P, 1,
                                          cm ? cm + i * nx + x0 : NULL);
        }
    } else {
        for (size_t i = 0; i < nints; i++) {
            const ols_src rs = load_row(p, in, b, i, y, 0);
            for (size_t x0 = 0; x0 < nx; x0 += OLS_CHUNK) {
                const int P = (int)(nx - x0 < OLS_CHUNK ? nx - x0 : OLS_CHUNK);
                chunk_consts(c, p, in, row0 + x0, P, ch);
                overflow += fit_chunk_int(&r, i, rs, x0, P, 0, NULL);
            }
        }
    }
    if (acc) {
        memcpy(acc->inv_vp + row0, st->inv_vp, nx * sizeof(double));
        memcpy(acc->inv_vr + row0, st->inv_vr, nx * sizeof(double));
        memcpy(acc->slope_num + row0, st->slope_num, nx * sizeof(double));
        memcpy(acc->inv_vr_cl + row0, st->inv_vr_cl, nx * sizeof(double));
        memcpy(acc->state + row0, st->state, nx);
    }
    if (rate)
        ols_finish_row(c, nx, st, in->pixeldq + row0, in->gain + row0, rate->slope + row0,
                       rate->var_poisson + row0, rate->var_rnoise + row0, rate->err + row0,
                       rate->dq + row0);
    return overflow;
}

/* This thread's share of the pages of n planes of products (see prefault.h), plane by
 * plane: planes laid in the ramps' memory leave the groups between them untouched. */
static void prefault_products(const jw_ols_params *p, const jw_ramp_products *o, size_t n) {
#ifdef _OPENMP
    const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
#else
    const int tid = 0, nth = 1;
#endif
    const size_t npix = p->ny * p->nx;
    char *arr[5] = {(char *)o->slope, (char *)o->var_poisson, (char *)o->var_rnoise,
                    (char *)o->err, (char *)o->dq};
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 5; k++)
            ramp_prefault_share(arr[k] + i * o->plane_stride * 4, npix * 4, tid, nth);
}

/* Whether the memory of [a, a + na) and [b, b + nb) (bytes) intersects. */
static int spans_meet(const void *a, size_t na, const void *b, size_t nb) {
    const uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return x < y + nb && y < x + na;
}

/* Whether any array of the products `o` (n planes of p->ny * p->nx) lies in the memory of
 * the ramps or their group DQ. */
static int products_overlap(const jw_ols_params *p, const jw_ols_input *in,
                            const jw_ramp_products *o, size_t n) {
    const size_t npix = p->ny * p->nx, nramp = p->nints * p->ngroups * npix;
    const size_t span = ((n - 1) * o->plane_stride + npix) * 4;
    const void *arr[5] = {o->slope, o->var_poisson, o->var_rnoise, o->err, o->dq};
    for (int k = 0; k < 5; k++)
        if (spans_meet(arr[k], span, in->data, nramp * sizeof(float)) ||
            spans_meet(arr[k], span, in->gdq, nramp))
            return 1;
    return 0;
}

int jw_ols_fit(const jw_ols_params *p, const jw_ols_input *in, const double *median_sum,
               double median_nints, jw_ramp_products *ints, jw_ols_accum *acc,
               jw_ramp_products *rate, jw_ols_opt *opt, int n_threads) {
    if (!in || !in->data || !in->gdq || !ints) return JW_RAMP_ERR_ARG;
    ols_ctx c;
    size_t off[OLS_WTAB_LMAX + 1];
    int st = make_ctx(p, &c, off);
    if (st) return st;
    int errors = 0, overflow = 0;
    (void)n_threads;
    /* The ramps are read in place unless a row spans so many planes (integrations x
     * groups) that reading it a chunk at a time would touch more pages than the TLB holds:
     * a copied row is then contiguous.  Products laid in the ramps' memory (`over`) are
     * only written over ramps already read: of a chunk, the unflagged lanes' before the
     * flagged lanes' ramps are read (see ols_clean_int). */
    const int direct = p->nints * p->ngroups <= 64;
    const int over = direct && (products_overlap(p, in, ints, p->nints) ||
                                (rate && products_overlap(p, in, rate, 1)));
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads > 0 ? n_threads : 1) reduction(+ : errors, overflow)
#endif
    {
        ols_scratch s;
        ols_rowbuf b;
        ols_chunk ch;
        const int bad =
            rowbuf_alloc(&b, p, direct) | scratch_alloc(&s, c.ng) | chunk_alloc(&ch, c.ng);
        /* the products' new pages, shared out between the threads before the rows are */
        prefault_products(p, ints, p->nints);
        if (rate) prefault_products(p, rate, 1);
#ifdef _OPENMP
#pragma omp barrier
#endif
        if (bad) {
            errors++;
        } else {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
            for (size_t y = 0; y < p->ny; y++)
                overflow += fit_row(&c, p, in, median_sum, median_nints, ints, acc, rate, opt, &b,
                                    &s, &ch, y, over);
        }
        free(s.block);
        free(ch.block);
        rowbuf_free(&b);
    }
    free_ctx(&c);
    if (errors) return JW_RAMP_ERR_ALLOC;
    return overflow ? JW_RAMP_ERR_CAPACITY : JW_RAMP_OK;
}

int jw_ols_finish(const jw_ols_params *p, const uint32_t *pixeldq, const float *gain,
                  const jw_ols_accum *acc, jw_ramp_products *rate, int n_threads) {
    ols_ctx c;
    size_t off[OLS_WTAB_LMAX + 1];
    int st = make_ctx(p, &c, off);
    if (st) return st;
    (void)n_threads;
    const size_t nx = p->nx;
#ifdef _OPENMP
#pragma omp parallel for num_threads(n_threads > 0 ? n_threads : 1) schedule(static)
#endif
    for (size_t y = 0; y < p->ny; y++) {
        const size_t o = y * nx;
        const ols_soa st = {acc->inv_vp + o, acc->inv_vr + o, acc->slope_num + o,
                            acc->inv_vr_cl + o, acc->state + o};
        ols_finish_row(&c, nx, &st, pixeldq + o, gain + o, rate->slope + o,
                       rate->var_poisson + o, rate->var_rnoise + o, rate->err + o, rate->dq + o);
    }
    free_ctx(&c);
    return JW_RAMP_OK;
}

int jw_ols_count(const jw_ols_params *p, const jw_ols_input *in, size_t *max_segs,
                 size_t *max_crs, int n_threads) {
    ols_ctx c;
    size_t off[OLS_WTAB_LMAX + 1];
    int st = make_ctx(p, &c, off);
    if (st) return st;
    const size_t nx = p->nx;
    size_t ms = 0, mc = 0;
    int errors = 0;
    (void)n_threads;
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads > 0 ? n_threads : 1) reduction(max : ms, mc) \
    reduction(+ : errors)
#endif
    {
        ols_scratch s;
        ols_rowbuf b;
        const int bad = rowbuf_alloc(&b, p, 1) | scratch_alloc(&s, c.ng);
        if (bad) {
            errors++;
        } else {
            ols_ramp r = {.d = s.d, .g = s.g};
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
            for (size_t y = 0; y < p->ny; y++)
                for (size_t i = 0; i < p->nints; i++) {
                    const ols_src rs = load_row(p, in, &b, i, y, 0);
                    for (size_t x = 0; x < nx; x++) {
                        const size_t ncr =
                            (size_t)ols_prepare(&c, rs.d + x, rs.g + x, rs.s,
                                                zf_at(p, in, i, y, x), &r, s.crmag);
                        const size_t nseg =
                            (r.g[0] & c.sat) ? 0 : (size_t)ols_segments(&c, r.g, s.segs);
                        if (nseg > ms) ms = nseg;
                        if (ncr > mc) mc = ncr;
                    }
                }
        }
        if (!bad) free(s.block);
        rowbuf_free(&b);
    }
    free_ctx(&c);
    *max_segs = ms;
    *max_crs = mc;
    return errors ? JW_RAMP_ERR_ALLOC : JW_RAMP_OK;
}
