/* Problem names, validation (docs/spec.md#6-validation) and the compact problem string. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "spp_internal.h"

static const char *const POOL_NAMES[] = {"max", "avg"};
static const char *const BINS_NAMES[] = {"adaptive", "sppnet", "caffe"};
static const char *const LAYOUT_NAMES[] = {"nchw", "nhwc"};
static const char *const ISA_NAMES[] = {"scalar", "avx2", "avx512"};

#define NAME_OF(table, v) ((unsigned)(v) < sizeof table / sizeof table[0] ? table[v] : "?")

const char *spp_pool_name(spp_pool p) { return NAME_OF(POOL_NAMES, p); }
const char *spp_bins_name(spp_bins b) { return NAME_OF(BINS_NAMES, b); }
const char *spp_layout_name(spp_layout l) { return NAME_OF(LAYOUT_NAMES, l); }
const char *spp_isa_name(spp_isa i) { return NAME_OF(ISA_NAMES, i); }

const char *spp_status_name(spp_status s)
{
    static const char *const names[] = {
        "ok",     "null pointer", "bad enum", "bad shape", "bad levels", "bad convention",
        "overflow", "overlap", "layout",  "isa",       "parse",      "bad argument",
        "out of memory"};
    return NAME_OF(names, s);
}

static int lookup(const char *const *table, int count, const char *s)
{
    for (int i = 0; s && i < count; i++)
        if (strcmp(table[i], s) == 0)
            return i;
    return -1;
}

spp_status spp_pool_from_name(const char *s, spp_pool *out, spp_error *err)
{
    int i = lookup(POOL_NAMES, 2, s);
    if (i < 0)
        return spp_fail(err, SPP_ERR_ENUM, "pool=%s: expected max or avg", s ? s : "(null)");
    *out = (spp_pool)i;
    return SPP_OK;
}

spp_status spp_bins_from_name(const char *s, spp_bins *out, spp_error *err)
{
    int i = lookup(BINS_NAMES, 3, s);
    if (i < 0)
        return spp_fail(err, SPP_ERR_ENUM, "bins=%s: expected adaptive, sppnet or caffe",
                        s ? s : "(null)");
    *out = (spp_bins)i;
    return SPP_OK;
}

spp_status spp_layout_from_name(const char *s, spp_layout *out, spp_error *err)
{
    int i = lookup(LAYOUT_NAMES, 2, s);
    if (i < 0)
        return spp_fail(err, SPP_ERR_ENUM, "layout=%s: expected nchw or nhwc",
                        s ? s : "(null)");
    *out = (spp_layout)i;
    return SPP_OK;
}

static int64_t bins_per_channel(const spp_problem *p)
{
    int64_t s = 0;
    for (int l = 0; l < p->nlevels; l++)
        s += (int64_t)p->levels[l] * p->levels[l];
    return s;
}

int64_t spp_input_elems(const spp_problem *p) { return p->n * p->c * p->h * p->w; }
int64_t spp_output_elems(const spp_problem *p) { return p->n * p->c * bins_per_channel(p); }

size_t spp_mul_size(const int64_t *f, int nf, size_t e)
{
    size_t r = e;
    for (int i = 0; i < nf; i++)
        if (f[i] < 0 || __builtin_mul_overflow(r, (size_t)f[i], &r))
            return 0;
    return r;
}

spp_status spp_check_enums(spp_pool pool, spp_bins bins, spp_layout layout, spp_error *err)
{
    if ((unsigned)pool > SPP_POOL_AVG)
        return spp_fail(err, SPP_ERR_ENUM, "pool=%d: expected 0 (max) or 1 (avg)", (int)pool);
    if ((unsigned)bins > SPP_BINS_CAFFE)
        return spp_fail(err, SPP_ERR_ENUM, "bins=%d: expected 0 (adaptive), 1 (sppnet) or 2 (caffe)",
                        (int)bins);
    if ((unsigned)layout > SPP_LAYOUT_NHWC)
        return spp_fail(err, SPP_ERR_ENUM, "layout=%d: expected 0 (nchw) or 1 (nhwc)", (int)layout);
    return SPP_OK;
}

spp_status spp_check_levels(const int *levels, int nlevels, spp_error *err)
{
    if (nlevels < 1 || nlevels > SPP_MAX_LEVELS)
        return spp_fail(err, SPP_ERR_LEVELS, "levels: %d given, expected 1..%d levels", nlevels,
                        SPP_MAX_LEVELS);
    for (int l = 0; l < nlevels; l++)
        if (levels[l] < 1 || levels[l] > SPP_MAX_LEVEL)
            return spp_fail(err, SPP_ERR_LEVELS, "levels[%d]=%d: each level must be in 1..%d", l,
                            levels[l], SPP_MAX_LEVEL);
    return SPP_OK;
}

spp_status spp_check_plane(int64_t h, int64_t w, spp_error *err)
{
    /* argmax (and a region box coordinate) is an int32 inside one plane; h, w >= 1 here */
    if (h > INT32_MAX / w)
        return spp_fail(err, SPP_ERR_OVERFLOW,
                        "H*W=%lld*%lld: a plane must hold at most INT32_MAX=%d elements "
                        "(argmax is int32)",
                        (long long)h, (long long)w, INT32_MAX);
    return SPP_OK;
}

