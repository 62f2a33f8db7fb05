// spp-bench-regions: region SPP benchmarks (Google Benchmark 1.7.1).
//
// Workloads come from configs/regions.ini (map shape, levels, pool, bins, R boxes from a
// documented seeded generator). Rows, all forward (pooling) only, timed with real time:
//   {kernel}/{workload}/t{T}        one region kernel from kernels/regions.inc; an iteration is
//                                   one run of a prepared region operation (spp_region_op_forward:
//                                   the boxes' check, the per-box plan, the kernel) with argmax
//                                   for max (what torchvision's roi_pool returns)
//   {kernel}/{workload}/t{T}/y_only the same with argmax = NULL (max workloads only): the
//                                   inference path (SPP-net detection at test time needs no
//                                   argmax); y is checked bitwise against roi__naive's first
//   bound_readonce/{workload}/t{T}  every box's cells read once: a 32-channel AVX2 max
//                                   reduction over each window (no argmax, one result per box
//                                   and channel), OpenMP over boxes
//   bound_readonce/{workload}/t{T}/avx512  the same reads with a 64-channel AVX-512 max (4 zmm;
//                                   CPUs with AVX-512 only): whether 16-lane loads read the
//                                   windows faster than 8-lane ones, i.e. what an AVX-512
//                                   region path could gain on the reads
//   bound_write/{workload}/t{T}     the kernel rows' output bytes (y, plus argmax for max)
//                                   written once with non-temporal stores (context for the
//                                   read-once bound, which writes almost nothing)
//   bound_write/{workload}/t{T}/y_only  the same for y alone (max workloads)
// Kernels that take nhwc run nhwc (the fast layout), others nchw; non-threaded kernels run at
// t1 only. Before timing, every kernel's y and argmax are compared with roi__naive's on the
// workload (bitwise for max); a mismatch turns its rows into errors.
// Counters: in_bytes = read-once bytes (sum of box areas x C x 4) per second; out_bytes = bytes
// written (y, plus argmax for max) per second (the bound does not write them); frac_bound =
// time of the read-once bound (measured at setup, same thread count) / time per iteration;
// boxes_hash = FNV-1a-32 of the boxes (x0,y0,x1,y1 int32 little-endian), so the Python peer
// can prove it used the same boxes; regions = R.
//
// Usage: spp-bench-regions [benchmark flags] [--config=FILE] [--workloads=a,b]
//                          [--threads=1,2] [--kernels=a,b] [--no-verify]
#include <benchmark/benchmark.h>
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gb_interleave.h"
#include "huge_pages_note.h"
#include "spp.h"

