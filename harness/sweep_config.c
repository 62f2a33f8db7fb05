/* sweep_config: parser of the benchmark sweep files; the format is documented in sweep_config.h.
 * inih does the INI syntax; this file checks every key and value and says which line is wrong.
 * inih 55 does not pass line numbers to the handler, so a counting reader tracks them. */
#define _POSIX_C_SOURCE 200809L
#include "sweep_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

enum {
    K_N = 1 << 0, K_C = 1 << 1, K_HW = 1 << 2, K_H = 1 << 3, K_W = 1 << 4, K_LEVELS = 1 << 5,
    K_POOL = 1 << 6, K_BINS = 1 << 7, K_LAYOUT = 1 << 8, K_KERNELS = 1 << 9, K_THREADS = 1 << 10,
    K_DIR = 1 << 11
};

typedef struct {
    FILE *f;
    int line;          /* line number of the line inih is handling */
    int section_line;  /* line of the last [section] header */
    int too_long;      /* line number of a line longer than inih's buffer, or 0 */
} line_reader;

typedef struct {
    sweep_config *cfg;
    line_reader *rd;
    char section[128]; /* section of the current grid/run block ("" before any) */
    int in_run;        /* current section is [run] */
    int run_seen;
    int run_min_time;  /* min_time given in the current [run] block */
    int block_line;    /* header line of the current block: a repeated header of the same
                        * name starts a new block (inih reports only the section's name) */
    sweep_grid *g;     /* current grid, or NULL */
    unsigned seen;     /* keys given in the current grid */
    int64_t hlist[SWEEP_MAX_VALUES], wlist[SWEEP_MAX_VALUES];
    int nh, nw;
    int err_line;      /* first error found by the handler, 0 if none */
    char err[400];
    int64_t points;    /* benchmark points of the grids finished so far */
} parse_ctx;

/* fgets that counts lines and refuses lines longer than inih's buffer (it would split them). */
static char *counting_reader(char *str, int num, void *stream)
{
    line_reader *r = stream;
    char *s = fgets(str, num, r->f);
    if (!s)
        return NULL;
    r->line++;
    size_t len = strlen(s);
    if (len > 0 && s[len - 1] != '\n') {
        int ch = fgetc(r->f);
        if (ch != EOF && ch != '\n') {
            r->too_long = r->line;
            return NULL; /* stop parsing: reported by sweep_config_load */
        }
    }
    const char *t = s;
    while (*t == ' ' || *t == '\t')
        t++;
    if (*t == '[')
        r->section_line = r->line;
    return s;
}

static int fail(parse_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(parse_ctx *c, const char *fmt, ...)
{
    if (!c->err_line) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, sizeof c->err, fmt, ap);
        va_end(ap);
        c->err_line = c->rd->line;
    }
    return 0; /* inih: handler error */
}

/* Next item of a list separated by sep, whitespace-trimmed, into buf; returns the position after
 * it, or NULL at the end of the list. Empty items are returned as "" (callers reject them). */
static const char *next_item(const char *s, char sep, char *buf, size_t cap)
{
    if (!s)
        return NULL;
    const char *e = strchr(s, sep);
    size_t len = e ? (size_t)(e - s) : strlen(s);
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= cap)
        len = cap - 1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return e ? e + 1 : s + strlen(s);
}

/* A positive integer up to max, the whole string. */
static int parse_int(const char *s, int64_t max, int64_t *out)
{
    if (!*s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < 1 || v > max)
        return -1;
    *out = v;
    return 0;
}

#define LIMIT_DIM ((int64_t)1 << 31) /* N, C, H, W: any larger is a typo here */

/* Splits value into items; calls one of the item parsers below for each. */
typedef int (*item_fn)(parse_ctx *c, sweep_grid *g, const char *key, const char *item);