spp_status spp_problem_validate(const spp_problem *p, spp_error *err)
{
    if (!p)
        return spp_fail(err, SPP_ERR_NULL, "problem=NULL: a problem is required");
    spp_status st = spp_check_enums(p->pool, p->bins, p->layout, err);
    if (st != SPP_OK)
        return st;
    const struct { const char *name; int64_t v; } dims[] = {
        {"N", p->n}, {"C", p->c}, {"H", p->h}, {"W", p->w}};
    for (int i = 0; i < 4; i++)
        if (dims[i].v < 1)
            return spp_fail(err, SPP_ERR_SHAPE, "%s=%lld: must be >= 1", dims[i].name,
                            (long long)dims[i].v);
    if ((st = spp_check_levels(p->levels, p->nlevels, err)) != SPP_OK ||
        (st = spp_check_plane(p->h, p->w, err)) != SPP_OK)
        return st;
    const int64_t in[4] = {p->n, p->c, p->h, p->w}, out[3] = {p->n, p->c, bins_per_channel(p)};
    if (!spp_mul_size(in, 4, sizeof(float)))
        return spp_fail(err, SPP_ERR_OVERFLOW,
                        "N*C*H*W=%lld*%lld*%lld*%lld: input byte count overflows size_t",
                        (long long)p->n, (long long)p->c, (long long)p->h, (long long)p->w);
    if (!spp_mul_size(out, 3, sizeof(float)))
        return spp_fail(err, SPP_ERR_OVERFLOW,
                        "N*C*sum(n^2)=%lld*%lld*%lld: output byte count overflows size_t",
                        (long long)p->n, (long long)p->c, (long long)bins_per_channel(p));
    /* convention validity per axis and level */
    spp_interval scratch[SPP_MAX_LEVEL];
    for (int l = 0; l < p->nlevels; l++) {
        st = spp_axis_bins(p->h, p->levels[l], p->bins, "H", scratch, err);
        if (st == SPP_OK)
            st = spp_axis_bins(p->w, p->levels[l], p->bins, "W", scratch, err);
        if (st != SPP_OK)
            return st;
    }
    return SPP_OK;
}

/* ---- problem string ---- */

int spp_problem_format(const spp_problem *p, char *buf, size_t cap)
{
    char lv[SPP_MAX_LEVELS * 12 + 1] = "";
    size_t used = 0;
    int nl = p->nlevels < 0 ? 0 : p->nlevels > SPP_MAX_LEVELS ? SPP_MAX_LEVELS : p->nlevels;
    for (int l = 0; l < nl; l++)
        used += (size_t)snprintf(lv + used, sizeof lv - used, l ? ".%d" : "%d", p->levels[l]);
    return snprintf(buf, cap, "n%lldc%lldh%lldw%lld_l%s_%s_%s_%s", (long long)p->n,
                    (long long)p->c, (long long)p->h, (long long)p->w, lv, spp_pool_name(p->pool),
                    spp_bins_name(p->bins), spp_layout_name(p->layout));
}

