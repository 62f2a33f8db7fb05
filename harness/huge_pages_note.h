// The context note for spp_alloc's huge-page advice (src/alloc.c), with the system's THP mode.
#ifndef SPP_HUGE_PAGES_NOTE_H
#define SPP_HUGE_PAGES_NOTE_H

#include <fstream>
#include <string>

#include "spp.h"

inline std::string huge_pages_note()
{
    std::string mode = "unknown";
    std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
    std::getline(f, mode);
    if (mode.empty())
        mode = "not available";
    return std::string(spp_huge_pages()
                           ? "advised: buffers of 2 MiB or more are 2 MiB aligned with "
                             "MADV_HUGEPAGE (SPP_HUGE_PAGES=0 turns it off)"
                           : "off (SPP_HUGE_PAGES=0): no advice") +
           "; THP mode " + mode;
}

#endif
