/* Order statistics and clipped means: see rp_stats.h. */
#include "rp_stats.h"

#include <math.h>
#include <string.h>

/* NumPy's pairwise summation: fewer than 8 terms are added in order; up to 128 terms go to
 * eight interleaved accumulators that are combined as ((0+1)+(2+3))+((4+5)+(6+7)) before the
 * remainder is added; longer runs are split at a multiple of 8 near the middle.  TERM(i) is
 * the i-th term, so the same order serves plain sums and sums of squared deviations. */
#define RP_PAIRWISE(NAME, T, PARAMS, TERM, XARG)                                            \
    static T NAME PARAMS {                                                                  \
        if (n < 8) {                                                                        \
            T res = (T)-0.0;                                                                \
            for (size_t i = 0; i < n; i++) res += TERM(i);                                  \
            return res;                                                                     \
        }                                                                                   \
        if (n <= 128) {                                                                     \
            T r[8];                                                                         \
            for (int j = 0; j < 8; j++) r[j] = TERM((size_t)j);                             \
            size_t i;                                                                       \
            for (i = 8; i < n - (n % 8); i += 8)                                            \
                for (int j = 0; j < 8; j++) r[j] += TERM(i + (size_t)j);                    \
            T res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));      \
            for (; i < n; i++) res += TERM(i);                                              \
            return res;                                                                     \
        }                                                                                   \
        size_t n2 = n / 2;                                                                  \
        n2 -= n2 % 8;                                                                       \
        return NAME(a, n2 XARG) + NAME(a + n2, n - n2 XARG);                                \
    }

static inline float sqdev_f(float x, float m) {
    const float d = x - m;
    return d * d;
}
static inline double sqdev_d(double x, double m) {
    const double d = x - m;
    return d * d;
}

#define TERM_PLAIN(i) (a[(i)])
#define TERM_SQF(i) sqdev_f(a[(i)], m)
#define TERM_SQD(i) sqdev_d(a[(i)], m)
#define NO_XARG
#define MEAN_XARG , m

RP_PAIRWISE(pw_f, float, (const float *a, size_t n), TERM_PLAIN, NO_XARG)
RP_PAIRWISE(pw_d, double, (const double *a, size_t n), TERM_PLAIN, NO_XARG)
RP_PAIRWISE(pw_sqf, float, (const float *a, size_t n, float m), TERM_SQF, MEAN_XARG)
RP_PAIRWISE(pw_sqd, double, (const double *a, size_t n, double m), TERM_SQD, MEAN_XARG)

/* add.reduce starts from the additive identity. */
float rp_sum_f(const float *a, size_t n) { return 0.0f + pw_f(a, n); }
double rp_sum_d(const double *a, size_t n) { return 0.0 + pw_d(a, n); }

/* numpy's float32 mean divides the float32 sum by an integer count in double precision. */
static inline float mean_f(float s, size_t n) { return (float)((double)s / (double)n); }

static int all_equal_finite_f(const float *a, size_t n) {
    if (!isfinite(a[0])) return 0;
    for (size_t i = 1; i < n; i++)
        if (a[i] != a[0]) return 0;
    return 1;
}

rp_level rp_clipped_mean_f(float *buf, size_t n, double low, double high) {
    rp_level r = {NAN, 0, 0};
    if (n == 0) return r;
    r.valid = 1;
    if (all_equal_finite_f(buf, n)) {
        /* The official code skips clipping when numpy.std(dtype=float64) is 0 and takes a
         * float64 mean.  For float32 values that happens exactly when all are equal: any
         * partial sum k*v of a float32 v is exact in double, so the mean is v itself. */
        r.value = (double)buf[0];
        r.is_f64 = 1;
        return r;
    }
    /* the clipping limits are Python floats, i.e. weak scalars rounded to float32 */
    const float lo = (float)low, hi = (float)high;
    size_t m = n;
    float mean;
    for (;;) {
        mean = mean_f(rp_sum_f(buf, m), m);
        const float var = mean_f(0.0f + pw_sqf(buf, m, mean), m);
        const float sd = sqrtf(var);
        const float crit_lo = mean - sd * lo;
        const float crit_hi = mean + sd * hi;
        size_t k = 0;
        for (size_t i = 0; i < m; i++)
            if (buf[i] >= crit_lo && buf[i] <= crit_hi) buf[k++] = buf[i];
        if (k == m) break;
        m = k;
        if (m == 0) {
            mean = NAN; /* everything clipped (NaN in the data): mean of an empty array */
            break;
        }
    }
    r.value = (double)mean;
    return r;
}