/* Canonical decimal (no sign, no leading zero unless "0"); advances *s. */
static int parse_int(const char **s, int64_t max, int64_t *out)
{
    const char *q = *s;
    if (*q < '0' || *q > '9' || (q[0] == '0' && q[1] >= '0' && q[1] <= '9'))
        return 0;
    int64_t v = 0;
    for (; *q >= '0' && *q <= '9'; q++) {
        if (v > (max - (*q - '0')) / 10)
            return 0;
        v = v * 10 + (*q - '0');
    }
    *s = q;
    *out = v;
    return 1;
}

/* Reads up to the next '_' (or end) into buf. */
static int parse_word(const char **s, char *buf, size_t cap)
{
    size_t n = strcspn(*s, "_");
    if (n == 0 || n >= cap)
        return 0;
    memcpy(buf, *s, n);
    buf[n] = 0;
    *s += n;
    return 1;
}

spp_status spp_problem_parse(const char *s, spp_problem *p, spp_error *err)
{
    if (!s || !p)
        return spp_fail(err, SPP_ERR_NULL, "problem string: NULL argument");
    const char *q = s;
    spp_problem r;
    memset(&r, 0, sizeof r);
    static const char dim_tags[4] = {'n', 'c', 'h', 'w'};
    int64_t *dims[4] = {&r.n, &r.c, &r.h, &r.w};
    for (int i = 0; i < 4; i++) {
        if (*q != dim_tags[i] || (q++, !parse_int(&q, INT64_MAX, dims[i])))
            return spp_fail(err, SPP_ERR_PARSE,
                            "problem string '%.80s': expected '%c' and a decimal number at "
                            "character %d (format n{N}c{C}h{H}w{W}_l{a.b}_{pool}_{bins}_{layout})",
                            s, dim_tags[i], (int)(q - s));
    }
    if (q[0] != '_' || q[1] != 'l')
        return spp_fail(err, SPP_ERR_PARSE,
                        "problem string '%.80s': expected '_l' and the levels at character %d", s,
                        (int)(q - s));
    q += 2;
    for (;;) {
        int64_t v;
        if (r.nlevels == SPP_MAX_LEVELS)
            return spp_fail(err, SPP_ERR_LEVELS, "problem string '%.80s': more than %d levels", s,
                            SPP_MAX_LEVELS);
        if (!parse_int(&q, INT32_MAX, &v))
            return spp_fail(err, SPP_ERR_PARSE,
                            "problem string '%.80s': expected a level number at character %d", s,
                            (int)(q - s));
        r.levels[r.nlevels++] = (int)v;
        if (*q != '.')
            break;
        q++;
    }
    char word[16];
    if (*q != '_' || (q++, !parse_word(&q, word, sizeof word)) ||
        spp_pool_from_name(word, &r.pool, NULL) != SPP_OK)
        return spp_fail(err, SPP_ERR_PARSE,
                        "problem string '%.80s': expected _max or _avg at character %d", s,
                        (int)(q - s));
    if (*q != '_' || (q++, !parse_word(&q, word, sizeof word)) ||
        spp_bins_from_name(word, &r.bins, NULL) != SPP_OK)
        return spp_fail(err, SPP_ERR_PARSE,
                        "problem string '%.80s': expected _adaptive, _sppnet or _caffe at "
                        "character %d",
                        s, (int)(q - s));
    if (*q != '_' || (q++, !parse_word(&q, word, sizeof word)) ||
        spp_layout_from_name(word, &r.layout, NULL) != SPP_OK || *q != 0)
        return spp_fail(err, SPP_ERR_PARSE,
                        "problem string '%.80s': expected _nchw or _nhwc at the end (character "
                        "%d)",
                        s, (int)(q - s));
    *p = r;
    return SPP_OK;
}