namespace {

// Maps and outputs start on a cache line, as framework tensors do (PyTorch aligns to 64 bytes):
// a 16-byte-aligned map puts each cell's channel chunk across one more line than it needs.
// spp_alloc also advises huge pages from 2 MiB up (src/alloc.c; context spp_huge_pages).
template <class T> struct Aligned64 {
    using value_type = T;
    Aligned64() = default;
    template <class U> Aligned64(const Aligned64<U> &) {}
    T *allocate(size_t n)
    {
        void *p = spp_alloc(n * sizeof(T));
        if (!p)
            throw std::bad_alloc();
        return static_cast<T *>(p);
    }
    void deallocate(T *p, size_t) { spp_free(p); }
    template <class U> bool operator==(const Aligned64<U> &) const { return true; }
    template <class U> bool operator!=(const Aligned64<U> &) const { return false; }
};
template <class T> using avec = std::vector<T, Aligned64<T>>;

struct Workload {
    std::string name;
    spp_region_problem p{};
    int64_t nboxes = 0;
    uint64_t seed = 0;
    bool relu = false; // fill = relu: values clamped at 0 (configs/regions.ini)
    std::vector<spp_box> boxes;
    avec<float> nchw, nhwc;
    double read_bytes = 0;
    uint32_t hash = 0;
};

[[noreturn]] void die(const std::string &msg)
{
    std::fprintf(stderr, "spp-bench-regions: %s\n", msg.c_str());
    std::exit(2);
}

struct SplitMix {
    uint64_t s;
    uint64_t next()
    {
        uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    double u() { return (double)(next() >> 11) * 0x1.0p-53; }
};

// The generator documented in configs/regions.ini.
std::vector<spp_box> make_boxes(int64_t H, int64_t W, int64_t R, uint64_t seed)
{
    SplitMix g{seed};
    std::vector<spp_box> out((size_t)R);
    for (auto &b : out) {
        int64_t bw = std::min<int64_t>(W, (int64_t)std::floor(std::pow((double)(W + 1), g.u())));
        int64_t bh = std::min<int64_t>(H, (int64_t)std::floor(std::pow((double)(H + 1), g.u())));
        int64_t x0 = (int64_t)std::floor(g.u() * (double)(W - bw + 1));
        int64_t y0 = (int64_t)std::floor(g.u() * (double)(H - bh + 1));
        b = spp_box{(int32_t)x0, (int32_t)y0, (int32_t)(x0 + bw), (int32_t)(y0 + bh)};
    }
    return out;
}

uint32_t fnv1a(const std::vector<spp_box> &boxes)
{
    uint32_t h = 2166136261u;
    for (const auto &b : boxes) {
        const int32_t v[4] = {b.x0, b.y0, b.x1, b.y1};
        for (int32_t x : v)
            for (int k = 0; k < 4; k++) {
                h ^= (uint32_t)((uint32_t)x >> (8 * k)) & 0xFFu;
                h *= 16777619u;
            }
    }
    return h;
}

std::string trim(const std::string &s)
{
    size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::vector<std::string> split(const std::string &s, char sep)
{
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, sep))
        if (!trim(item).empty())
            out.push_back(trim(item));
    return out;
}

long long to_int(const std::string &where, const std::string &v, long long lo, long long hi)
{
    char *end = nullptr;
    errno = 0;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end || errno || x < lo || x > hi)
        die(where + "=" + v + ": expected an integer in " + std::to_string(lo) + ".." +
            std::to_string(hi));
    return x;
}