static int parse_list(parse_ctx *c, const char *key, const char *value, char sep, item_fn fn,
                      int again)
{
    char item[200];
    const char *s = value;
    if (again && *s == sep) /* a continuation line may start with the separator */
        for (s++, value = s; isspace((unsigned char)*s); s++, value = s)
            ;
    if (!*value)
        return fail(c, "key '%s': empty value: expected a list", key);
    while ((s = next_item(s, sep, item, sizeof item)) != NULL) {
        if (!*item)
            return fail(c, "key '%s': value '%s': empty item in the list", key, value);
        if (!fn(c, c->g, key, item))
            return 0;
        if (!*s && s[-1] != sep)
            break;
        if (!*s) /* trailing separator */
            return fail(c, "key '%s': value '%s': empty item in the list", key, value);
    }
    return 1;
}

static int room(parse_ctx *c, const char *key, int count)
{
    if (count >= SWEEP_MAX_VALUES)
        return fail(c, "key '%s': more than %d values", key, SWEEP_MAX_VALUES);
    return 1;
}

/* A value listed twice would only repeat benchmarks: an error, like other typos. */
static int twice(parse_ctx *c, const char *key, const char *it)
{
    return fail(c, "key '%s': value '%s': listed twice", key, it);
}

static int has_i64(const int64_t *v, int n, int64_t x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return 1;
    return 0;
}

static int has_int(const int *v, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return 1;
    return 0;
}

static int item_n(parse_ctx *c, sweep_grid *g, const char *key, const char *it)
{
    int64_t v;
    if (parse_int(it, LIMIT_DIM, &v))
        return fail(c, "key '%s': value '%s': expected a positive integer", key, it);
    if (!room(c, key, g->nn))
        return 0;
    if (has_i64(g->n, g->nn, v))
        return twice(c, key, it);
    g->n[g->nn++] = v;
    return 1;
}

static int item_c(parse_ctx *c, sweep_grid *g, const char *key, const char *it)
{
    int64_t v;
    if (parse_int(it, LIMIT_DIM, &v))
        return fail(c, "key '%s': value '%s': expected a positive integer", key, it);
    if (!room(c, key, g->nc))
        return 0;
    if (has_i64(g->c, g->nc, v))
        return twice(c, key, it);
    g->c[g->nc++] = v;
    return 1;
}

static int item_hw(parse_ctx *c, sweep_grid *g, const char *key, const char *it)
{
    char hs[64], ws[64];
    const char *x = strchr(it, 'x');
    int64_t h, w;
    int ok;
    if (x) {
        size_t hl = (size_t)(x - it);
        ok = hl < sizeof hs && strlen(x + 1) < sizeof ws;
        if (ok) {
            memcpy(hs, it, hl);
            hs[hl] = '\0';
            strcpy(ws, x + 1);
            ok = !parse_int(hs, LIMIT_DIM, &h) && !parse_int(ws, LIMIT_DIM, &w);
        }
    } else {
        ok = !parse_int(it, LIMIT_DIM, &h);
        w = h;
    }
    if (!ok)
        return fail(c, "key '%s': value '%s': expected HxW (e.g. 13x13) or S for SxS", key, it);
    if (!room(c, key, g->nhw))
        return 0;
    for (int i = 0; i < g->nhw; i++)
        if (g->h[i] == h && g->w[i] == w)
            return twice(c, key, it);
    g->h[g->nhw] = h;
    g->w[g->nhw++] = w;
    return 1;
}

static int item_h(parse_ctx *c, sweep_grid *g, const char *key, const char *it)
{
    (void)g;
    int64_t v;
    if (parse_int(it, LIMIT_DIM, &v))
        return fail(c, "key '%s': value '%s': expected a positive integer", key, it);
    if (!room(c, key, c->nh))
        return 0;
    if (has_i64(c->hlist, c->nh, v))
        return twice(c, key, it);
    c->hlist[c->nh++] = v;
    return 1;
}

static int item_w(parse_ctx *c, sweep_grid *g, const char *key, const char *it)
{
    (void)g;
    int64_t v;
    if (parse_int(it, LIMIT_DIM, &v))
        return fail(c, "key '%s': value '%s': expected a positive integer", key, it);
    if (!room(c, key, c->nw))
        return 0;
    if (has_i64(c->wlist, c->nw, v))
        return twice(c, key, it);
    c->wlist[c->nw++] = v;
    return 1;
}

