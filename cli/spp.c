/* spp: run and inspect the registered SPP kernels from the shell. The verbs live in
 * cmd_<verb>.c and are listed once, in CLI_VERBS (cli.h); this file only dispatches. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "npy.h"

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} verb;

static const verb VERBS[] = {
#define CLI_VERB_ENTRY(name, fn, summary) {name, fn, summary},
    CLI_VERBS(CLI_VERB_ENTRY)
#undef CLI_VERB_ENTRY
};
enum { NVERBS = sizeof VERBS / sizeof VERBS[0] };

static const verb *find_verb(const char *name)
{
    for (int i = 0; i < NVERBS; i++)
        if (strcmp(VERBS[i].name, name) == 0)
            return &VERBS[i];
    return NULL;
}

static void verb_names(char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = 0;
    for (int i = 0; i < NVERBS && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s, ", VERBS[i].name);
    if (o < cap)
        snprintf(buf + o, cap - o, "help");
}

static int usage(void)
{
    int width = 4;
    for (int i = 0; i < NVERBS; i++)
        if ((int)strlen(VERBS[i].name) > width)
            width = (int)strlen(VERBS[i].name);
    printf("usage: spp <verb> [flags]\n\n"
           "Spatial Pyramid Pooling kernels of sppbench (semantics: docs/spec.md).\n\nverbs:\n");
    for (int i = 0; i < NVERBS; i++)
        printf("  %-*s  %s\n", width, VERBS[i].name, VERBS[i].summary);
    printf("  %-*s  %s\n", width, "help", "this text, or `spp help <verb>` for a verb's flags");
    printf("\nErrors print one line on stderr and exit with status 2; no output file is created\n"
           "or overwritten on failure.\n");
    return CLI_EXIT_OK;
}

static int finish(int rc)
{
    /* a full disk or closed pipe on stdout is an error too, not a silent success */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (rc == CLI_EXIT_OK)
            rc = cli_error("stdout: write failed: expected a writable standard output");
    }
    return rc;
}

int main(int argc, char **argv)
{
    char names[256];
    npy_cleanup_on_signals();
    verb_names(names, sizeof names);
    if (argc < 2)
        return cli_error("missing verb: expected one of %s (see spp --help)", names);
    const char *v = argv[1];
    if (strcmp(v, "--help") == 0 || strcmp(v, "-h") == 0 || strcmp(v, "help") == 0) {
        if (argc == 2)
            return finish(usage());
        if (argc > 3)
            return cli_error("help: '%s': unexpected argument, expected `spp help <verb>`",
                             argv[3]);
        const verb *h = find_verb(argv[2]);
        if (!h)
            return cli_error("help: '%s': unknown verb, expected one of %s", argv[2], names);
        char *hargv[] = {(char *)h->name, (char *)"--help", NULL};
        return finish(h->fn(2, hargv));
    }
    const verb *f = find_verb(v);
    if (!f)
        return cli_error("'%s': unknown verb, expected one of %s (see spp --help)", v, names);
    return finish(f->fn(argc - 1, argv + 1));
}