std::vector<Workload> read_config(const std::string &path)
{
    std::ifstream in(path);
    if (!in)
        die("--config=" + path + ": cannot open");
    std::vector<std::pair<std::string, std::map<std::string, std::string>>> secs;
    std::string line;
    int ln = 0;
    while (std::getline(in, line)) {
        ln++;
        line = trim(line.substr(0, line.find(';')));
        if (line.empty())
            continue;
        if (line[0] == '[') {
            if (line.back() != ']')
                die(path + ":" + std::to_string(ln) + ": expected [section]");
            secs.push_back({line.substr(1, line.size() - 2), {}});
            continue;
        }
        size_t eq = line.find('=');
        if (eq == std::string::npos || secs.empty())
            die(path + ":" + std::to_string(ln) + ": expected key = value inside a section");
        secs.back().second[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
    }
    std::vector<Workload> out;
    for (auto &s : secs) {
        Workload w;
        w.name = s.first;
        auto get = [&](const char *k) {
            auto it = s.second.find(k);
            if (it == s.second.end())
                die(path + ": [" + w.name + "]: key " + k + " missing");
            return it->second;
        };
        const std::string where = path + ": [" + w.name + "] ";
        w.p.c = to_int(where + "channels", get("channels"), 1, 1 << 20);
        w.p.h = to_int(where + "height", get("height"), 1, 1 << 20);
        w.p.w = to_int(where + "width", get("width"), 1, 1 << 20);
        auto lv = split(get("levels"), ',');
        if (lv.empty() || lv.size() > SPP_MAX_LEVELS)
            die(where + "levels: expected 1.." + std::to_string(SPP_MAX_LEVELS) + " levels");
        w.p.nlevels = (int)lv.size();
        for (size_t i = 0; i < lv.size(); i++)
            w.p.levels[i] = (int)to_int(where + "levels", lv[i], 1, SPP_MAX_LEVEL);
        spp_error e;
        if (spp_pool_from_name(get("pool").c_str(), &w.p.pool, &e) ||
            spp_bins_from_name(get("bins").c_str(), &w.p.bins, &e))
            die(where + e.msg);
        w.nboxes = to_int(where + "boxes", get("boxes"), 1, 1 << 24);
        w.seed = (uint64_t)to_int(where + "seed", get("seed"), 0, INT64_MAX);
        const std::string fill = get("fill");
        if (fill != "uniform" && fill != "relu")
            die(where + "fill=" + fill + ": expected uniform or relu");
        w.relu = fill == "relu";
        out.push_back(w);
    }
    if (out.empty())
        die("--config=" + path + ": no workloads");
    return out;
}

void prepare(Workload &w)
{
    const int64_t C = w.p.c, H = w.p.h, W = w.p.w;
    w.boxes = make_boxes(H, W, w.nboxes, w.seed);
    w.hash = fnv1a(w.boxes);
    spp_error e;
    w.p.layout = SPP_LAYOUT_NCHW;
    if (spp_region_validate_boxes(&w.p, w.boxes.data(), w.nboxes, &e))
        die("workload " + w.name + ": " + e.msg);
    SplitMix g{w.seed * 7919 + 12345};
    w.nchw.resize((size_t)(C * H * W));
    w.nhwc.resize(w.nchw.size());
    for (auto &v : w.nchw) {
        v = (float)(2.0 * g.u() - 1.0);
        if (w.relu && !(v > 0.0f))
            v = 0.0f; // +0.0, as max(x, 0) gives
    }
    for (int64_t c = 0; c < C; c++)
        for (int64_t q = 0; q < H * W; q++)
            w.nhwc[(size_t)(q * C + c)] = w.nchw[(size_t)(c * H * W + q)];
    double cells = 0;
    for (auto &b : w.boxes)
        cells += (double)(b.x1 - b.x0) * (b.y1 - b.y0);
    w.read_bytes = cells * (double)C * 4.0;
}

// The read-once bound: each box's cells once, 32 channels in registers (NHWC). The AVX2 part
// is its own function (target attribute) called from the OpenMP loop, so the rest of the
// binary needs no AVX2 and clang's outlined OpenMP body does not have to inherit the target.
__attribute__((target("avx2,fma"))) void bound_box(const Workload &w, int64_t r, float *sink)
{
    const int64_t C = w.p.c, W = w.p.w;
    const float *x = w.nhwc.data();
    const spp_box b = w.boxes[(size_t)r];
    int64_t c0 = 0;
    for (; c0 + 32 <= C; c0 += 32) {
        __m256 a0 = _mm256_set1_ps(-INFINITY), a1 = a0, a2 = a0, a3 = a0;
        for (int64_t h = b.y0; h < b.y1; h++)
            for (int64_t q = h * W + b.x0; q < h * W + b.x1; q++) {
                const float *p = x + q * C + c0;
                a0 = _mm256_max_ps(a0, _mm256_loadu_ps(p));
                a1 = _mm256_max_ps(a1, _mm256_loadu_ps(p + 8));
                a2 = _mm256_max_ps(a2, _mm256_loadu_ps(p + 16));
                a3 = _mm256_max_ps(a3, _mm256_loadu_ps(p + 24));
            }
        float *o = sink + r * C + c0;
        _mm256_storeu_ps(o, a0);
        _mm256_storeu_ps(o + 8, a1);
        _mm256_storeu_ps(o + 16, a2);
        _mm256_storeu_ps(o + 24, a3);
    }
    for (; c0 < C; c0++) {
        float m = -INFINITY;
        for (int64_t h = b.y0; h < b.y1; h++)
            for (int64_t q = h * W + b.x0; q < h * W + b.x1; q++)
                m = std::max(m, x[q * C + c0]);
        sink[r * C + c0] = m;
    }
}

// _mm512_max_ps passes _mm512_undefined_ps() as its merge source, which g++ 12 reports as
// maybe-uninitialized; the all-ones masked form is the same vmaxps without it.
__attribute__((target("avx512f"))) static inline __m512 max16(__m512 a, __m512 b)
{
    return _mm512_mask_max_ps(a, (__mmask16)0xFFFF, a, b);
}

// The same reads 64 channels at a time in 4 zmm (the channel tail as in bound_box).
__attribute__((target("avx512f"))) void bound_box512(const Workload &w, int64_t r, float *sink)
{
    const int64_t C = w.p.c, W = w.p.w;
    const float *x = w.nhwc.data();
    const spp_box b = w.boxes[(size_t)r];
    int64_t c0 = 0;
    for (; c0 + 64 <= C; c0 += 64) {
        __m512 a0 = _mm512_set1_ps(-INFINITY), a1 = a0, a2 = a0, a3 = a0;
        for (int64_t h = b.y0; h < b.y1; h++)
            for (int64_t q = h * W + b.x0; q < h * W + b.x1; q++) {
                const float *p = x + q * C + c0;
                a0 = max16(a0, _mm512_loadu_ps(p));
                a1 = max16(a1, _mm512_loadu_ps(p + 16));
                a2 = max16(a2, _mm512_loadu_ps(p + 32));
                a3 = max16(a3, _mm512_loadu_ps(p + 48));
            }
        float *o = sink + r * C + c0;
        _mm512_storeu_ps(o, a0);
        _mm512_storeu_ps(o + 16, a1);
        _mm512_storeu_ps(o + 32, a2);
        _mm512_storeu_ps(o + 48, a3);
    }
    for (; c0 < C; c0++) {
        float m = -INFINITY;
        for (int64_t h = b.y0; h < b.y1; h++)
            for (int64_t q = h * W + b.x0; q < h * W + b.x1; q++)
                m = std::max(m, x[q * C + c0]);
        sink[r * C + c0] = m;
    }
}

void bound_readonce(const Workload &w, float *sink, int threads, bool wide = false)
{
#pragma omp parallel for num_threads(threads) schedule(dynamic, 4)
    for (int64_t r = 0; r < w.nboxes; r++) {
        if (wide)
            bound_box512(w, r, sink);
        else
            bound_box(w, r, sink);
    }
}

// The write-once bound: the output bytes (y, and argmax for max) written once with
// non-temporal stores, OpenMP over contiguous slices. n is a multiple of 8 floats per slice.
__attribute__((target("avx2,fma"))) void write_slice(float *p, int64_t n, float v)
{
    const __m256 x = _mm256_set1_ps(v);
    int64_t i = 0;
    for (; i < n && ((uintptr_t)(p + i) & 31); i++)
        p[i] = v;
    for (; i + 8 <= n; i += 8)
        _mm256_stream_ps(p + i, x);
    for (; i < n; i++)
        p[i] = v;
    _mm_sfence();
}

void bound_write(float *p, int64_t n, int threads, float v)
{
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        const int64_t a = n * t / nt, b = n * (t + 1) / nt;
        write_slice(p + a, b - a, v);
    }
}