static int item_levels(parse_ctx *c, sweep_grid *g, const char *key, const char *it)
{
    char lv[32];
    const char *s = it;
    int count = 0, set[SPP_MAX_LEVELS];
    while ((s = next_item(s, '.', lv, sizeof lv)) != NULL) {
        int64_t v;
        if (count == SPP_MAX_LEVELS)
            return fail(c, "key '%s': value '%s': more than %d levels", key, it, SPP_MAX_LEVELS);
        if (parse_int(lv, SPP_MAX_LEVEL, &v))
            return fail(c,
                        "key '%s': value '%s': expected levels like 6.3.2.1 (integers 1..%d "
                        "joined by '.'; sets separated by '|')",
                        key, it, SPP_MAX_LEVEL);
        set[count++] = (int)v;
        if (!*s) {
            if (s[-1] == '.')
                return fail(c, "key '%s': value '%s': a level set ends with '.'", key, it);
            break;
        }
    }
    if (!room(c, key, g->nlevelsets))
        return 0;
    for (int i = 0; i < g->nlevelsets; i++)
        if (g->levelset_len[i] == count && !memcmp(g->levelset[i], set, (size_t)count * sizeof set[0]))
            return twice(c, key, it);
    g->levelset_len[g->nlevelsets] = count;
    memcpy(g->levelset[g->nlevelsets++], set, (size_t)count * sizeof set[0]);
    return 1;
}

static int item_pool(parse_ctx *c, sweep_grid *g, const char *key, const char *it)
{
    spp_pool v;
    if (spp_pool_from_name(it, &v, NULL) != SPP_OK)
        return fail(c, "key '%s': value '%s': expected max or avg", key, it);
    if (!room(c, key, g->npool))
        return 0;
    for (int i = 0; i < g->npool; i++)
        if (g->pool[i] == v)
            return twice(c, key, it);
    g->pool[g->npool++] = v;
    return 1;
}

static int item_bins(parse_ctx *c, sweep_grid *g, const char *key, const char *it)
{
    spp_bins v;
    if (spp_bins_from_name(it, &v, NULL) != SPP_OK)
        return fail(c, "key '%s': value '%s': expected adaptive, sppnet or caffe", key, it);
    if (!room(c, key, g->nbins))
        return 0;
    for (int i = 0; i < g->nbins; i++)
        if (g->bins[i] == v)
            return twice(c, key, it);
    g->bins[g->nbins++] = v;
    return 1;
}

static int item_layout(parse_ctx *c, sweep_grid *g, const char *key, const char *it)
{
    spp_layout v;
    if (spp_layout_from_name(it, &v, NULL) != SPP_OK)
        return fail(c, "key '%s': value '%s': expected nchw or nhwc", key, it);
    if (!room(c, key, g->nlayout))
        return 0;
    for (int i = 0; i < g->nlayout; i++)
        if (g->layout[i] == v)
            return twice(c, key, it);
    g->layout[g->nlayout++] = v;
    return 1;
}

static int item_threads(parse_ctx *c, sweep_grid *g, const char *key, const char *it)
{
    int64_t v;
    if (parse_int(it, 1024, &v))
        return fail(c, "key '%s': value '%s': expected a thread count 1..1024", key, it);
    if (!room(c, key, g->nthreads))
        return 0;
    if (has_int(g->threads, g->nthreads, (int)v))
        return twice(c, key, it);
    g->threads[g->nthreads++] = (int)v;
    return 1;
}

static int item_dir(parse_ctx *c, sweep_grid *g, const char *key, const char *it)
{
    sweep_direction d;
    if (sweep_direction_from_name(it, &d))
        return fail(c, "key '%s': value '%s': expected fwd, bwd or fwdbwd", key, it);
    if (!room(c, key, g->ndir))
        return 0;
    for (int i = 0; i < g->ndir; i++)
        if (g->dir[i] == d)
            return twice(c, key, it);
    g->dir[g->ndir++] = d;
    return 1;
}

