/* Flag parsing and value checks shared by every verb (see cli.h). */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

int cli_error(const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* one line, whatever the values held */
    for (char *c = buf; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    fflush(stdout);
    fprintf(stderr, "spp: %s\n", buf);
    return CLI_EXIT_USAGE;
}

static void print_usage(const char *synopsis, const char *description, const cli_opt *opts,
                        int nopts)
{
    printf("usage: %s\n", synopsis);
    if (description && *description)
        printf("\n%s\n", description);
    int width = 6; /* "--help" */
    for (int i = 0; i < nopts; i++) {
        int w = (int)strlen(opts[i].name) +
                (opts[i].metavar ? 1 + (int)strlen(opts[i].metavar) : 0);
        if (w > width)
            width = w;
    }
    printf("\nflags:\n");
    for (int i = 0; i < nopts; i++) {
        char left[128];
        snprintf(left, sizeof left, "%s%s%s", opts[i].name, opts[i].metavar ? " " : "",
                 opts[i].metavar ? opts[i].metavar : "");
        printf("  %-*s  %s\n", width, left, opts[i].help);
    }
    printf("  %-*s  %s\n", width, "--help", "show this text");
}

cli_opt *cli_opt_get(cli_opt *opts, int nopts, const char *name)
{
    for (int i = 0; i < nopts; i++)
        if (strcmp(opts[i].name, name) == 0)
            return &opts[i];
    return NULL;
}

int cli_parse(int argc, char **argv, cli_opt *opts, int nopts, const char *synopsis,
              const char *description)
{
    const char *verb = argv[0];
    for (int i = 0; i < nopts; i++) {
        opts[i].value = NULL;
        opts[i].given = 0;
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            print_usage(synopsis, description, opts, nopts);
            return CLI_HELP;
        }
        if (strncmp(arg, "--", 2) != 0 || arg[2] == 0) {
            cli_error("%s: '%s': unexpected argument, expected --flags only (see spp %s --help)",
                      verb, arg, verb);
            return CLI_BAD;
        }
        const char *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        cli_opt *o = NULL;
        for (int k = 0; k < nopts; k++)
            if (strlen(opts[k].name) == nlen && strncmp(opts[k].name, arg, nlen) == 0)
                o = &opts[k];
        if (!o) {
            cli_error("%s: %.*s: unknown flag (see spp %s --help)", verb, (int)nlen, arg, verb);
            return CLI_BAD;
        }
        if (o->given) {
            cli_error("%s: %s: given twice: expected at most once", verb, o->name);
            return CLI_BAD;
        }
        o->given = 1;
        if (!o->metavar) {
            if (eq) {
                cli_error("%s: %s: '%s': expected no value (it is a switch)", verb, o->name,
                          eq + 1);
                return CLI_BAD;
            }
            continue;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (!eq) {
            /* a following flag means the value was forgotten, not that it is "--x" */
            if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0) {
                cli_error("%s: %s: missing value: expected %s %s", verb, o->name, o->name,
                          o->metavar);
                return CLI_BAD;
            }
            v = argv[++i];
        }
        if (*v == 0) {
            cli_error("%s: %s: '': expected a non-empty %s", verb, o->name, o->metavar);
            return CLI_BAD;
        }
        o->value = v;
    }
    return CLI_PARSED;
}

int cli_require(const char *verb, cli_opt *opts, int nopts, const char *const *names)
{
    for (; *names; names++) {
        cli_opt *o = cli_opt_get(opts, nopts, *names);
        if (!o || !o->given) {
            cli_error("%s: %s: missing: expected %s %s (see spp %s --help)", verb, *names, *names,
                      o && o->metavar ? o->metavar : "", verb);
            return -1;
        }
    }
    return 0;
}

