/* The spp command-line tool: the verb table and the helpers every verb shares.
 *
 * Adding a verb is one file plus one line: write cli/cmd_<name>.c defining
 *     int cmd_<name>(int argc, char **argv)   // argv[0] is the verb; returns the exit status
 * and add X("<name>", cmd_<name>, "one-line summary") to CLI_VERBS below. The verb parses its
 * flags with cli_parse (which also serves `spp <verb> --help` and `spp help <verb>`).
 *
 * Error convention (docs/design.md#error-messages): exactly one line on stderr,
 * `spp: <what>: <value>: <expected>`, exit status CLI_EXIT_USAGE (2), and no output file created
 * or overwritten: check everything first, stage every output (npy_stage), and rename
 * (npy_commit) only when all succeeded. */
#ifndef SPP_CLI_H
#define SPP_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "spp.h"

#define CLI_VERBS(X)                                                                      \
    X("list", cmd_list, "list the whole-map and region kernels and whether this CPU runs them") \
    X("bins", cmd_bins, "print the bins of one axis for a size, level and convention")    \
    X("run", cmd_run, "run a kernel on a .npy feature map: forward, optionally backward") \
    X("run-regions", cmd_run_regions, "region SPP: pool (R,4) boxes of one map into the pyramid") \
    X("roi-project", cmd_roi_project, "SPP-net image-to-feature-map window projection")

#define CLI_DECLARE_VERB(name, fn, summary) int fn(int argc, char **argv);
CLI_VERBS(CLI_DECLARE_VERB)
#undef CLI_DECLARE_VERB

enum { CLI_EXIT_OK = 0, CLI_EXIT_USAGE = 2 };

/* Prints `spp: <message>` as one line on stderr (control characters in values are shown as
 * '?', so a hostile file name cannot split the line) and returns CLI_EXIT_USAGE. */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
int cli_error(const char *fmt, ...);

/* One flag of a verb. Fill name/metavar/help; cli_parse fills value/given. */
typedef struct {
    const char *name;    /* "--kernel" */
    const char *metavar; /* "K" for a flag taking a value; NULL for a switch */
    const char *help;    /* one line for the usage text */
    const char *value;   /* out: the value (NULL if absent; "" never reaches the verb) */
    int given;           /* out: 1 if present */
} cli_opt;

enum { CLI_PARSED = 0, CLI_HELP = -1, CLI_BAD = -2 };

/* Parses argv[1..argc) (`--flag value`, `--flag=value`, switches). Unknown flags, a missing or
 * empty value, a flag given twice and positional arguments are errors (message printed).
 * `--help`/`-h` prints the usage (synopsis, description, flags) to stdout. Returns CLI_PARSED,
 * CLI_HELP or CLI_BAD. */
int cli_parse(int argc, char **argv, cli_opt *opts, int nopts, const char *synopsis,
              const char *description);
/* The option named name (must exist in opts). */
cli_opt *cli_opt_get(cli_opt *opts, int nopts, const char *name);
/* Checks that every flag in the NULL-terminated list was given; error names the first missing. */
int cli_require(const char *verb, cli_opt *opts, int nopts, const char *const *names);

/* Strict decimal integer in [min, max]; on error prints `spp: FLAG: VALUE: expected an integer in
 * MIN..MAX` and returns -1. */
int cli_int(const char *flag, const char *s, long long min, long long max, long long *out);
/* Comma-separated levels, each 1..SPP_MAX_LEVEL, at most SPP_MAX_LEVELS of them. */
int cli_levels(const char *flag, const char *s, int *levels, int *nlevels);
/* Enum names through the library's name functions. */
int cli_pool(const char *flag, const char *s, spp_pool *out);
int cli_bins(const char *flag, const char *s, spp_bins *out);
int cli_layout(const char *flag, const char *s, spp_layout *out);
/* A registered kernel by name; the error lists the registered names. */
const spp_kernel *cli_kernel(const char *flag, const char *s);

/* Fails (message printed) if an output path is an existing directory, or if two of them name
 * the same file (same string, or the same existing file through another spelling). flags[i]
 * names paths[i]; NULL paths are skipped. */
int cli_check_outputs(int n, const char *const *flags, const char *const *paths);

/* The pyramid flags `run` and `run-regions` share, found by name in the verb's table:
 * --levels (required), --pool, --bins, --layout, --threads (defaults max, adaptive, nchw, 1);
 * --grad-output and --grad-input only together; --argmax only with max; --output, --argmax
 * and --grad-input distinct writable paths. Prints the error and returns non-zero. */
typedef struct {
    int levels[SPP_MAX_LEVELS];
    int nlevels;
    spp_pool pool;
    spp_bins bins;
    spp_layout layout;
    long long threads;
    int backward; /* --grad-output given */
} cli_pyramid_args;
int cli_pyramid_flags(const cli_opt *opts, int nopts, cli_pyramid_args *a);


#endif