static int item_kernel(parse_ctx *c, sweep_grid *g, const char *key, const char *it)
{
    if (!strcmp(it, "*")) {
        if (g->nkernels)
            return fail(c, "key '%s': '*' mixed with kernel names", key);
        g->all_kernels = 1;
        return 1;
    }
    if (g->all_kernels)
        return fail(c, "key '%s': '*' mixed with kernel names", key);
    const spp_kernel *k = spp_kernel_find(it);
    if (!k) {
        char known[256] = "";
        for (int i = 0; i < spp_kernel_count(); i++) {
            size_t l = strlen(known);
            snprintf(known + l, sizeof known - l, "%s%s", i ? ", " : "", spp_kernel_at(i)->name);
        }
        return fail(c, "key '%s': value '%s': unknown kernel (registered: %s)", key, it, known);
    }
    if (g->nkernels == SWEEP_MAX_KERNELS)
        return fail(c, "key '%s': more than %d kernels", key, SWEEP_MAX_KERNELS);
    for (int i = 0; i < g->nkernels; i++)
        if (g->kernels[i] == k)
            return twice(c, key, it);
    g->kernels[g->nkernels++] = k;
    return 1;
}

/* Completes the current grid: h x w product, defaults, required keys. */
static int finish_grid(parse_ctx *c)
{
    sweep_grid *g = c->g;
    if (!g)
        return 1;
    c->g = NULL;
    /* messages about a whole grid point at its header line */
    const int save = c->rd->line;
    c->rd->line = g->line;
    int ok = 0;
    if ((c->seen & K_HW) && (c->seen & (K_H | K_W)))
        fail(c, "grid '%s': give either 'hw' or both 'h' and 'w', not both", g->name);
    else if (!(c->seen & K_HW) && (c->seen & (K_H | K_W)) != (K_H | K_W))
        fail(c, "grid '%s': missing key '%s' (give 'hw', or both 'h' and 'w')", g->name,
             (c->seen & K_H) ? "w" : (c->seen & K_W) ? "h" : "hw");
    else if (!(c->seen & K_C))
        fail(c, "grid '%s': missing key 'c'", g->name);
    else if (!(c->seen & K_LEVELS))
        fail(c, "grid '%s': missing key 'levels'", g->name);
    else if (c->nh * c->nw > SWEEP_MAX_VALUES)
        fail(c, "grid '%s': h x w gives %d pairs, more than %d", g->name, c->nh * c->nw,
             SWEEP_MAX_VALUES);
    else
        ok = 1;
    c->rd->line = save;
    if (!ok)
        return 0;
    for (int i = 0; i < c->nh; i++)
        for (int j = 0; j < c->nw; j++) {
            g->h[g->nhw] = c->hlist[i];
            g->w[g->nhw++] = c->wlist[j];
        }
    if (!g->nn)
        g->n[g->nn++] = 1;
    if (!g->npool)
        g->pool[g->npool++] = SPP_POOL_MAX;
    if (!g->nbins)
        g->bins[g->nbins++] = SPP_BINS_ADAPTIVE;
    if (!g->nlayout)
        g->layout[g->nlayout++] = SPP_LAYOUT_NCHW;
    if (!g->nthreads)
        g->threads[g->nthreads++] = 1;
    if (!g->ndir)
        g->dir[g->ndir++] = SWEEP_FWD;
    if (!g->nkernels)
        g->all_kernels = 1;
    /* a few lines can ask for billions of points: refuse before anything expands them */
    const int64_t points = sweep_grid_problem_count(g) * g->nthreads * g->ndir *
                           (g->all_kernels ? spp_kernel_count() : g->nkernels);
    c->points += points;
    if (points > SWEEP_MAX_POINTS || c->points > SWEEP_MAX_POINTS) {
        c->rd->line = g->line;
        fail(c, "grid '%s': %lld benchmark points (%lld in the file so far), more than %d",
             g->name, (long long)points, (long long)c->points, SWEEP_MAX_POINTS);
        c->rd->line = save;
        return 0;
    }
    return 1;
}