// Median of a few timed runs of the bound (setup-time figure for frac_bound).
double bound_seconds(const Workload &w, int threads)
{
    std::vector<float> sink((size_t)(w.nboxes * w.p.c));
    std::vector<double> t;
    bound_readonce(w, sink.data(), threads);   // warm-up
    for (int i = 0; i < 9; i++) {
        auto t0 = std::chrono::steady_clock::now();
        bound_readonce(w, sink.data(), threads);
        t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

spp_layout layout_for(const spp_region_kernel *k)
{
    return spp_region_kernel_has_layout(k, SPP_LAYOUT_NHWC) ? SPP_LAYOUT_NHWC : SPP_LAYOUT_NCHW;
}

struct Run {
    std::vector<float> y;
    std::vector<int32_t> am;
};

// One checked forward through the library's entry point (for verification).
std::string run_checked(const spp_region_kernel *k, const Workload &w, int threads, Run &out,
                        bool want_argmax = true)
{
    spp_region_problem p = w.p;
    p.layout = layout_for(k);
    const size_t n = (size_t)spp_region_output_elems(&p, w.nboxes);
    out.y.assign(n, 0.f);
    out.am.assign(n, 0);
    spp_error e;
    const float *x = p.layout == SPP_LAYOUT_NHWC ? w.nhwc.data() : w.nchw.data();
    if (spp_region_forward(k, &p, w.boxes.data(), w.nboxes, x, out.y.data(),
                           p.pool == SPP_POOL_MAX && want_argmax ? out.am.data() : nullptr,
                           threads, &e))
        return e.msg;
    return "";
}

std::string verify(const spp_region_kernel *k, const Workload &w, const Run &ref, int threads,
                   bool want_argmax = true)
{
    Run got;
    std::string err = run_checked(k, w, threads, got, want_argmax);
    if (!err.empty())
        return err;
    for (size_t i = 0; i < got.y.size(); i++) {
        const bool bad = w.p.pool == SPP_POOL_MAX
                             ? (std::memcmp(&got.y[i], &ref.y[i], 4) ||
                                (want_argmax && got.am[i] != ref.am[i]))
                             : std::fabs(got.y[i] - ref.y[i]) > 1e-5f * (1 + std::fabs(ref.y[i]));
        if (bad) {
            char msg[200];
            std::snprintf(msg, sizeof msg, "output %zu differs from roi__naive: %g/%d vs %g/%d",
                          i, got.y[i], got.am[i], ref.y[i], ref.am[i]);
            return msg;
        }
    }
    return "";
}

void bm_kernel(benchmark::State &st, const spp_region_kernel *k, const Workload *w, int threads,
               double tbound, std::string error, bool want_argmax)
{
    if (!error.empty()) {
        st.SkipWithError(error.c_str());
        return;
    }
    spp_region_problem p = w->p;
    p.layout = layout_for(k);
    const float *x = p.layout == SPP_LAYOUT_NHWC ? w->nhwc.data() : w->nchw.data();
    const size_t n = (size_t)spp_region_output_elems(&p, w->nboxes);
    avec<float> y(n);
    avec<int32_t> am(p.pool == SPP_POOL_MAX && want_argmax ? n : 0);
    spp_error e;
    spp_region_op *op = nullptr;
    int32_t *amp = am.empty() ? nullptr : am.data();
    // the prepared operation, created once; each iteration is one run with the image's boxes
    // (their check, the per-box plan, the kernel): what a detector linking libspp calls
    if (spp_region_op_create(&op, k, &p, threads, &e) ||
        spp_region_op_forward(op, w->boxes.data(), w->nboxes, x, y.data(), amp, &e)) {
        spp_region_op_destroy(op);
        st.SkipWithError(e.msg);
        return;
    }
    for (auto _ : st) {
        if (spp_region_op_forward(op, w->boxes.data(), w->nboxes, x, y.data(), amp, &e)) {
            st.SkipWithError(e.msg);
            break;
        }
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    // the path the runs took (docs/kernels.md#paths; it may depend on the boxes)
    const char *path = spp_region_op_path(op, p.pool == SPP_POOL_MAX && !amp ? SPP_PASS_INFER
                                                                             : SPP_PASS_FORWARD);
    st.SetLabel(std::string("path: fwd=") + (path ? path : "?"));
    spp_region_op_destroy(op);
    st.counters["in_bytes"] =
        benchmark::Counter(w->read_bytes, benchmark::Counter::kIsIterationInvariantRate);
    st.counters["frac_bound"] =
        benchmark::Counter(tbound * (double)st.iterations(), benchmark::Counter::kIsRate);
    st.counters["out_bytes"] = benchmark::Counter(
        (double)n * (am.empty() ? 4.0 : 8.0), benchmark::Counter::kIsIterationInvariantRate);
    st.counters["boxes_hash"] = (double)w->hash;
    st.counters["regions"] = (double)w->nboxes;
}

void bm_bound(benchmark::State &st, const Workload *w, int threads, bool wide)
{
    if (!spp_cpu_supports(wide ? SPP_ISA_AVX512 : SPP_ISA_AVX2)) {
        st.SkipWithError(wide ? "bound_readonce/avx512 needs avx512, which this CPU lacks"
                              : "bound_readonce needs avx2, which this CPU lacks");
        return;
    }
    std::vector<float> sink((size_t)(w->nboxes * w->p.c));
    for (auto _ : st) {
        bound_readonce(*w, sink.data(), threads, wide);
        benchmark::DoNotOptimize(sink.data());
        benchmark::ClobberMemory();
    }
    st.counters["in_bytes"] =
        benchmark::Counter(w->read_bytes, benchmark::Counter::kIsIterationInvariantRate);
    st.counters["frac_bound"] = 1.0;
    st.counters["boxes_hash"] = (double)w->hash;
    st.counters["regions"] = (double)w->nboxes;
}

// Google Benchmark 1.7.1 appends "/real_time" to UseRealTime() rows; this reporter removes it
// so rows keep the `{kernel}/{workload}/t{threads}` contract (as harness/bench.cc does).
class NameFixer : public benchmark::BenchmarkReporter {
public:
    NameFixer(benchmark::BenchmarkReporter *inner, bool display) : inner_(inner), display_(display) {}
    bool ReportContext(const Context &ctx) override
    {
        inner_->SetOutputStream(&GetOutputStream());
        inner_->SetErrorStream(&GetErrorStream());
        return inner_->ReportContext(ctx);
    }
    void ReportRuns(const std::vector<Run> &runs) override
    {
        std::vector<Run> fixed(runs);
        for (Run &r : fixed) {
            r.run_name.time_type.clear();
            auto fb = r.counters.find("frac_bound"); // a ratio: no "/s" on the console
            if (display_ && fb != r.counters.end())
                fb->second.flags =
                    benchmark::Counter::Flags(fb->second.flags & ~benchmark::Counter::kIsRate);
        }
        inner_->ReportRuns(fixed);
    }
    void Finalize() override { inner_->Finalize(); }

private:
    benchmark::BenchmarkReporter *inner_;
    bool display_;
};

void bm_write(benchmark::State &st, const Workload *w, int threads, bool y_only)
{
    if (!spp_cpu_supports(SPP_ISA_AVX2)) {
        st.SkipWithError("bound_write needs avx2, which this CPU lacks");
        return;
    }
    // y plus argmax for max: the bytes every kernel row writes (y alone for y_only rows)
    const int64_t n = spp_region_output_elems(&w->p, w->nboxes) *
                      (w->p.pool == SPP_POOL_MAX && !y_only ? 2 : 1);
    float *buf = static_cast<float *>(spp_alloc((size_t)n * 4));
    if (!buf) {
        st.SkipWithError("bound_write: out of memory");
        return;
    }
    bound_write(buf, n, threads, 0.f); // first touch outside the timing
    float v = 1.f;
    for (auto _ : st) {
        bound_write(buf, n, threads, v);
        v += 1.f;
        benchmark::DoNotOptimize(buf);
        benchmark::ClobberMemory();
    }
    spp_free(buf);
    st.counters["out_bytes"] =
        benchmark::Counter((double)n * 4.0, benchmark::Counter::kIsIterationInvariantRate);
    st.counters["boxes_hash"] = (double)w->hash;
    st.counters["regions"] = (double)w->nboxes;
}

bool take_flag(const char *arg, const char *name, std::string &val)
{
    const size_t n = std::strlen(name);
    if (std::strncmp(arg, name, n) == 0 && arg[n] == '=') {
        val = arg + n + 1;
        return true;
    }
    return false;
}

} // namespace

int main(int argc, char **argv)
{
    std::vector<char *> av = argv_with_random_interleaving(argc, argv);
    argc = (int)av.size() - 1;
    argv = av.data();
    std::string out_path, out_fmt, fmt;
    for (int i = 1; i < argc; i++)
        if (!take_flag(argv[i], "--benchmark_out", out_path) &&
            !take_flag(argv[i], "--benchmark_out_format", out_fmt))
            take_flag(argv[i], "--benchmark_format", fmt);
    if (!out_fmt.empty() && out_fmt != "json")
        die("--benchmark_out_format=" + out_fmt + ": only json is supported here");
    if (!fmt.empty() && fmt != "console")
        die("--benchmark_format=" + fmt + ": only console is supported here (use --benchmark_out)");
    benchmark::Initialize(&argc, argv);
    std::string config = "configs/regions.ini", only, threads_s = "1,2", kern_s;
    bool do_verify = true;
    for (int i = 1; i < argc; i++) {
        if (take_flag(argv[i], "--config", config) || take_flag(argv[i], "--workloads", only) ||
            take_flag(argv[i], "--threads", threads_s) || take_flag(argv[i], "--kernels", kern_s))
            continue;
        if (std::strcmp(argv[i], "--no-verify") == 0) {
            do_verify = false;
            continue;
        }
        die(std::string(argv[i]) + ": unknown flag (see the usage at the top of "
                                   "harness/bench_regions.cc)");
    }
    std::vector<int> threads;
    for (auto &t : split(threads_s, ','))
        threads.push_back((int)to_int("--threads", t, 1, 1024));
    if (threads.empty())
        die("--threads=" + threads_s + ": expected a list such as 1,2");
    std::vector<Workload> all = read_config(config);
    static std::vector<Workload> ws; // lives until the benchmarks ran
    auto wanted = split(only, ',');
    for (auto &w : all)
        if (wanted.empty() || std::find(wanted.begin(), wanted.end(), w.name) != wanted.end())
            ws.push_back(w);
    for (auto &n : wanted)
        if (std::none_of(all.begin(), all.end(), [&](const Workload &w) { return w.name == n; }))
            die("--workloads: " + n + ": not a workload of " + config);
    std::vector<const spp_region_kernel *> ks;
    auto kw = split(kern_s, ',');
    for (int i = 0; i < spp_region_kernel_count(); i++) {
        const spp_region_kernel *k = spp_region_kernel_at(i);
        if (kw.empty() || std::find(kw.begin(), kw.end(), k->name) != kw.end())
            ks.push_back(k);
    }
    for (auto &n : kw)
        if (!spp_region_kernel_find(n.c_str()))
            die("--kernels: " + n + ": not a registered region kernel");

    for (auto &w : ws) {
        prepare(w);
        Run ref;
        std::string ref_err;
        if (do_verify) {
            ref_err = run_checked(spp_region_kernel_find("roi__naive"), w, 1, ref);
            if (!ref_err.empty())
                die("workload " + w.name + ": roi__naive: " + ref_err);
        }
        for (int t : threads) {
            const double tb = spp_cpu_supports(SPP_ISA_AVX2) ? bound_seconds(w, t) : 0.0;
            std::string nm = "bound_readonce/" + w.name + "/t" + std::to_string(t);
            benchmark::RegisterBenchmark(nm.c_str(), bm_bound, &w, t, false)->UseRealTime()->Unit(
                benchmark::kMillisecond);
            if (spp_cpu_supports(SPP_ISA_AVX512))
                benchmark::RegisterBenchmark((nm + "/avx512").c_str(), bm_bound, &w, t, true)
                    ->UseRealTime()
                    ->Unit(benchmark::kMillisecond);
            nm = "bound_write/" + w.name + "/t" + std::to_string(t);
            benchmark::RegisterBenchmark(nm.c_str(), bm_write, &w, t, false)->UseRealTime()->Unit(
                benchmark::kMillisecond);
            const bool is_max = w.p.pool == SPP_POOL_MAX;
            if (is_max)
                benchmark::RegisterBenchmark((nm + "/y_only").c_str(), bm_write, &w, t, true)
                    ->UseRealTime()
                    ->Unit(benchmark::kMillisecond);
            for (auto *k : ks) {
                if (!k->threaded && t != threads.front())
                    continue;
                std::string err;
                if (const char *why = spp_isa_unavailable(k->isa))
                    err = std::string("SKIP: ") + why;
                else if (do_verify && std::strcmp(k->name, "roi__naive") != 0)
                    err = verify(k, w, ref, t);
                nm = std::string(k->name) + "/" + w.name + "/t" + std::to_string(t);
                benchmark::RegisterBenchmark(nm.c_str(), bm_kernel, k, &w, t, tb, err, true)
                    ->UseRealTime()
                    ->Unit(benchmark::kMillisecond);
                if (!is_max)
                    continue;
                std::string yerr = err;
                if (yerr.empty() && do_verify)
                    yerr = verify(k, w, ref, t, false);
                benchmark::RegisterBenchmark((nm + "/y_only").c_str(), bm_kernel, k, &w, t, tb,
                                             yerr, false)
                    ->UseRealTime()
                    ->Unit(benchmark::kMillisecond);
            }
        }
    }
    benchmark::AddCustomContext("region_config", config);
    benchmark::AddCustomContext("region_threads", threads_s);
    benchmark::AddCustomContext("spp_random_interleaving", random_interleaving_note());
    benchmark::AddCustomContext("spp_huge_pages", huge_pages_note());
    for (auto &w : ws) {
        char h[16];
        std::snprintf(h, sizeof h, "%08x", w.hash);
        benchmark::AddCustomContext("boxes_hash/" + w.name, h);
    }
    std::unique_ptr<benchmark::BenchmarkReporter> file_inner, file_rep;
    if (!out_path.empty()) {
        file_inner.reset(new benchmark::JSONReporter);
        file_rep.reset(new NameFixer(file_inner.get(), false));
    }
    // CreateDefaultDisplayReporter() returns a reporter the library owns: not deleted here
    NameFixer display(benchmark::CreateDefaultDisplayReporter(), true);
    benchmark::RunSpecifiedBenchmarks(&display, file_rep.get());
    benchmark::Shutdown();
    return 0;
}
