"""Which machine a benchmark ran on: CPU model, its vector instructions, the libraries.

Speed ratios depend on the machine type (a wider vector unit helps TensorFlow's
oneDNN kernels more than NumPy's BLAS), so every benchmark prints this first.
"""

from __future__ import annotations

import os
import platform

# The instruction-set extensions that decide how fast float32 convolutions can run.
VECTOR_FLAGS = [
    "avx2",
    "fma",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_tile",
    "amx_bf16",
]


def cpu_model_and_flags(cpuinfo="/proc/cpuinfo"):
    """``(model name, [vector flags present])`` from /proc/cpuinfo (Linux), else platform's."""
    try:
        with open(cpuinfo) as file:
            lines = file.read().splitlines()
    except OSError:
        return platform.processor() or platform.machine(), []
    fields = {}
    for line in lines:
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    present = set(fields.get("flags", "").split())
    model = fields.get("model name") or platform.processor() or platform.machine()
    return model, [flag for flag in VECTOR_FLAGS if flag in present]


def describe(numpy, tensorflow=None):
    """One line per fact: CPU, cores, vector flags, library versions, TensorFlow's kernels."""
    model, flags = cpu_model_and_flags()
    lines = [
        f"CPU: {model}, {os.cpu_count()} cores visible",
        f"vector flags: {' '.join(flags) or 'none of ' + ', '.join(VECTOR_FLAGS)}",
        f"NumPy {numpy.__version__} ({_blas(numpy)})",
    ]
    if tensorflow is not None:
        onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
        kernels = (
            "oneDNN (the default)" if onednn in (None, "1") else f"TF_ENABLE_ONEDNN_OPTS={onednn}"
        )
        lines.append(f"TensorFlow {tensorflow.__version__}, CPU kernels: {kernels}")
    return "\n".join(lines)


def _blas(numpy):
    try:
        blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (KeyError, TypeError, ValueError):  # an older NumPy, or another build
        return "BLAS unknown"
    return f"{blas.get('name', 'BLAS')} {blas.get('version', '')}".strip()
