// Random interleaving of repetitions, on by default in spp-bench and spp-bench-regions.
//
// This machine is a shared VM whose speed moves in bursts of a fraction of a second to a few
// seconds. Run in order, all repetitions of one row fall in the same burst, and the median over
// repetitions cannot filter it out. Google Benchmark's --benchmark_enable_random_interleaving
// runs repetition r of every row of the call in random order, so a burst hits one repetition
// of several rows instead. The user's own flag (or Google Benchmark's environment variable
// BENCHMARK_ENABLE_RANDOM_INTERLEAVING) still decides; the context records the effective value.
#ifndef SPP_GB_INTERLEAVE_H
#define SPP_GB_INTERLEAVE_H

#include <cstdlib>
#include <cstring>
#include <vector>

namespace benchmark {
// Defined in libbenchmark 1.7.1 (BM_DEFINE_bool in benchmark.cc), exported but not declared in
// its public header; read after Initialize(), it is the value the runner uses.
extern bool FLAGS_benchmark_enable_random_interleaving;
} // namespace benchmark

// argv with --benchmark_enable_random_interleaving=true added after argv[0] when neither the
// flag nor its environment variable is given. The returned vector owns nothing: it points into
// argv and a static string, and ends with the NULL argv[argc] that Initialize() expects.
inline std::vector<char *> argv_with_random_interleaving(int argc, char **argv)
{
    static char flag[] = "--benchmark_enable_random_interleaving=true";
    const char *name = "--benchmark_enable_random_interleaving";
    bool given = std::getenv("BENCHMARK_ENABLE_RANDOM_INTERLEAVING") != nullptr;
    for (int i = 1; i < argc && !given; i++)
        given = std::strncmp(argv[i], name, std::strlen(name)) == 0;
    std::vector<char *> v(argv, argv + argc);
    if (!given)
        v.insert(v.begin() + (argc > 0 ? 1 : 0), flag);
    v.push_back(nullptr);
    return v;
}

// The context note for the effective setting.
inline const char *random_interleaving_note()
{
    return benchmark::FLAGS_benchmark_enable_random_interleaving
               ? "on: repetition r of every row of this call runs in random order "
                 "(--benchmark_enable_random_interleaving), so the median over repetitions "
                 "spans the call's duration"
               : "off: each row's repetitions run back to back";
}

#endif
