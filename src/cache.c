/* The last-level cache size the kernels' streaming-store choices compare a dx with: a max
 * backward zeroes dx with streaming stores only when dx cannot stay in this cache (as glibc's
 * memset, whose non-temporal threshold also follows the shared cache size). With plain stores
 * a dx that fits is written into the cache and read back there by the scatter; streamed, every
 * line goes to memory and the scatter's lines come back from it.
 * SPP_LLC_BYTES (a decimal byte count) replaces the OS's figure, read on every call so a test
 * can take both sides of the choice on one machine; any other value is ignored. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "spp.h"

static int64_t os_llc_bytes(void)
{
    static int64_t v = -1; /* benign race: every thread computes the same value */
    if (v < 0) {
        long s = -1;
#ifdef _SC_LEVEL3_CACHE_SIZE
        s = sysconf(_SC_LEVEL3_CACHE_SIZE);
#endif
        v = s > 0 ? (int64_t)s : 0;
    }
    return v;
}

int64_t spp_llc_bytes(void)
{
    const char *e = getenv("SPP_LLC_BYTES");
    if (e && *e) {
        char *end;
        errno = 0;
        const long long v = strtoll(e, &end, 10);
        if (!*end && errno == 0 && v >= 0)
            return (int64_t)v;
    }
    return os_llc_bytes();
}