static int valid_grid_name(const char *s)
{
    if (!*s || strlen(s) >= SWEEP_NAME_MAX)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
            return 0;
    return 1;
}

/* Starts the block of a new section (inih calls the handler per key, with the section name). */
static int start_section(parse_ctx *c, const char *section)
{
    if (!finish_grid(c))
        return 0;
    snprintf(c->section, sizeof c->section, "%s", section);
    c->block_line = c->rd->section_line;
    c->in_run = 0;
    c->seen = 0;
    c->nh = c->nw = 0;
    const int save = c->rd->line;
    if (c->rd->section_line)
        c->rd->line = c->rd->section_line;
    int ok = 1;
    if (!strcmp(section, "run")) {
        if (c->run_seen)
            ok = fail(c, "section '[run]' given twice");
        c->run_seen = 1;
        c->in_run = 1;
    } else if (!strncmp(section, "grid ", 5)) {
        const char *name = section + 5;
        while (*name == ' ')
            name++;
        if (!valid_grid_name(name))
            ok = fail(c, "section '[%s]': expected [grid NAME] with NAME of letters, digits, "
                         "'_', '-', '.' (at most %d characters)",
                      section, SWEEP_NAME_MAX - 1);
        else if (c->cfg->ngrids == SWEEP_MAX_GRIDS)
            ok = fail(c, "more than %d grids", SWEEP_MAX_GRIDS);
        else {
            for (int i = 0; i < c->cfg->ngrids && ok; i++)
                if (!strcmp(c->cfg->grid[i].name, name))
                    ok = fail(c, "grid '%s' defined twice (first at line %d)", name,
                              c->cfg->grid[i].line);
            if (ok) {
                c->g = &c->cfg->grid[c->cfg->ngrids++];
                memset(c->g, 0, sizeof *c->g);
                snprintf(c->g->name, sizeof c->g->name, "%s", name);
                c->g->line = c->rd->section_line;
            }
        }
    } else if (!*section) {
        ok = fail(c, "key outside a section: put keys under [grid NAME] or [run]");
    } else {
        ok = fail(c, "unknown section '[%s]': expected [grid NAME] or [run]", section);
    }
    c->rd->line = save;
    return ok;
}

static const struct {
    const char *key;
    unsigned bit;
    char sep;
    item_fn fn;
} grid_keys[] = {
    {"n", K_N, ',', item_n},
    {"c", K_C, ',', item_c},
    {"hw", K_HW, ',', item_hw},
    {"h", K_H, ',', item_h},
    {"w", K_W, ',', item_w},
    {"levels", K_LEVELS, '|', item_levels},
    {"pool", K_POOL, ',', item_pool},
    {"bins", K_BINS, ',', item_bins},
    {"layout", K_LAYOUT, ',', item_layout},
    {"kernels", K_KERNELS, ',', item_kernel},
    {"threads", K_THREADS, ',', item_threads},
    {"direction", K_DIR, ',', item_dir},
};

static int handler(void *user, const char *section, const char *name, const char *value)
{
    parse_ctx *c = user;
    if (c->err_line)
        return 0; /* report the first error only */
    if ((strcmp(section, c->section) != 0 || c->rd->section_line != c->block_line) &&
        !start_section(c, section))
        return 0;
    if (c->in_run) {
        if (strcmp(name, "min_time") != 0)
            return fail(c, "unknown key '%s' in [run]: expected min_time", name);
        if (c->run_min_time)
            return fail(c, "key 'min_time' given twice in [run]");
        c->run_min_time = 1;
        char *end;
        errno = 0;
        double v = strtod(value, &end);
        if (errno || end == value || *end || !(v > 0.0) || v > 3600.0)
            return fail(c, "key 'min_time': value '%s': expected seconds > 0 (e.g. 0.05)", value);
        c->cfg->min_time = v;
        return 1;
    }
    for (size_t i = 0; i < sizeof grid_keys / sizeof grid_keys[0]; i++)
        if (!strcmp(name, grid_keys[i].key)) {
            const int again = (c->seen & grid_keys[i].bit) != 0;
            c->seen |= grid_keys[i].bit;
            return parse_list(c, name, value, grid_keys[i].sep, grid_keys[i].fn, again);
        }
    return fail(c, "unknown key '%s': expected n, c, hw, h, w, levels, pool, bins, layout, "
                   "kernels, threads or direction",
                name);
}

