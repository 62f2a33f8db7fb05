/* spp list: one line per registered kernel, enumerated from the registry. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct { char name[64], layouts[32], isa[16], threaded[8], runnable[40]; } row;

static void describe(const spp_kernel *k, row *r)
{
    snprintf(r->name, sizeof r->name, "%s", k->name);
    r->layouts[0] = 0;
    size_t o = 0;
    for (int l = SPP_LAYOUT_NCHW; l <= SPP_LAYOUT_NHWC; l++)
        if (spp_kernel_has_layout(k, (spp_layout)l))
            o += (size_t)snprintf(r->layouts + o, sizeof r->layouts - o, "%s%s", o ? "," : "",
                                  spp_layout_name((spp_layout)l));
    snprintf(r->isa, sizeof r->isa, "%s", spp_isa_name(k->isa));
    snprintf(r->threaded, sizeof r->threaded, "%s", k->threaded ? "yes" : "no");
    if (spp_cpu_supports(k->isa))
        snprintf(r->runnable, sizeof r->runnable, "yes");
    else
        snprintf(r->runnable, sizeof r->runnable, "no (needs %s)", spp_isa_name(k->isa));
}

static int width(int w, const char *s) { return (int)strlen(s) > w ? (int)strlen(s) : w; }

int cmd_list(int argc, char **argv)
{
    int st = cli_parse(argc, argv, NULL, 0, "spp list",
                       "One line per registered kernel: name, layouts it takes, the instruction "
                       "set it needs,\nwhether it is threaded, whether this CPU can run it, and "
                       "its summary.");
    if (st != CLI_PARSED)
        return st == CLI_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    const int n = spp_kernel_count();
    int wn = 4, wl = 7, wi = 3, wt = 8, wr = 8; /* header widths */
    for (int i = 0; i < n; i++) {
        row r;
        describe(spp_kernel_at(i), &r);
        wn = width(wn, r.name);
        wl = width(wl, r.layouts);
        wi = width(wi, r.isa);
        wt = width(wt, r.threaded);
        wr = width(wr, r.runnable);
    }
    printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wn, "name", wl, "layouts", wi, "isa", wt,
           "threaded", wr, "runnable", "summary");
    for (int i = 0; i < n; i++) {
        row r;
        const spp_kernel *k = spp_kernel_at(i);
        describe(k, &r);
        printf("%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wn, r.name, wl, r.layouts, wi, r.isa, wt,
               r.threaded, wr, r.runnable, k->summary ? k->summary : "");
    }
    return CLI_EXIT_OK;
}
