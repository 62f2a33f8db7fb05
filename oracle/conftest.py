"""pytest set-up for the oracle suite: import path, a fixed hypothesis profile, and a report
header naming the library under test and its registry."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "tests"))
# Many tiny OpenMP calls on a shared 2-core machine: do not let idle threads spin.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from hypothesis import HealthCheck, settings  # noqa: E402

# Deterministic and bounded: the same examples on every run, no example database on disk.
settings.register_profile(
    "sppbench", derandomize=True, max_examples=80, deadline=None, database=None,
    print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("SPP_HYPOTHESIS_PROFILE", "sppbench"))


def pytest_report_header(config):
    import spp_lib
    lines = [f"libspp: {os.path.abspath(spp_lib.lib_path())}"]
    ks = spp_lib.kernels()
    lines.append("kernels: " + ", ".join(
        f"{k.name}[{'/'.join(k.layouts)} {k.isa}{' threaded' if k.threaded else ''}]"
        for k in ks))
    skipped = [f"{k.name} (needs {k.isa})" for k in ks if not k.runnable]
    lines.append("skipped for ISA: " + (", ".join(skipped) if skipped else "none"))
    s = settings.default
    lines.append(f"hypothesis profile: {settings._current_profile} max_examples={s.max_examples} "
                 f"derandomize={s.derandomize} deadline={s.deadline}")
    return lines
