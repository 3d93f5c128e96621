/* Snowballs (near-IR large events): see events.h.
 *
 * After stcal 1.20.0 `flag_large_events`: in each group, regions of JUMP_DET pixels of at
 * least min_jump_area pixels are snowballs when a core that saturates in this group (or the
 * next) lies inside their moment ellipse, or when they are near the detector edge.  Each
 * snowball's ellipse, grown by expand_factor, is flagged JUMP_DET in that group (saturated
 * pixels excepted).  Cores whose minor axis exceeds min_sat_radius_extend are grown by
 * sat_expand and flagged SATURATED in this and all later groups; optionally the cores are
 * flagged JUMP_DET in the first groups of the next integration.  The groups are processed
 * in order because each one sees the saturation grown in the previous ones.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "regions.h"

typedef struct {
    jw_region *items;
    int n;
} region_list;

static void list_clear(region_list *l) {
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* Axes of a grown event ellipse, as stcal's compute_axes (grow both axes by the minor). */
static void grown_axes(const jw_region *e, double factor, double max_width, double *a1,
                       double *a2) {
    double x1, x2;
    if (e->w < e->h) {
        x1 = e->h + (factor - 1.0) * e->w;
        x2 = e->w * factor;
    } else {
        x1 = e->h * factor;
        x2 = e->w + (factor - 1.0) * e->h;
    }
    x1 = x1 < max_width ? x1 : max_width;
    x2 = x2 < max_width ? x2 : max_width;
    *a1 = 2.0 * jw_round(x1 / 2.0);
    *a2 = 2.0 * jw_round(x2 / 2.0);
}

static int near_edge(const jw_region *e, double lo, double hi) {
    return e->cx < lo || e->cy < lo || e->cx > hi || e->cy > hi;
}