int sweep_config_load(const char *path, sweep_config *cfg, char *err, size_t errcap)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->path, sizeof cfg->path, "%s", path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(cfg->name, sizeof cfg->name, "%s", base);
    char *dot = strrchr(cfg->name, '.');
    if (dot && dot != cfg->name)
        *dot = '\0';

    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errcap, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    line_reader rd = {f, 0, 0, 0};
    parse_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        fclose(f);
        snprintf(err, errcap, "%s: out of memory", path);
        return -1;
    }
    c->cfg = cfg;
    c->rd = &rd;
    /* sentinel: no section yet, so the first key always starts a block */
    snprintf(c->section, sizeof c->section, "%s", "\x01");
    int r = ini_parse_stream(counting_reader, &rd, handler, c);
    const int read_error = ferror(f);
    fclose(f);
    int rc = 0;
    if (read_error) {
        snprintf(err, errcap, "%s: read error", path);
        rc = -1;
    } else if (rd.too_long && (!r || rd.too_long <= r) && (!c->err_line || rd.too_long <= c->err_line)) {
        snprintf(err, errcap, "%s:%d: line too long (at most %d characters; continue a list on an "
                              "indented line)",
                 path, rd.too_long, INI_MAX_LINE - 2);
        rc = -1;
    } else if (r != 0 && (!c->err_line || r < c->err_line)) {
        snprintf(err, errcap, "%s:%d: syntax error: expected '[grid NAME]', '[run]', "
                              "'key = value' or a comment",
                 path, r);
        rc = -1;
    } else if (c->err_line) {
        snprintf(err, errcap, "%s:%d: %s", path, c->err_line, c->err);
        rc = -1;
    } else if (!finish_grid(c)) {
        snprintf(err, errcap, "%s:%d: %s", path, c->err_line, c->err);
        rc = -1;
    } else if (cfg->ngrids == 0) {
        snprintf(err, errcap, "%s:%d: no [grid NAME] section with keys", path, rd.line);
        rc = -1;
    }
    free(c);
    return rc;
}

int64_t sweep_grid_problem_count(const sweep_grid *g)
{
    return (int64_t)g->nn * g->nc * g->nhw * g->nlevelsets * g->npool * g->nbins * g->nlayout;
}

void sweep_grid_problem(const sweep_grid *g, int64_t idx, spp_problem *p)
{
    memset(p, 0, sizeof *p);
    p->layout = g->layout[idx % g->nlayout];
    idx /= g->nlayout;
    p->bins = g->bins[idx % g->nbins];
    idx /= g->nbins;
    p->pool = g->pool[idx % g->npool];
    idx /= g->npool;
    const int ls = (int)(idx % g->nlevelsets);
    idx /= g->nlevelsets;
    p->nlevels = g->levelset_len[ls];
    memcpy(p->levels, g->levelset[ls], (size_t)p->nlevels * sizeof p->levels[0]);
    const int hw = (int)(idx % g->nhw);
    idx /= g->nhw;
    p->h = g->h[hw];
    p->w = g->w[hw];
    p->c = g->c[idx % g->nc];
    idx /= g->nc;
    p->n = g->n[idx];
}

const char *sweep_direction_name(sweep_direction d)
{
    switch (d) {
    case SWEEP_FWD: return "fwd";
    case SWEEP_BWD: return "bwd";
    case SWEEP_FWDBWD: return "fwdbwd";
    }
    return "?";
}

int sweep_direction_from_name(const char *s, sweep_direction *out)
{
    static const sweep_direction all[] = {SWEEP_FWD, SWEEP_BWD, SWEEP_FWDBWD};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!strcmp(s, sweep_direction_name(all[i]))) {
            *out = all[i];
            return 0;
        }
    return -1;
}
