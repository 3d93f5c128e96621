/* Connected regions, moment ellipses and ellipse rasterisation: see regions.h.
 *
 * Regions are found on runs of set pixels rather than on a label image: each row's runs are
 * joined to the overlapping runs of the row above (8-connectivity: touching diagonally is
 * enough) with a union-find, so memory grows with the number of runs, not the image.
 */
#include "regions.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

double jw_round(double x) { return nearbyint(x); }

typedef struct {
    int row, c0, c1; /* columns [c0, c1) */
    int parent;
} run_t;

static int find_root(run_t *r, int i) {
    while (r[i].parent != i) {
        r[i].parent = r[r[i].parent].parent;
        i = r[i].parent;
    }
    return i;
}

static void unite(run_t *r, int a, int b) {
    a = find_root(r, a);
    b = find_root(r, b);
    if (a == b) return;
    /* the smaller index becomes the root: regions come out in raster order, like labels */
    if (a < b)
        r[b].parent = a;
    else
        r[a].parent = b;
}

typedef struct {
    int64_t n;
    int r0, r1, c0, c1; /* bounding box, inclusive */
    int64_t sr, sc, srr, scc, src; /* sums of local coordinates (relative to r0, c0) */
    int first_run, nruns;
} acc_t;

/* Sum of c for c in [a, b) and of c^2. */
static inline int64_t sum1(int64_t a, int64_t b) { return (a + b - 1) * (b - a) / 2; }
static inline int64_t s2(int64_t n) { return n * (n + 1) * (2 * n + 1) / 6; } /* 0^2+..+n^2 */
static inline int64_t sum2(int64_t a, int64_t b) { return s2(b - 1) - (a > 0 ? s2(a - 1) : 0); }

/* n * s_xx - s_x^2 divided by n^2, exactly where 128-bit integers exist. */
static double variance(int64_t n, int64_t sx, int64_t sxx) {
#ifdef __SIZEOF_INT128__
    const __int128 num = (__int128)n * sxx - (__int128)sx * sx;
    return (double)num / ((double)n * (double)n);
#else
    return ((double)sxx - (double)sx * (double)sx / (double)n) / (double)n;
#endif
}

static double covariance(int64_t n, int64_t sx, int64_t sy, int64_t sxy) {
#ifdef __SIZEOF_INT128__
    const __int128 num = (__int128)n * sxy - (__int128)sx * sy;
    return (double)num / ((double)n * (double)n);
#else
    return ((double)sxy - (double)sx * (double)sy / (double)n) / (double)n;
#endif
}

/* Pixels inside holes of a region (background not 8-connected to the outside of its box). */
static int64_t hole_pixels(const acc_t *a, const run_t *runs, const int *order, int *fail) {
    const int h = a->r1 - a->r0 + 1, w = a->c1 - a->c0 + 1;
    if (h < 3 || w < 3 || a->n < 8) return 0; /* an enclosing ring needs at least 8 pixels */
    const size_t npx = (size_t)h * (size_t)w;
    uint8_t *img = (uint8_t *)calloc(npx, 1); /* 1 region, 2 reached background */
    int *stack = (int *)malloc(sizeof(int) * npx);
    if (!img || !stack) {
        free(img);
        free(stack);
        *fail = 1;
        return 0;
    }
    for (int t = 0; t < a->nruns; t++) {
        const run_t *r = &runs[order[a->first_run + t]];
        memset(img + (size_t)(r->row - a->r0) * w + (r->c0 - a->c0), 1, (size_t)(r->c1 - r->c0));
    }
    int top = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if ((y == 0 || y == h - 1 || x == 0 || x == w - 1) && img[y * w + x] == 0) {
                img[y * w + x] = 2;
                stack[top++] = y * w + x;
            }
    while (top > 0) {
        const int p = stack[--top], y = p / w, x = p % w;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                const int yy = y + dy, xx = x + dx;
                if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                if (img[yy * w + xx] == 0) {
                    img[yy * w + xx] = 2;
                    stack[top++] = yy * w + xx;
                }
            }
    }
    int64_t holes = 0;
    for (size_t i = 0; i < npx; i++) holes += img[i] == 0;
    free(img);
    free(stack);
    return holes;
}

