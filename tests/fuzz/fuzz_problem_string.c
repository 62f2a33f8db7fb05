/* libFuzzer target: the problem string and validation.
 * - spp_problem_parse on arbitrary bytes never crashes; when it succeeds, spp_problem_format
 *   gives back exactly the input (only the canonical spelling parses), and validation, the plan
 *   and the element counts never crash; a valid problem's plan has non-empty bins inside the
 *   axis and output offsets C * sum n^2;
 * - a failed parse leaves a non-empty message;
 * - the same bytes reinterpreted as a raw spp_problem struct (any enum values, sizes, levels)
 *   go through spp_problem_validate and, if accepted, spp_plan_init without crashing;
 * - spp_axis_bins (public) on any (A, n, convention): either an error with a message, or n
 *   non-empty bins inside [0, A) with divisors >= their lengths.
 * Build and run: make fuzz (mk/check.mk). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spp.h"

static void fail(const char *what, const char *s)
{
    fprintf(stderr, "fuzz_problem_string: %s: '%s'\n", what, s);
    abort();
}

static void check_valid(const spp_problem *p, const char *s)
{
    spp_error err;
    spp_plan pl;
    if (spp_problem_validate(p, &err) != SPP_OK) {
        if (!err.msg[0])
            fail("validation failed without a message", s);
        return;
    }
    if (spp_plan_init(&pl, p, &err) != SPP_OK)
        fail("valid problem but spp_plan_init failed", s);
    int64_t off = 0;
    for (int l = 0; l < p->nlevels; l++) {
        const spp_level_plan *lv = &pl.lv[l];
        if (lv->n != p->levels[l] || lv->out_offset != off * p->c)
            fail("plan level or output offset wrong", s);
        off += (int64_t)lv->n * lv->n;
        for (int i = 0; i < lv->n; i++) {
            const spp_interval r = lv->rows[i], c = lv->cols[i];
            if (r.start < 0 || r.start >= r.end || r.end > p->h || r.div < r.end - r.start ||
                c.start < 0 || c.start >= c.end || c.end > p->w || c.div < c.end - c.start)
                fail("plan has an empty or out-of-range bin", s);
        }
    }
    if (pl.out_per_sample != off * p->c || spp_output_elems(p) != p->n * off * p->c ||
        spp_input_elems(p) != p->n * p->c * p->h * p->w)
        fail("element counts wrong", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    spp_problem p;
    spp_error err;
    err.msg[0] = 0;
    if (spp_problem_parse(s, &p, &err) == SPP_OK) {
        char buf[512];
        const int n = spp_problem_format(&p, buf, sizeof buf);
        if (n < 0 || (size_t)n >= sizeof buf || strcmp(buf, s) != 0)
            fail("format(parse(s)) != s", s);
        /* a short buffer truncates but reports the full length */
        char small[8];
        if (spp_problem_format(&p, small, sizeof small) != n || strlen(small) != 7)
            fail("format into a short buffer", s);
        check_valid(&p, s);
    } else if (!err.msg[0] || !memchr(err.msg, 0, sizeof err.msg))
        fail("parse failed without a message", s);
    free(s);

    if (size >= 10) {
        int64_t A;
        memcpy(&A, data, 8);
        const int n = (int8_t)data[8];
        spp_interval iv[SPP_MAX_LEVEL];
        err.msg[0] = 0;
        if (spp_axis_bins(A, n, (spp_bins)(data[9] % 4), "A", iv, &err) == SPP_OK) {
            for (int i = 0; i < n; i++)
                if (iv[i].start < 0 || iv[i].start >= iv[i].end || iv[i].end > A ||
                    iv[i].div < iv[i].end - iv[i].start)
                    fail("spp_axis_bins accepted (A, n) but gave a bad bin", "(axis)");
        } else if (!err.msg[0])
            fail("spp_axis_bins failed without a message", "(axis)");
    }
    if (size >= sizeof(spp_problem)) {
        spp_problem raw;
        memcpy(&raw, data, sizeof raw);
        check_valid(&raw, "(raw struct)");
    }
    return 0;
}
