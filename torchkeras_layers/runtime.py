"""Process settings that make torch's CPU training loops fast; the tools (``python -m tuning``,
``python -m benchmarks``) apply them, a library import never does.

    import torchkeras_layers as tkl
    tkl.runtime.retain_freed_memory()   # once, at the start of a CPU training script

Why: torch's CPU allocator is the C library's ``malloc``. glibc serves a large block (an activation
or gradient of a few MiB) from a fresh ``mmap`` and returns it to the kernel on ``free``, or trims the
top of the heap, so every training step faults the same memory in again, page by page (the kernel
zeroes each 4 KiB page). TensorFlow keeps freed CPU memory in its own allocator; torch keeps it only
on CUDA. Measured on the seed's CIFAR CNN training step (batch 32, 2 threads, this project's 2-core
VM): 2378 page faults and 35 ms per step by default, 0 faults and 18 ms with this setting
(``docs/benchmarks.md``). The cost: memory freed by tensors stays with the process (RSS stays at its
peak), as with TensorFlow's and torch's CUDA caching allocators. Without glibc (macOS, Windows, musl)
nothing changes; jemalloc or tcmalloc through ``LD_PRELOAD`` are the alternatives there. The same
setting for a process about to start, any torch program: the environment ``MALLOC_ENV``
(``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=1073741824``).
"""

from __future__ import annotations

import ctypes
import ctypes.util

__all__ = ["retain_freed_memory", "MMAP_THRESHOLD", "TRIM_THRESHOLD", "MALLOC_ENV"]

# glibc's mallopt parameters (malloc.h) and the largest mmap threshold it accepts on 64-bit
# (HEAP_MAX_SIZE / 2): blocks up to 32 MiB come from the heap and are reused; larger ones still mmap.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 1024 ** 3  # trim the heap's top only past 1 GiB free (mallopt takes a C int)
# The same for a process about to start (glibc reads these at its first malloc).
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD), "MALLOC_TRIM_THRESHOLD_": str(TRIM_THRESHOLD)}


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 -- present only in glibc
        return libc
    except (OSError, AttributeError):
        return None


def retain_freed_memory() -> bool:
    """Keep memory that tensors free inside the process, so that the next step reuses it instead of
    faulting fresh pages in. Returns True where it took effect (glibc), False elsewhere. Idempotent;
    affects allocations from then on."""
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(libc.mallopt(_M_TRIM_THRESHOLD,
                                                                                       TRIM_THRESHOLD))