rp_level rp_clipped_mean_d(double *buf, size_t n, double low, double high) {
    rp_level r = {NAN, 1, 0};
    if (n == 0) return r;
    r.valid = 1;
    {
        /* numpy.std in float64 decides whether to clip; for float64 data a constant array
         * can have a tiny nonzero spread (its pairwise mean is not exact), so compute it the
         * same way instead of testing for equal values. */
        const double mean0 = rp_sum_d(buf, n) / (double)n;
        const double sd0 = sqrt((0.0 + pw_sqd(buf, n, mean0)) / (double)n);
        if (sd0 == 0.0) {
            r.value = mean0;
            return r;
        }
    }
    size_t m = n;
    double mean;
    for (;;) {
        mean = rp_sum_d(buf, m) / (double)m;
        const double var = (0.0 + pw_sqd(buf, m, mean)) / (double)m;
        const double sd = sqrt(var);
        const double crit_lo = mean - sd * low;
        const double crit_hi = mean + sd * high;
        size_t k = 0;
        for (size_t i = 0; i < m; i++)
            if (buf[i] >= crit_lo && buf[i] <= crit_hi) buf[k++] = buf[i];
        if (k == m) break;
        m = k;
        if (m == 0) {
            mean = NAN;
            break;
        }
    }
    r.value = mean;
    return r;
}

rp_level rp_avg_level(rp_level a, rp_level b) {
    if (!a.valid) return b;
    if (!b.valid) return a;
    rp_level r = {0.0, 0, 1};
    if (!a.is_f64 && !b.is_f64) {
        /* float32 scalars stay float32; the 0.5 is a weak Python float */
        const float s = (float)a.value + (float)b.value;
        r.value = (double)(0.5f * s);
    } else {
        r.value = 0.5 * (a.value + b.value);
        r.is_f64 = 1;
    }
    return r;
}

/* numpy.mean of the two middle values: a float32 sum halved through double */
static inline float mid_f(float lower, float upper) { return mean_f(0.0f + lower + upper, 2); }
static inline double mid_d(double lower, double upper) { return (0.0 + lower + upper) / 2.0; }

/* k-th smallest of a[0..n) (no NaN), partially ordering a. */
#define RP_SELECT(NAME, T)                                                                  \
    static T NAME(T *a, size_t n, size_t k) {                                               \
        size_t lo = 0, hi = n - 1;                                                          \
        while (hi > lo) {                                                                   \
            const size_t mid = lo + (hi - lo) / 2;                                          \
            /* median of three as pivot, moved to a[hi] */                                  \
            if (a[mid] < a[lo]) { T t = a[mid]; a[mid] = a[lo]; a[lo] = t; }                \
            if (a[hi] < a[lo]) { T t = a[hi]; a[hi] = a[lo]; a[lo] = t; }                   \
            if (a[mid] < a[hi]) { T t = a[mid]; a[mid] = a[hi]; a[hi] = t; }                \
            const T piv = a[hi];                                                            \
            size_t s = lo;                                                                  \
            for (size_t i = lo; i < hi; i++)                                                \
                if (a[i] < piv) { T t = a[i]; a[i] = a[s]; a[s] = t; s++; }                 \
            { T t = a[s]; a[s] = a[hi]; a[hi] = t; }                                        \
            if (s == k) return a[s];                                                        \
            if (s < k) lo = s + 1;                                                          \
            else hi = s - 1;                                                                \
        }                                                                                   \
        return a[k];                                                                        \
    }

RP_SELECT(select_f, float)
RP_SELECT(select_d, double)

float rp_median_f(float *buf, size_t n) {
    if (n == 0) return NAN;
    for (size_t i = 0; i < n; i++)
        if (isnan(buf[i])) return NAN;
    const size_t h = n / 2;
    const float upper = select_f(buf, n, h);
    if (n % 2) return upper;
    /* after selection every value below index h is <= upper: the largest is the lower middle */
    float lower = buf[0];
    for (size_t i = 1; i < h; i++)
        if (buf[i] > lower) lower = buf[i];
    return mid_f(lower, upper);
}

double rp_median_d(double *buf, size_t n) {
    if (n == 0) return NAN;
    for (size_t i = 0; i < n; i++)
        if (isnan(buf[i])) return NAN;
    const size_t h = n / 2;
    const double upper = select_d(buf, n, h);
    if (n % 2) return upper;
    double lower = buf[0];
    for (size_t i = 1; i < h; i++)
        if (buf[i] > lower) lower = buf[i];
    return mid_d(lower, upper);
}

float rp_median_sorted_f(const float *s, size_t n) {
    if (n == 0) return NAN;
    return n % 2 ? s[n / 2] : mid_f(s[n / 2 - 1], s[n / 2]);
}

double rp_median_sorted_d(const double *s, size_t n) {
    if (n == 0) return NAN;
    return n % 2 ? s[n / 2] : mid_d(s[n / 2 - 1], s[n / 2]);
}
