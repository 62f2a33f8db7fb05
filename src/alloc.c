/* Buffers for maps, outputs and workspaces (spp_alloc): 64-byte aligned, and from 2 MiB up,
 * 2 MiB aligned and advised for transparent huge pages.
 *
 * Why: a region call touches the map, the kernel's max tables and a 100 MB output stream at
 * once, about 8 MB of pages plus the stream: more than a 2,048-entry second-level data TLB
 * covers with 4 KB pages, so with 4 KB pages the call spends time on TLB misses. Both the map
 * and workspace and the output gain from the advice, so every buffer of 2 MiB or more gets it
 * (docs/perf-log.md has the measurements). Where THP is "never" (or the kernel lacks it) the
 * advice is a no-op; where it is "always" the pages are huge anyway. SPP_HUGE_PAGES=0 turns it
 * off.
 * spp_alloc_workspace (internal): the same from 2 MiB up, else 4 KiB aligned, so that the
 * per-thread parts the kernels place on pages of their own (spp_page_round) really are. */
#define _DEFAULT_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "spp_internal.h"

#define SPP_HUGE ((size_t)2 << 20)

int spp_huge_pages(void)
{
    const char *e = getenv("SPP_HUGE_PAGES");
    return !(e && strcmp(e, "0") == 0);
}

/* bytes (0 counts as 1) aligned to align (a power of two, at most SPP_HUGE); from 2 MiB up,
 * 2 MiB aligned and advised for huge pages */
static void *alloc_aligned(size_t bytes, size_t align)
{
    if (bytes == 0)
        bytes = 1;
    if (bytes < SPP_HUGE || !spp_huge_pages())
        return aligned_alloc(align, (bytes + align - 1) / align * align);
    if (bytes > SIZE_MAX - SPP_HUGE)
        return NULL;
    const size_t n = (bytes + SPP_HUGE - 1) / SPP_HUGE * SPP_HUGE;
    void *p = aligned_alloc(SPP_HUGE, n);
    if (p)
        (void)madvise(p, n, MADV_HUGEPAGE); /* advice only: EINVAL without THP is fine */
    return p;
}

void *spp_alloc(size_t bytes) { return alloc_aligned(bytes, 64); }

void *spp_alloc_workspace(size_t bytes) { return alloc_aligned(bytes, SPP_PAGE_BYTES); }

void spp_free(void *p) { free(p); }