/* Strict decimal: optional '-', digits, nothing else; 0 on success, -1 on syntax, 1 on range. */
static int parse_ll(const char *s, long long *out)
{
    const char *q = s;
    int neg = 0;
    if (*q == '-') {
        neg = 1;
        q++;
    }
    if (*q < '0' || *q > '9')
        return -1;
    unsigned long long v = 0;
    int big = 0;
    for (; *q >= '0' && *q <= '9'; q++) {
        if (v > (0x7fffffffffffffffULL - (unsigned)(*q - '0')) / 10)
            big = 1;
        else
            v = v * 10 + (unsigned)(*q - '0');
    }
    if (*q)
        return -1;
    if (big)
        return 1;
    *out = neg ? -(long long)v : (long long)v;
    return 0;
}

int cli_int(const char *flag, const char *s, long long min, long long max, long long *out)
{
    long long v = 0;
    int r = parse_ll(s, &v);
    if (r != 0 || v < min || v > max) {
        cli_error("%s: '%s': expected an integer in %lld..%lld", flag, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_levels(const char *flag, const char *s, int *levels, int *nlevels)
{
    int n = 0;
    const char *item = s;
    for (int idx = 1;; idx++) {
        size_t len = strcspn(item, ",");
        if (len == 0) {
            cli_error("%s: '%s': item %d is empty: expected comma-separated integers in 1..%d "
                      "such as 6,3,2,1",
                      flag, s, idx, SPP_MAX_LEVEL);
            return -1;
        }
        if (n == SPP_MAX_LEVELS) {
            cli_error("%s: '%s': more than %d levels: expected at most %d", flag, s,
                      SPP_MAX_LEVELS, SPP_MAX_LEVELS);
            return -1;
        }
        char tok[32];
        long long v = 0;
        if (len >= sizeof tok || (memcpy(tok, item, len), tok[len] = 0, parse_ll(tok, &v)) != 0 ||
            v < 1 || v > SPP_MAX_LEVEL) {
            cli_error("%s: '%s': item %d '%.*s': expected an integer in 1..%d", flag, s, idx,
                      (int)(len < 40 ? len : 40), item, SPP_MAX_LEVEL);
            return -1;
        }
        levels[n++] = (int)v;
        if (item[len] == 0)
            break;
        item += len + 1;
    }
    *nlevels = n;
    return 0;
}

/* name lookup against the library's own names, so the CLI cannot drift from the enums */
static int enum_lookup(const char *flag, const char *s, int count, const char *(*name)(int))
{
    for (int i = 0; i < count; i++)
        if (strcmp(s, name(i)) == 0)
            return i;
    char want[128] = "";
    size_t o = 0;
    for (int i = 0; i < count; i++) {
        const char *sep = i == 0 ? "" : i + 1 == count ? " or " : ", ";
        o += (size_t)snprintf(want + o, sizeof want - o, "%s%s", sep, name(i));
    }
    cli_error("%s: '%s': expected %s", flag, s, want);
    return -1;
}

static const char *pool_name(int i) { return spp_pool_name((spp_pool)i); }
static const char *bins_name(int i) { return spp_bins_name((spp_bins)i); }
static const char *layout_name(int i) { return spp_layout_name((spp_layout)i); }

int cli_pool(const char *flag, const char *s, spp_pool *out)
{
    int i = enum_lookup(flag, s, SPP_POOL_AVG + 1, pool_name);
    if (i < 0)
        return -1;
    *out = (spp_pool)i;
    return 0;
}

int cli_bins(const char *flag, const char *s, spp_bins *out)
{
    int i = enum_lookup(flag, s, SPP_BINS_CAFFE + 1, bins_name);
    if (i < 0)
        return -1;
    *out = (spp_bins)i;
    return 0;
}

int cli_layout(const char *flag, const char *s, spp_layout *out)
{
    int i = enum_lookup(flag, s, SPP_LAYOUT_NHWC + 1, layout_name);
    if (i < 0)
        return -1;
    *out = (spp_layout)i;
    return 0;
}

const spp_kernel *cli_kernel(const char *flag, const char *s)
{
    const spp_kernel *k = spp_kernel_find(s);
    if (k)
        return k;
    char want[1024] = "";
    size_t o = 0;
    for (int i = 0; i < spp_kernel_count() && o < sizeof want; i++)
        o += (size_t)snprintf(want + o, sizeof want - o, "%s%s", i ? ", " : "",
                              spp_kernel_at(i)->name);
    cli_error("%s: '%s': unknown kernel, expected auto or one of %s (see spp list)", flag, s,
              want);
    return NULL;
}

int cli_check_outputs(int n, const char *const *flags, const char *const *paths)
{
    for (int i = 0; i < n; i++) {
        struct stat a;
        /* rename() cannot replace a directory; catching it now keeps the other outputs of the
         * run from being renamed into place before the failure */
        if (paths[i] && stat(paths[i], &a) == 0 && S_ISDIR(a.st_mode)) {
            cli_error("%s: '%s': is a directory: expected a file name", flags[i], paths[i]);
            return -1;
        }
    }
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            if (!paths[i] || !paths[j])
                continue;
            struct stat a, b;
            int same = strcmp(paths[i], paths[j]) == 0 ||
                       (stat(paths[i], &a) == 0 && stat(paths[j], &b) == 0 &&
                        a.st_dev == b.st_dev && a.st_ino == b.st_ino);
            if (same) {
                cli_error("%s: '%s': is also %s: expected a different file", flags[j], paths[j],
                          flags[i]);
                return -1;
            }
        }
    return 0;
}

static const cli_opt *find_opt(const cli_opt *opts, int nopts, const char *name)
{
    for (int i = 0; i < nopts; i++)
        if (strcmp(opts[i].name, name) == 0)
            return &opts[i];
    return NULL;
}

int cli_pyramid_flags(const cli_opt *opts, int nopts, cli_pyramid_args *a)
{
    static const cli_opt none = {NULL, NULL, NULL, NULL, 0};
#define OPT(name) (find_opt(opts, nopts, name) ? find_opt(opts, nopts, name) : &none)
    const cli_opt *levels = OPT("--levels"), *pool = OPT("--pool"), *bins = OPT("--bins"),
                  *layout = OPT("--layout"), *threads = OPT("--threads"),
                  *argmax = OPT("--argmax"), *gout = OPT("--grad-output"),
                  *gin = OPT("--grad-input"), *output = OPT("--output");
#undef OPT
    memset(a, 0, sizeof *a);
    a->pool = SPP_POOL_MAX;
    a->bins = SPP_BINS_ADAPTIVE;
    a->layout = SPP_LAYOUT_NCHW;
    a->threads = 1;
    if (cli_levels("--levels", levels->value, a->levels, &a->nlevels) != 0 ||
        (pool->given && cli_pool("--pool", pool->value, &a->pool) != 0) ||
        (bins->given && cli_bins("--bins", bins->value, &a->bins) != 0) ||
        (layout->given && cli_layout("--layout", layout->value, &a->layout) != 0) ||
        (threads->given && cli_int("--threads", threads->value, 1, 1024, &a->threads) != 0))
        return CLI_EXIT_USAGE;
    a->backward = gout->given;
    if (gin->given != gout->given) {
        const int gi = gin->given;
        return cli_error("%s: '%s': expected together with %s (the backward pass needs both)",
                         gi ? "--grad-input" : "--grad-output", gi ? gin->value : gout->value,
                         gi ? "--grad-output" : "--grad-input");
    }
    if (argmax->given && a->pool != SPP_POOL_MAX)
        return cli_error("--argmax: '%s': expected only with --pool max (avg has no argmax)",
                         argmax->value);
    const char *flags[] = {"--output", "--argmax", "--grad-input"};
    const char *paths[] = {output->value, argmax->value, gin->value};
    return cli_check_outputs(3, flags, paths) != 0 ? CLI_EXIT_USAGE : 0;
}
