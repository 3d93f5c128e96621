/* NIRSpec IRS2 reference correction of one integration (after jwst's
 * irs2_subtract_reference, which follows Rauscher et al. 2017, PASP 129, 105003).
 *
 * In the detector frame a group is nr (2048) rows of 5 outputs x `sector` (640) samples:
 * output 0 is the reference output, outputs 1-4 read `scipix_n` science pixels then
 * `refpix_r` interleaved reference pixels, and so on.  Per group:
 *   1. each sample minus its mean over the ramp (b), rounded to float32;
 *   2. every output rearranged in time order (`row` = 712 sample times per detector row,
 *      gaps zero) and a straight line in time, fitted on detector rows 0-3 and nr-4..nr-1,
 *      removed;
 *   3. the reference output: zeros filled by cosine-weighted interpolation, then the gaps
 *      and reference positions replaced by a low-pass Fourier interpolation (n_iter
 *      iterations of filter-then-restore-the-known-samples);
 *   4. for each output k = 1..4 the correction Re IFFT(beta_k FFT(r_k) + alpha_k FFT(ref)),
 *      where r_k holds the interleaved reference samples (spread over their gaps) and ref
 *      the filled reference output, is subtracted; b is added back.
 * The FFTs (length row * nr) run in double precision where jwst uses complex64, so the
 * corrections agree to ~1e-5 DN rather than to the bit.  Groups are processed in pairs
 * packed as real and imaginary parts of one complex transform.
 */
#ifndef JWCORE_RP_IRS2_H
#define JWCORE_RP_IRS2_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t ny, nx;              /* stored input plane (3200 x 2048 for NIRSpec) */
    size_t nr;                  /* detector rows (2048) */
    const int64_t *row_off;     /* [nr]  plane offset of detector row r */
    const int64_t *col_off;     /* [5 * sector]  plane offset of detector column c */
    size_t sector;              /* samples per output and detector row (640) */
    size_t row;                 /* sample times per output and detector row (712) */
    const int32_t *src_col;     /* [5][sector]  detector column of the u-th read sample */
    const int32_t *tpos;        /* [sector]  time position of the u-th read sample */
    size_t n_hs;                /* reference samples spread over their gaps (256) */
    const int32_t *hs, *ht;     /* r_k[ht[i]] = T_k[hs[i]] */
    const uint8_t *is_norm;     /* [row] 1 at the time positions of normal samples */
    /* output samples: per output sector s (0..4), n_out[s] entries */
    const int32_t *n_out;       /* [5] */
    const int32_t *out_u;       /* [5][sector] read sample index u */
    const int64_t *out_col_off; /* [5][sector] output plane offset of the output column */
    const uint8_t *out_addb;    /* [5][sector] add the ramp mean back */
    const int64_t *out_row_off; /* [nr] output plane offset of detector row r */
    size_t out_plane;           /* output plane size */
    const float *alpha, *beta;  /* [4][row * nr][2] complex64 */
    const double *aa;           /* [row * nr] low-pass filter of the reference output */
    const uint8_t *aa_rows;     /* [P] spectrum rows k1 (k = Q k1 + k2) where aa != 0 */
    const float *cos_w;         /* [wlen] cosine interpolation weights */
    size_t wlen;
    int n_iter;
} rp_irs2_plan;

/* Correct one integration: in[ngroups][ny][nx] -> out[ngroups][out_plane].
 * Returns 0, 1 (memory) or 2 (arguments). */
int rp_irs2_correct(const rp_irs2_plan *p, const float *in, float *out, size_t ngroups,
                    int n_threads);

/* Statistics of interleaved reference pixel pairs for the bad-pixel test: for every pair
 * starting at stored row rows[i] of in[ngroups][ny][nx], the mean absolute difference of
 * the two rows, their mean and their standard deviation (over all groups and columns). */
void rp_irs2_pair_stats(const float *in, size_t ngroups, size_t ny, size_t nx,
                        const int64_t *rows, size_t npairs, double *mean_absdiff,
                        double *mean, double *std, int n_threads);

#endif
