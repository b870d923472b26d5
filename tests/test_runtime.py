"""`tkl.runtime.retain_freed_memory`: freed tensor memory is reused instead of faulted in again."""

import os
import platform
import subprocess
import sys

import pytest

# A training step's pattern: many blocks of a few MiB allocated, then freed together. With glibc's
# documented defaults (128 KiB mmap and trim thresholds, given explicitly: glibc otherwise adapts them
# at run time, depending on the address layout) every block is a fresh mmap, so each step faults its
# 16 MiB in again. Prints the minor page faults per step after warm-up.
GLIBC_DEFAULTS = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072"}
STEPS = r"""
import resource, sys, torch
import torchkeras_layers as tkl
if sys.argv[1] == "retain":
    assert tkl.runtime.retain_freed_memory()
def step():
    blocks = [torch.ones(262_144) for _ in range(16)]  # 16 blocks of 1 MiB
    return sum(b[0] for b in blocks)
for _ in range(5):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


def _faults_per_step(mode: str) -> float:
    out = subprocess.run([sys.executable, "-c", STEPS, mode], capture_output=True, text=True, timeout=120, check=True,
                         env={**os.environ, **GLIBC_DEFAULTS})
    return float(out.stdout.split()[-1])


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the setting is glibc's; elsewhere it returns False")
def test_retained_memory_is_reused_without_page_faults():
    default, retained = _faults_per_step("default"), _faults_per_step("retain")
    assert default >= 16 * 256 * 0.9, f"glibc's defaults faulted only {default} pages per step"
    # What remains (0 to ~13 faults, varying with the address layout) is Python's own small allocations.
    assert retained <= 0.01 * default, f"{retained} page faults per step with retain_freed_memory()"


def test_retain_freed_memory_reports_whether_it_took_effect():
    import torchkeras_layers as tkl

    assert tkl.runtime.retain_freed_memory() is (platform.libc_ver()[0] == "glibc")
    assert tkl.runtime.retain_freed_memory() is (platform.libc_ver()[0] == "glibc")  # idempotent
