/* spp list: one line per registered kernel, enumerated from the two registries: the whole-map
 * kernels (kernels/kernels.inc, `spp run`) and the region kernels (kernels/regions.inc,
 * `spp run-regions`). Each registry is one section with a title line and the same columns; the
 * column widths are shared, so the sections line up. --maps / --regions select sections. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct {
    char name[64], layouts[32], isa[16], threaded[8], runnable[40];
    const char *summary;
} row;

/* The fields both kernel structs share, so one describe() serves both registries. */
static void describe(const char *name, int has_nchw, int has_nhwc, spp_isa isa, int threaded,
                     const char *summary, row *r)
{
    const int has[2] = {has_nchw, has_nhwc};
    snprintf(r->name, sizeof r->name, "%s", name);
    r->layouts[0] = 0;
    size_t o = 0;
    for (int l = SPP_LAYOUT_NCHW; l <= SPP_LAYOUT_NHWC; l++)
        if (has[l - SPP_LAYOUT_NCHW])
            o += (size_t)snprintf(r->layouts + o, sizeof r->layouts - o, "%s%s", o ? "," : "",
                                  spp_layout_name((spp_layout)l));
    snprintf(r->isa, sizeof r->isa, "%s", spp_isa_name(isa));
    snprintf(r->threaded, sizeof r->threaded, "%s", threaded ? "yes" : "no");
    if (spp_cpu_supports(isa))
        snprintf(r->runnable, sizeof r->runnable, "yes");
    else
        snprintf(r->runnable, sizeof r->runnable, "no (needs %s)", spp_isa_name(isa));
    r->summary = summary ? summary : "";
}

/* Row i of a section: 0 = whole-map registry, 1 = region registry. */
static void section_row(int section, int i, row *r)
{
    if (section == 0) {
        const spp_kernel *k = spp_kernel_at(i);
        describe(k->name, spp_kernel_has_layout(k, SPP_LAYOUT_NCHW),
                 spp_kernel_has_layout(k, SPP_LAYOUT_NHWC), k->isa, k->threaded, k->summary, r);
    } else {
        const spp_region_kernel *k = spp_region_kernel_at(i);
        describe(k->name, spp_region_kernel_has_layout(k, SPP_LAYOUT_NCHW),
                 spp_region_kernel_has_layout(k, SPP_LAYOUT_NHWC), k->isa, k->threaded,
                 k->summary, r);
    }
}

static int section_count(int section)
{
    return section == 0 ? spp_kernel_count() : spp_region_kernel_count();
}

static const char *const TITLES[2] = {
    "whole-map kernels (spp run --kernel NAME):",
    "region kernels (spp run-regions --kernel NAME):",
};

/* The paths of row i of a section. */
static const spp_path *section_paths(int section, int i, int *n)
{
    if (section == 0) {
        *n = spp_kernel_at(i)->npaths;
        return spp_kernel_at(i)->paths;
    }
    *n = spp_region_kernel_at(i)->npaths;
    return spp_region_kernel_at(i)->paths;
}

/* "forward,infer,backward": the passes of a path */
static void passes_str(unsigned passes, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = 0;
    for (int s = 0; s < SPP_NPASSES; s++)
        if (passes & SPP_PASS_BIT(s))
            o += (size_t)snprintf(buf + o, cap - o, "%s%s", o ? "," : "",
                                  spp_pass_name((spp_pass)s));
}

static int width(int w, const char *s) { return (int)strlen(s) > w ? (int)strlen(s) : w; }

enum { O_MAPS, O_REGIONS, O_PATHS, O_COUNT };

int cmd_list(int argc, char **argv)
{
    cli_opt opts[O_COUNT] = {
        [O_MAPS] = {"--maps", NULL, "the whole-map kernels' section only", NULL, 0},
        [O_REGIONS] = {"--regions", NULL, "the region kernels' section only", NULL, 0},
        [O_PATHS] = {"--paths", NULL,
                     "under each kernel, its named paths: the passes each serves and when the "
                     "kernel takes it (docs/kernels.md#paths)", NULL, 0},
    };
    int st = cli_parse(
        argc, argv, opts, O_COUNT, "spp list [--maps] [--regions] [--paths]",
        "Every registered kernel, in two sections: the whole-map kernels (spp run) and the\n"
        "region kernels (spp run-regions), each a title line, a header and one line per\n"
        "kernel in registry order: name, layouts it takes, the instruction set it needs,\n"
        "whether it is threaded, whether this CPU can run it (SPP_MAX_ISA caps it), and its\n"
        "summary. Without flags both sections are listed, separated by an empty line;\n"
        "--maps or --regions lists only that section (both flags: both sections).");
    if (st != CLI_PARSED)
        return st == CLI_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    int show[2] = {1, 1};
    if (opts[O_MAPS].given || opts[O_REGIONS].given) {
        show[0] = opts[O_MAPS].given;
        show[1] = opts[O_REGIONS].given;
    }
    int wn = 4, wl = 7, wi = 3, wt = 8, wr = 8; /* header widths */
    for (int s = 0; s < 2; s++)
        for (int i = 0; show[s] && i < section_count(s); i++) {
            row r;
            section_row(s, i, &r);
            wn = width(wn, r.name);
            wl = width(wl, r.layouts);
            wi = width(wi, r.isa);
            wt = width(wt, r.threaded);
            wr = width(wr, r.runnable);
        }
    int first = 1;
    for (int s = 0; s < 2; s++) {
        if (!show[s])
            continue;
        printf("%s%s\n", first ? "" : "\n", TITLES[s]);
        first = 0;
        printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wn, "name", wl, "layouts", wi, "isa", wt,
               "threaded", wr, "runnable", "summary");
        for (int i = 0; i < section_count(s); i++) {
            row r;
            section_row(s, i, &r);
            printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wn, r.name, wl, r.layouts, wi, r.isa,
                   wt, r.threaded, wr, r.runnable, r.summary);
            int np = 0;
            const spp_path *pa = section_paths(s, i, &np);
            for (int j = 0; opts[O_PATHS].given && j < np; j++) {
                char ps[40];
                passes_str(pa[j].passes, ps, sizeof ps);
                printf("    path %-18s %-24s %s\n", pa[j].name, ps, pa[j].when);
            }
        }
    }
    return CLI_EXIT_OK;
}
