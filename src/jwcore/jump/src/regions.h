/* Connected regions of a mask, their moment ellipses, and filled-ellipse rasterisation.
 *
 * Plain C11, no globals.  Reproduces what stcal 1.20.0 takes from scikit-image:
 * `measure.label` (8-connectivity), `regionprops` (area_filled, centroid, axis lengths and
 * orientation from the inertia tensor) and `draw.ellipse`.
 */
#ifndef JWCORE_JUMP_REGIONS_H
#define JWCORE_JUMP_REGIONS_H

#include <stddef.h>
#include <stdint.h>

/* One region, described as stcal describes it: ((cx, cy), (h, w), angle). */
typedef struct {
    double cx, cy;        /* centroid: column, row */
    double h, w;          /* minor and major axis lengths minus one (4 sqrt(eigenvalue) - 1) */
    double angle;         /* orientation in degrees (scikit-image convention) */
    int64_t area;         /* pixels */
    int64_t area_filled;  /* pixels with holes filled */
} jw_region;

/* The 8-connected regions of pixels where `(cur[i] & bits) && !(prev && (prev[i] & bits))`,
 * keeping those whose hole-filled area is at least min_area.  The regions are appended to a
 * malloc'd array: *out (may be NULL on entry; realloc'd), *nout its length.
 * Returns 0, or 1 when memory runs out. */
int jw_find_regions(const uint8_t *cur, const uint8_t *prev, uint8_t bits, size_t ny, size_t nx,
                    double min_area, jw_region **out, int *nout);

/* A run of pixels [c0, c1) in one row. */
typedef struct {
    int row, c0, c1;
} jw_span;

/* The pixels that stcal's `ellipse_subim` fills for an ellipse centred on (cx, cy) with full
 * axes axis1 (along the minor axis) and axis2, rotated by alpha degrees, clipped to ny x nx.
 * Spans are written to a malloc'd array (*spans realloc'd, *cap its capacity).  Returns the
 * number of spans, or -1 when memory runs out. */
int jw_ellipse_spans(size_t ny, size_t nx, double cx, double cy, double axis1, double axis2,
                     double alpha, jw_span **spans, int *cap);

/* stcal's test of a point against a region's ellipse (`point_inside_ellipse`). */
int jw_point_in_ellipse(double px, double py, const jw_region *e);

/* Round half to even, as Python's round(). */
double jw_round(double x);

#endif