static void describe(const acc_t *a, jw_region *e) {
    const int64_t n = a->n;
    e->area = n;
    e->cy = (double)((int64_t)a->r0 * n + a->sr) / (double)n;
    e->cx = (double)((int64_t)a->c0 * n + a->sc) / (double)n;
    const double vr = variance(n, a->sr, a->srr), vc = variance(n, a->sc, a->scc);
    const double cov = covariance(n, a->sr, a->sc, a->src);
    /* scikit-image's inertia tensor [[vc, -cov], [-cov, vr]] */
    const double ta = vc, tb = -cov, tc = vr;
    const double mean = (ta + tc) / 2.0, half = (ta - tc) / 2.0;
    const double root = sqrt(half * half + tb * tb);
    double l1 = mean + root, l2 = mean - root;
    if (l1 < 0) l1 = 0;
    if (l2 < 0) l2 = 0;
    e->w = 4.0 * sqrt(l1) - 1.0;
    e->h = 4.0 * sqrt(l2) - 1.0;
    double orient;
    if (ta - tc == 0)
        orient = tb < 0 ? M_PI / 4.0 : -M_PI / 4.0;
    else
        orient = 0.5 * atan2(-2.0 * tb, tc - ta);
    e->angle = orient * (180.0 / M_PI);
}

int jw_find_regions(const uint8_t *cur, const uint8_t *prev, uint8_t bits, size_t ny, size_t nx,
                    double min_area, jw_region **out, int *nout) {
    int cap = 1024, n = 0, status = 0;
    run_t *runs = (run_t *)malloc(sizeof(run_t) * (size_t)cap);
    if (!runs) return 1;
    int prev_start = 0, prev_end = 0; /* runs of the row above: [prev_start, prev_end) */
    for (size_t y = 0; y < ny; y++) {
        const uint8_t *c = cur + y * nx;
        const uint8_t *p = prev ? prev + y * nx : NULL;
        const int row_start = n;
        size_t x = 0;
        while (x < nx) {
            /* skip unset pixels eight at a time where possible */
            while (x + 8 <= nx) {
                uint64_t w;
                memcpy(&w, c + x, 8);
                if (w & (0x0101010101010101ull * bits)) break;
                x += 8;
            }
            if (x >= nx) break;
            if (!((c[x] & bits) && !(p && (p[x] & bits)))) {
                x++;
                continue;
            }
            const size_t x0 = x;
            while (x < nx && (c[x] & bits) && !(p && (p[x] & bits))) x++;
            if (n == cap) {
                cap *= 2;
                run_t *tmp = (run_t *)realloc(runs, sizeof(run_t) * (size_t)cap);
                if (!tmp) {
                    free(runs);
                    return 1;
                }
                runs = tmp;
            }
            runs[n] = (run_t){(int)y, (int)x0, (int)x, n};
            /* join runs of the row above that overlap [x0 - 1, x] */
            for (int q = prev_start; q < prev_end; q++) {
                if (runs[q].c1 < (int)x0) continue; /* ends before x0 - 1 */
                if (runs[q].c0 > (int)x) break;     /* starts after x */
                unite(runs, q, n);
            }
            n++;
        }
        prev_start = row_start;
        prev_end = n;
    }
    /* regions in order of their first run */
    int *label = (int *)malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    int *order = (int *)malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    acc_t *acc = (acc_t *)calloc((size_t)(n > 0 ? n : 1), sizeof(acc_t));
    if (!label || !order || !acc) {
        status = 1;
        goto done;
    }
    int nreg = 0;
    for (int i = 0; i < n; i++) {
        const int r = find_root(runs, i);
        label[i] = r == i ? nreg++ : label[r];
    }
    for (int i = 0; i < nreg; i++) {
        acc[i].r0 = acc[i].c0 = 1 << 30;
        acc[i].r1 = acc[i].c1 = -1;
    }
    for (int i = 0; i < n; i++) {
        acc_t *a = &acc[label[i]];
        const run_t *r = &runs[i];
        if (r->row < a->r0) a->r0 = r->row;
        if (r->row > a->r1) a->r1 = r->row;
        if (r->c0 < a->c0) a->c0 = r->c0;
        if (r->c1 - 1 > a->c1) a->c1 = r->c1 - 1;
        a->nruns++;
    }
    for (int i = 0, first = 0; i < nreg; i++) {
        acc[i].first_run = first;
        first += acc[i].nruns;
        acc[i].nruns = 0;
    }
    for (int i = 0; i < n; i++) {
        acc_t *a = &acc[label[i]];
        const run_t *r = &runs[i];
        order[a->first_run + a->nruns++] = i;
        const int64_t len = r->c1 - r->c0, yr = r->row - a->r0;
        const int64_t s1 = sum1(r->c0 - a->c0, r->c1 - a->c0);
        a->n += len;
        a->sr += len * yr;
        a->srr += len * yr * yr;
        a->sc += s1;
        a->scc += sum2(r->c0 - a->c0, r->c1 - a->c0);
        a->src += yr * s1;
    }
    for (int i = 0; i < nreg; i++) {
        acc_t *a = &acc[i];
        int64_t filled = a->n;
        if ((double)filled < min_area) {
            int fail = 0;
            filled += hole_pixels(a, runs, order, &fail);
            if (fail) {
                status = 1;
                goto done;
            }
        }
        if ((double)filled < min_area) continue;
        jw_region *tmp = (jw_region *)realloc(*out, sizeof(jw_region) * (size_t)(*nout + 1));
        if (!tmp) {
            status = 1;
            goto done;
        }
        *out = tmp;
        describe(a, &tmp[*nout]);
        tmp[*nout].area_filled = filled;
        (*nout)++;
    }
done:
    free(runs);
    free(label);
    free(order);
    free(acc);
    return status;
}

