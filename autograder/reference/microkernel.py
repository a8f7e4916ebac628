"""A register-blocked matrix micro-kernel for the reference's direct convolutions, in Numba.

``tile(ref, rows, nv, c, ldc, a, a_rs, a_cs, b, ldb, k)`` adds to a tile of ``rows x nv * vector``
values of ``C`` the product of ``A (rows x k)`` and ``B (k x nv * vector)``:

    C[r * ldc + v] += sum over t < k of A[r * a_rs + t * a_cs] * B[t * ldb + v]

``c``, ``a`` and ``b`` are addresses and every stride counts elements, so one kernel serves the forward
convolution (rows are output pixels, ``a_rs`` the pixel step) and the kernels' gradient (rows are input
channels, ``a_rs = 1``). ``ref`` is any array of the operands' dtype; only its type is used, to pick the
float32 (16 per vector) or float64 (8 per vector) kernel.

Why not ``np.dot`` or BLAS: the convolutions here have 32 to 128 output channels, and OpenBLAS runs such
narrow products at 100-140 GFLOP/s on one core of this machine where its large products reach 200; this
kernel keeps the whole tile in vector registers for the length of ``k`` (``rows * nv`` accumulators,
each one fused multiply-add per step) and ran the benchmark workloads at 170-190 (``make bench``).
Numba's own loops cannot hold accumulators in registers, so each kernel is written as LLVM IR through
:func:`numba.extending.intrinsic`: one loop of vector loads of ``B``, broadcasts of ``A`` and ``llvm.fma``.

The caller guarantees that every address it passes is inside its array: nothing here checks.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["ROWS", "VECTORS", "aligned_copy", "aligned_empty", "lanes", "tile"]

#: Tile rows and vectors per row: 8 x 2 gave 170-190 GFLOP/s on the benchmark workloads, as did 10 x 2
#: and 14 x 2; 6 x 2 was 10% slower. 16 accumulators leave registers for B and the broadcasts.
ROWS = 8
VECTORS = 2


def _emit_tile(builder, rows, nv, fma, vty, c, ldc, a, a_rs, a_cs, b, ldb, k):
    """Emit at ``builder`` the loop of one ``rows x nv``-vector tile; returns with ``builder`` after it."""
    i64, i32 = ir.IntType(64), ir.IntType(32)
    width = vty.count
    pty, vpty = vty.element.as_pointer(), vty.as_pointer()
    const = lambda v: ir.Constant(i64, v)  # noqa: E731
    cp, ap, bp = (builder.inttoptr(v, pty) for v in (c, a, b))
    cptr = [[builder.bitcast(builder.gep(cp, [builder.add(builder.mul(ldc, const(r)), const(v * width))]), vpty)
             for v in range(nv)] for r in range(rows)]
    start = [[builder.load(p, align=4) for p in row] for row in cptr]
    a_off = [builder.mul(a_rs, const(r)) for r in range(rows)]
    entry = builder.block
    loop = builder.append_basic_block("tile_loop")
    done = builder.append_basic_block("tile_done")
    builder.cbranch(builder.icmp_signed(">", k, const(0)), loop, done)

    builder.position_at_end(loop)
    t = builder.phi(i64)
    apt, bpt = builder.phi(pty), builder.phi(pty)
    acc = [[builder.phi(vty) for _ in range(nv)] for _ in range(rows)]
    bvec = [builder.load(builder.bitcast(builder.gep(bpt, [const(v * width)]), vpty), align=4) for v in range(nv)]
    undef = ir.Constant(vty, ir.Undefined)
    splat = ir.Constant(ir.VectorType(i32, width), [0] * width)
    new = []
    for r in range(rows):
        s = builder.load(builder.gep(apt, [a_off[r]]))
        sv = builder.shuffle_vector(builder.insert_element(undef, s, ir.Constant(i32, 0)), undef, splat)
        new.append([builder.call(fma, [sv, bvec[v], acc[r][v]]) for v in range(nv)])
    t1 = builder.add(t, const(1))
    latch = builder.block
    for phi, first, nxt in [(t, const(0), t1), (apt, ap, builder.gep(apt, [a_cs])), (bpt, bp, builder.gep(bpt, [ldb]))]:
        phi.add_incoming(first, entry)
        phi.add_incoming(nxt, latch)
    for r in range(rows):
        for v in range(nv):
            acc[r][v].add_incoming(start[r][v], entry)
            acc[r][v].add_incoming(new[r][v], latch)
    builder.cbranch(builder.icmp_signed("<", t1, k), loop, done)

    builder.position_at_end(done)
    ends = []   # every phi first: LLVM wants them at the top of the block
    for r in range(rows):
        for v in range(nv):
            end = builder.phi(vty)
            end.add_incoming(start[r][v], entry)
            end.add_incoming(new[r][v], latch)
            ends.append((end, cptr[r][v]))
    for end, p in ends:
        builder.store(end, p, align=4)


@intrinsic
def tile(typingctx, ref, rows, nv, c, ldc, a, a_rs, a_cs, b, ldb, k):
    """``C (rows x nv vectors) += A (rows x k) @ B (k x nv vectors)``; ``1 <= rows <= ROWS``, ``nv`` 1 or 2
    (any other shape does nothing). One loop per shape, chosen by a switch."""
    if not isinstance(ref, types.Array) or ref.dtype not in (types.float32, types.float64):
        return None
    sig = types.void(ref, rows, nv, c, ldc, a, a_rs, a_cs, b, ldb, k)
    double = ref.dtype == types.float64

    def codegen(context, builder, sig, args):
        width = 8 if double else 16
        vty = ir.VectorType(ir.DoubleType() if double else ir.FloatType(), width)
        fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vty, [vty, vty, vty]),
                                             f"llvm.fma.v{width}{'f64' if double else 'f32'}")
        rows, nv, *ops = (context.cast(builder, v, t, types.int64) for v, t in zip(args[1:], sig.args[1:]))
        i64 = ir.IntType(64)
        shape = builder.add(builder.mul(nv, ir.Constant(i64, ROWS + 1)), rows)
        after = builder.append_basic_block("tile_end")
        switch = builder.switch(shape, after)
        for v in range(1, VECTORS + 1):
            for r in range(1, ROWS + 1):
                block = builder.append_basic_block(f"tile_{r}x{v}")
                switch.add_case(ir.Constant(i64, v * (ROWS + 1) + r), block)
                builder.position_at_end(block)
                _emit_tile(builder, r, v, fma, vty, *ops)
                builder.branch(after)
        builder.position_at_end(after)
        return context.get_dummy_value()

    return sig, codegen


def lanes(itemsize: int) -> int:
    """Values per vector for a dtype of ``itemsize`` bytes (512-bit vectors)."""
    return 64 // itemsize


def aligned_empty(shape, dtype) -> np.ndarray:
    """An uninitialised C-contiguous array whose data starts on a 64-byte boundary.

    numpy's large arrays start 16 bytes past one, so every vector load of a tile would straddle two cache
    lines; aligned outputs and kernels ran the direct convolutions 3-8% faster here.
    """
    dtype = np.dtype(dtype)
    size = int(np.prod(shape))
    buf = np.empty(size * dtype.itemsize + 64, dtype=np.uint8)
    start = -buf.ctypes.data % 64
    return buf[start:start + size * dtype.itemsize].view(dtype).reshape(shape)


def aligned_copy(a: np.ndarray) -> np.ndarray:
    """``a`` copied into an :func:`aligned_empty` array of its shape and dtype."""
    out = aligned_empty(a.shape, a.dtype)
    out[...] = a
    return out
