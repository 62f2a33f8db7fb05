"""spp_alloc (src/alloc.c): 64-byte aligned buffers; from 2 MiB up, 2 MiB aligned and advised
for transparent huge pages unless SPP_HUGE_PAGES=0. The advice is checked where the kernel
records it: the 'hg' flag of the mapping in /proc/self/smaps."""
import ctypes as ct
import os

import numpy as np
import pytest

from spp_lib import lib_path, spp_empty

MIB = 1 << 20
THP = os.path.exists("/sys/kernel/mm/transparent_hugepage/enabled")


@pytest.fixture(scope="module")
def lib():
    lib = ct.CDLL(os.path.abspath(lib_path()))
    lib.spp_alloc.restype, lib.spp_alloc.argtypes = ct.c_void_p, [ct.c_size_t]
    lib.spp_free.restype, lib.spp_free.argtypes = None, [ct.c_void_p]
    lib.spp_huge_pages.restype, lib.spp_huge_pages.argtypes = ct.c_int, []
    return lib


def vm_flags(addr):
    """The VmFlags of the mapping holding addr."""
    inside = False
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()[0]
            if "-" in head and not head.endswith(":"):
                lo, hi = (int(v, 16) for v in head.split("-"))
                inside = lo <= addr < hi
            elif inside and line.startswith("VmFlags:"):
                return line.split()[1:]
    raise AssertionError(f"no mapping holds {addr:#x}")


@pytest.mark.parametrize("size", [0, 1, 100, 4096, 2 * MIB - 1])
def test_small_buffers_are_64_byte_aligned(lib, monkeypatch, size):
    monkeypatch.delenv("SPP_HUGE_PAGES", raising=False)
    p = lib.spp_alloc(size)
    assert p and p % 64 == 0
    ct.memset(p, 1, max(size, 1))  # the whole request is writable
    lib.spp_free(p)


@pytest.mark.parametrize("size", [2 * MIB, 3 * MIB + 5, 9 * MIB])
def test_large_buffers_are_advised_huge_pages(lib, monkeypatch, size):
    monkeypatch.delenv("SPP_HUGE_PAGES", raising=False)
    assert lib.spp_huge_pages() == 1
    p = lib.spp_alloc(size)
    assert p and p % (2 * MIB) == 0
    ct.memset(p, 1, size)
    if THP:
        assert "hg" in vm_flags(p), "MADV_HUGEPAGE not recorded on the mapping"
    lib.spp_free(p)


def test_spp_huge_pages_0_turns_the_advice_off(lib, monkeypatch):
    monkeypatch.setenv("SPP_HUGE_PAGES", "0")
    assert lib.spp_huge_pages() == 0
    p = lib.spp_alloc(9 * MIB)
    assert p and p % 64 == 0
    ct.memset(p, 1, 9 * MIB)
    assert "hg" not in vm_flags(p)
    lib.spp_free(p)


def test_impossible_size_is_null(lib):
    assert not lib.spp_alloc(ct.c_size_t(-1).value)
    assert not lib.spp_alloc(ct.c_size_t(-1).value - MIB)


@pytest.mark.parametrize("shape,dtype", [((3,), np.float32), ((4, 300, 2048), np.float32),
                                         ((2, 5, 7), np.int32)])
def test_spp_empty_arrays_live_in_spp_alloc_memory(monkeypatch, shape, dtype):
    """spp_lib.spp_empty (the timing scripts' buffers): the shape and dtype asked for, writable,
    64-byte aligned, and from 2 MiB up 2 MiB aligned with the huge-page advice, as spp-bench's."""
    monkeypatch.delenv("SPP_HUGE_PAGES", raising=False)
    a = spp_empty(shape, dtype)
    assert a.shape == shape and a.dtype == np.dtype(dtype) and a.flags.c_contiguous
    a[...] = 7
    assert (a == 7).all()
    addr = a.ctypes.data
    assert addr % 64 == 0
    if a.nbytes >= 2 * MIB:
        assert addr % (2 * MIB) == 0
        if THP:
            assert "hg" in vm_flags(addr)