int jw_flag_snowballs(uint8_t *gdq, size_t nints, size_t ngroups, size_t ny, size_t nx,
                      const jw_snowball_params *p, int n_threads, int64_t *n_events) {
    (void)n_threads; /* the groups depend on each other: the work is sequential */
    if (!gdq || !p || !n_events) return 2;
    *n_events = 0;
    const size_t plane = ny * nx;
    if (plane == 0 || ngroups < 2) return 0;
    region_list sat = {0}, nsat = {0}, jumps = {0};
    region_list *persist = (region_list *)calloc(nints > 0 ? nints : 1, sizeof(region_list));
    jw_span *spans = NULL;
    int cap = 0, status = 0;
    uint8_t *chosen = NULL;
    if (!persist) return 1;
    const double lo = (double)p->edge_size;
    const double hi = (double)ny > lo ? (double)ny - lo : 0.0; /* stcal uses the rows for both */
    for (size_t i = 0; i < nints && !status; i++) {
        for (size_t g = 1; g < ngroups; g++) {
            uint8_t *cur = gdq + (i * ngroups + g) * plane;
            const uint8_t *prev = cur - plane;
            const uint8_t *next = g + 1 < ngroups ? cur + plane : NULL;
            list_clear(&sat);
            list_clear(&nsat);
            list_clear(&jumps);
            if (jw_find_regions(cur, prev, p->fl_sat, ny, nx, p->min_sat_area, &sat.items, &sat.n) ||
                (next && jw_find_regions(next, cur, p->fl_sat, ny, nx, p->min_sat_area, &nsat.items,
                                         &nsat.n)) ||
                jw_find_regions(cur, NULL, p->fl_jump, ny, nx, p->min_jump_area, &jumps.items,
                                &jumps.n)) {
                status = 1;
                break;
            }
            free(chosen);
            chosen = (uint8_t *)calloc((size_t)(jumps.n > 0 ? jumps.n : 1), 1);
            if (!chosen) {
                status = 1;
                break;
            }
            for (int j = 0; j < jumps.n; j++) {
                const jw_region *e = &jumps.items[j];
                if (!p->sat_required_snowball || near_edge(e, lo, hi)) {
                    chosen[j] = 1;
                    continue;
                }
                for (int s = 0; s < sat.n && !chosen[j]; s++)
                    chosen[j] = (uint8_t)jw_point_in_ellipse(sat.items[s].cx, sat.items[s].cy, e);
                for (int s = 0; s < nsat.n && !chosen[j]; s++)
                    chosen[j] =
                        (uint8_t)jw_point_in_ellipse(nsat.items[s].cx, nsat.items[s].cy, e);
            }
            if (p->sat_required_snowball) {
                /* grow the large cores: SATURATED from this group on */
                for (int s = 0; s < sat.n; s++) {
                    const jw_region *e = &sat.items[s];
                    const double minor = e->h < e->w ? e->h : e->w;
                    if (!(minor > p->min_sat_radius_extend)) continue;
                    double a1 = e->h + p->sat_expand, a2 = e->w + p->sat_expand;
                    a1 = a1 < p->max_extended_width ? a1 : p->max_extended_width;
                    a2 = a2 < p->max_extended_width ? a2 : p->max_extended_width;
                    const int ns = jw_ellipse_spans(ny, nx, e->cx, e->cy, a1, a2, e->angle,
                                                    &spans, &cap);
                    if (ns < 0) {
                        status = 1;
                        break;
                    }
                    for (size_t gg = g; gg < ngroups; gg++) {
                        uint8_t *pl = gdq + (i * ngroups + gg) * plane;
                        for (int t = 0; t < ns; t++)
                            memset(pl + (size_t)spans[t].row * nx + spans[t].c0, p->fl_sat,
                                   (size_t)(spans[t].c1 - spans[t].c0));
                    }
                    region_list *pl = &persist[i];
                    jw_region *tmp =
                        (jw_region *)realloc(pl->items, sizeof(jw_region) * (size_t)(pl->n + 1));
                    if (!tmp) {
                        status = 1;
                        break;
                    }
                    pl->items = tmp;
                    pl->items[pl->n++] = *e;
                }
                if (status) break;
            }
            for (int j = 0; j < jumps.n; j++) {
                if (!chosen[j]) continue;
                (*n_events)++;
                double a1, a2;
                grown_axes(&jumps.items[j], p->expand_factor, p->max_extended_width, &a1, &a2);
                const jw_region *e = &jumps.items[j];
                const int ns = jw_ellipse_spans(ny, nx, e->cx, e->cy, a1, a2, e->angle, &spans,
                                                &cap);
                if (ns < 0) {
                    status = 1;
                    break;
                }
                for (int t = 0; t < ns; t++) {
                    uint8_t *row = cur + (size_t)spans[t].row * nx;
                    for (int x = spans[t].c0; x < spans[t].c1; x++)
                        if (!(row[x] & p->fl_sat)) row[x] |= p->fl_jump;
                }
            }
            if (status) break;
        }
    }
    /* the cores, ungrown, in the first groups of the next integration */
    if (!status && p->mask_persist_next_int && p->persist_grps_flagged >= 1) {
        const size_t last = (size_t)p->persist_grps_flagged < ngroups
                                ? (size_t)p->persist_grps_flagged
                                : ngroups;
        for (size_t i = 1; i < nints && !status; i++) {
            for (int s = 0; s < persist[i - 1].n; s++) {
                const jw_region *e = &persist[i - 1].items[s];
                const int ns = jw_ellipse_spans(ny, nx, e->cx, e->cy, e->h, e->w, e->angle,
                                                &spans, &cap);
                if (ns < 0) {
                    status = 1;
                    break;
                }
                for (size_t g = 1; g < last; g++) {
                    uint8_t *pl = gdq + (i * ngroups + g) * plane;
                    for (int t = 0; t < ns; t++) {
                        uint8_t *row = pl + (size_t)spans[t].row * nx;
                        for (int x = spans[t].c0; x < spans[t].c1; x++) row[x] |= p->fl_jump;
                    }
                }
            }
        }
    }
    list_clear(&sat);
    list_clear(&nsat);
    list_clear(&jumps);
    for (size_t i = 0; i < nints; i++) list_clear(&persist[i]);
    free(persist);
    free(spans);
    free(chosen);
    return status;
}