int jw_ellipse_spans(size_t ny, size_t nx, double cx, double cy, double axis1, double axis2,
                     double alpha, jw_span **spans, int *cap) {
    /* ellipse_subim: a box of half-size dn around the rounded centre */
    const long yc = (long)jw_round(cx), xc = (long)jw_round(cy); /* column, row */
    const long ra = (long)jw_round(axis1 / 2.0), rb = (long)jw_round(axis2 / 2.0);
    const long dn = (ra > rb ? ra : rb) + 2;
    const long ix1 = yc - dn > 0 ? yc - dn : 0;
    const long ix2 = yc + dn + 1 < (long)nx ? yc + dn + 1 : (long)nx;
    const long iy1 = xc - dn > 0 ? xc - dn : 0;
    const long iy2 = xc + dn + 1 < (long)ny ? xc + dn + 1 : (long)ny;
    if (ra == 0 || rb == 0 || ix2 <= ix1 || iy2 <= iy1) return 0;
    /* skimage.draw.ellipse(r, c, r_radius=rb, c_radius=ra, shape, rotation) in the box */
    const long sh0 = iy2 - iy1, sh1 = ix2 - ix1;
    const double r = (double)(xc - iy1), c = (double)(yc - ix1);
    double rot = fmod(alpha * (M_PI / 180.0), M_PI);
    if (rot != 0 && rot < 0) rot += M_PI;
    const double sn = sin(rot), cs = cos(rot);
    const double rr_rot = fabs((double)rb * cs) + (double)ra * sn;
    const double cr_rot = (double)rb * sn + fabs((double)ra * cs);
    long ul0 = (long)ceil(r - rr_rot), ul1 = (long)ceil(c - cr_rot);
    long lr0 = (long)floor(r + rr_rot), lr1 = (long)floor(c + cr_rot);
    if (ul0 < 0) ul0 = 0;
    if (ul1 < 0) ul1 = 0;
    if (lr0 > sh0 - 1) lr0 = sh0 - 1;
    if (lr1 > sh1 - 1) lr1 = sh1 - 1;
    const double r_org = r - (double)ul0, c_org = c - (double)ul1;
    int n = 0;
    for (long i = 0; i <= lr0 - ul0; i++) {
        const double dr = (double)i - r_org;
        long start = -1;
        for (long j = 0; j <= lr1 - ul1 + 1; j++) {
            int in = 0;
            if (j <= lr1 - ul1) {
                const double dc = (double)j - c_org;
                const double u = (dr * cs + dc * sn) / (double)rb;
                const double v = (dr * sn - dc * cs) / (double)ra;
                in = u * u + v * v < 1.0;
            }
            if (in && start < 0) start = j;
            if (!in && start >= 0) {
                if (n == *cap) {
                    const int nc = *cap > 0 ? 2 * *cap : 64;
                    jw_span *tmp = (jw_span *)realloc(*spans, sizeof(jw_span) * (size_t)nc);
                    if (!tmp) return -1;
                    *spans = tmp;
                    *cap = nc;
                }
                (*spans)[n++] = (jw_span){(int)(iy1 + ul0 + i), (int)(ix1 + ul1 + start),
                                          (int)(ix1 + ul1 + j)};
                start = -1;
            }
        }
    }
    return n;
}

int jw_point_in_ellipse(double px, double py, const jw_region *e) {
    const double angle = (180.0 - e->angle) * (M_PI / 180.0);
    const double ca = cos(angle), sa = sin(angle);
    const double xc = px - e->cx, yc = py - e->cy;
    const double xct = xc * ca - yc * sa, yct = xc * sa + yc * ca;
    double major, minor;
    if (e->w >= e->h) {
        major = e->w * 0.5;
        minor = e->h * 0.5;
    } else {
        major = e->h * 0.5;
        minor = e->w * 0.5;
    }
    const double rad = (xct * xct) / (major * major) + (yct * yct) / (minor * minor);
    return rad <= 1.0;
}
