"""Time one implementation on one workload in this process, and print one JSON line.

Run by ``benchmarks/run.py`` in a fresh process per implementation, so that no two implementations share
thread pools, caches or allocator state:

    python benchmarks/timer.py conv C float32 reference --threads 1
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from workloads import CONV, POOL  # noqa: E402


def numpy_conv(x, k, stride, dilation):
    """The numpy baseline: pad, take every window with sliding_window_view, contract with einsum."""
    from numpy.lib.stride_tricks import sliding_window_view

    from autograder.reference import same_padding

    kh, kw = k.shape[:2]
    pt, pb = same_padding(x.shape[1], kh, stride, dilation)
    pl, pr = same_padding(x.shape[2], kw, stride, dilation)
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    span_h, span_w = (kh - 1) * dilation + 1, (kw - 1) * dilation + 1
    win = sliding_window_view(xp, (span_h, span_w), axis=(1, 2))[:, ::stride, ::stride, :, ::dilation, ::dilation]
    return np.einsum("byxcij,ijcn->byxn", win, k, optimize=True)


def make_conv(impl, wl, dtype, rng):
    x = rng.standard_normal((wl.m, wl.h, wl.w, wl.c)).astype(dtype)
    k = rng.standard_normal((wl.k, wl.k, wl.c, wl.n)).astype(dtype)
    s, d = wl.stride, wl.dilation
    if impl == "reference":
        from autograder.reference import convolve

        return lambda: convolve(x, k, "same", (s, s), (d, d))
    if impl == "numpy":
        return lambda: numpy_conv(x, k, s, d)
    if impl == "torch":
        import torch

        torch.set_num_threads(THREADS)
        xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).contiguous(memory_format=torch.channels_last)
        kt = torch.from_numpy(np.ascontiguousarray(k.transpose(3, 2, 0, 1)))
        pad = "same" if s == 1 else d * (wl.k - 1) // 2  # 3x3 kernels: symmetric padding matches 'same' here

        def run():
            with torch.no_grad():
                return torch.nn.functional.conv2d(xt, kt, stride=s, padding=pad, dilation=d)

        return run
    raise SystemExit(f"unknown conv implementation {impl!r}")


def make_conv_backward(impl, wl, dtype, rng):
    """The gradients of a conv layer (images, kernels, bias) from d_out, the forward output already known."""
    x = rng.standard_normal((wl.m, wl.h, wl.w, wl.c)).astype(dtype)
    k = rng.standard_normal((wl.k, wl.k, wl.c, wl.n)).astype(dtype)
    oh, ow = wl.out_hw()
    d = rng.standard_normal((wl.m, oh, ow, wl.n)).astype(dtype)
    s, dl = wl.stride, wl.dilation
    if impl == "reference":
        from autograder.reference import convolve_backward

        return lambda: convolve_backward(d, x, k, "same", (s, s), (dl, dl))
    if impl == "torch":
        import torch

        torch.set_num_threads(THREADS)
        cl = torch.channels_last
        xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).contiguous(memory_format=cl)
        kt = torch.from_numpy(np.ascontiguousarray(k.transpose(3, 2, 0, 1))).contiguous(memory_format=cl)
        dt = torch.from_numpy(np.ascontiguousarray(d.transpose(0, 3, 1, 2))).contiguous(memory_format=cl)
        pad = dl * (wl.k - 1) // 2   # symmetric: the same output size as 'same' for these 3x3 workloads

        def run():   # the op autograd calls for conv2d's backward: all three gradients
            return torch.ops.aten.convolution_backward(dt, xt, kt, [wl.n], [s, s], [pad, pad], [dl, dl], False,
                                                       [0, 0], 1, [True, True, True])

        return run
    raise SystemExit(f"unknown conv_backward implementation {impl!r}")


def make_pool_backward(impl, wl, dtype, rng):
    x = rng.standard_normal((wl.m, wl.h, wl.w, wl.c)).astype(dtype)
    oh, ow = wl.out_hw()
    d = rng.standard_normal((wl.m, oh, ow, wl.c)).astype(dtype)
    if impl == "reference":
        from autograder.reference import pool_backward

        return lambda: pool_backward(d, x, (wl.k, wl.k), (wl.stride, wl.stride), wl.mode, wl.padding)
    if impl == "torch":
        import torch

        torch.set_num_threads(THREADS)
        cl = torch.channels_last
        xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).contiguous(memory_format=cl)
        dt = torch.from_numpy(np.ascontiguousarray(d.transpose(0, 3, 1, 2))).contiguous(memory_format=cl)
        k, st = [wl.k, wl.k], [wl.stride, wl.stride]
        pad = [wl.k // 2, wl.k // 2] if wl.padding == "same" else [0, 0]
        if wl.mode == "max":
            _, idx = torch.ops.aten.max_pool2d_with_indices(xt, k, st, pad, [1, 1], False)
            return lambda: torch.ops.aten.max_pool2d_with_indices_backward(dt, xt, k, st, pad, [1, 1], False, idx)
        return lambda: torch.ops.aten.avg_pool2d_backward(dt, xt, k, st, pad, False, False, None)
    raise SystemExit(f"unknown pool_backward implementation {impl!r}")


def make_pool(impl, wl, dtype, rng):
    x = rng.standard_normal((wl.m, wl.h, wl.w, wl.c)).astype(dtype)
    if impl == "reference":
        from autograder.reference import pool

        return lambda: pool(x, (wl.k, wl.k), (wl.stride, wl.stride), wl.mode, wl.padding)
    raise SystemExit(f"unknown pool implementation {impl!r}")


def make_machine(impl, dtype, rng):
    if impl == "gemm":
        a = rng.standard_normal((2048, 2048)).astype(dtype)
        b = rng.standard_normal((2048, 2048)).astype(dtype)
        c = np.empty_like(a)
        return lambda: np.dot(a, b, out=c), 2.0 * 2048**3, None
    if impl == "fma":   # the register-blocked tile on L1-resident operands: the core's attainable FMA rate
        import numba as nb

        from autograder.reference.microkernel import ROWS, VECTORS, aligned_empty, lanes, tile

        width, depth, calls = VECTORS * lanes(np.dtype(dtype).itemsize), 256, 2000
        a = rng.standard_normal((ROWS, depth)).astype(dtype)
        b = aligned_empty((depth, width), dtype)
        b[...] = rng.standard_normal((depth, width))
        c = aligned_empty((ROWS, width), dtype)

        @nb.njit
        def loop(a, b, c):
            for _ in range(calls):
                tile(a, ROWS, VECTORS, 1, c.ctypes.data, width, a.ctypes.data, depth, b.ctypes.data, width,
                     1, 0, 1, 0, depth, 1)

        return lambda: loop(a, b, c), 2.0 * ROWS * width * depth * calls, None
    if impl == "memcpy":
        src = rng.standard_normal(64 * 2**20 // np.dtype(dtype).itemsize * 4).astype(dtype)  # 256 MiB
        dst = np.empty_like(src)
        return lambda: np.copyto(dst, src), None, 2.0 * src.nbytes
    if impl == "read":   # one core reading 256 MiB and writing nothing back to memory: pooling's read bound
        import numba as nb

        from autograder.reference.microkernel import aligned_empty, lanes, window_max

        width = lanes(np.dtype(dtype).itemsize)
        src = aligned_empty((256 * 2**20 // (width * np.dtype(dtype).itemsize), width), dtype)
        src[...] = rng.standard_normal(src.shape)
        out = np.empty(width, dtype)

        @nb.njit
        def read(src, out):
            # the pooling's own window reduction, with the whole array as one window of one vector per row:
            # a load and a compare per 64-byte line, the running maximum in a register, one store at the end
            window_max(src, out.ctypes.data, src.ctypes.data, src.shape[1], src.shape[0], 1, src.shape[1], 0.0)

        return lambda: read(src, out), None, float(src.nbytes)
    raise SystemExit(f"unknown machine measurement {impl!r}")


THREADS = 1


def main() -> None:
    global THREADS
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["conv", "pool", "conv_backward", "pool_backward", "machine"])
    ap.add_argument("workload")
    ap.add_argument("dtype", choices=["float32", "float64"])
    ap.add_argument("impl")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    THREADS = args.threads
    # The same allocator policy for every implementation: large outputs reuse freed heap memory instead of
    # paying the kernel for fresh zeroed pages on every call.
    from autograder.sandbox.runtime.memory import steady_allocator

    steady_allocator()
    rng = np.random.default_rng(0)
    flops = bytes_moved = None

    from threadpoolctl import threadpool_limits

    from autograder.reference import threads

    with threads(args.threads), threadpool_limits(args.threads):
        if args.kind == "conv":
            wl = CONV[args.workload]
            fn, flops = make_conv(args.impl, wl, args.dtype, rng), wl.flops()
        elif args.kind == "pool":
            wl = POOL[args.workload]
            fn, bytes_moved = make_pool(args.impl, wl, args.dtype, rng), wl.bytes_moved(np.dtype(args.dtype).itemsize)
        elif args.kind == "conv_backward":
            wl = CONV[args.workload]
            fn, flops = make_conv_backward(args.impl, wl, args.dtype, rng), 2 * wl.flops()   # d_images + d_kernels
        elif args.kind == "pool_backward":
            wl = POOL[args.workload]
            fn, bytes_moved = (make_pool_backward(args.impl, wl, args.dtype, rng),
                               wl.backward_bytes(np.dtype(args.dtype).itemsize))
        else:
            fn, flops, bytes_moved = make_machine(args.impl, args.dtype, rng)
        fn()  # compile or load from cache, fault in memory
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    print(json.dumps({"kind": args.kind, "workload": args.workload, "dtype": args.dtype, "impl": args.impl,
                      "threads": args.threads, "median_s": statistics.median(times), "min_s": min(times),
                      "flops": flops, "bytes": bytes_moved, "blas": blas_kernel()}))


def blas_kernel() -> str:
    """The kernel family numpy's OpenBLAS chose in this process (threadpoolctl's 'architecture'), e.g.
    'SkylakeX' natively or 'Haswell' under OPENBLAS_CORETYPE=Haswell."""
    from threadpoolctl import threadpool_info

    found = sorted({str(i.get("architecture")) for i in threadpool_info() if i.get("user_api") == "blas"})
    return ", ".join(found) or "none"


if __name__ == "__main__":
    main()
