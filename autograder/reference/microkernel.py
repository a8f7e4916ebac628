"""A register-blocked matrix micro-kernel for the reference's direct convolutions, in Numba.

:func:`tile` adds to a tile of ``rows x nv`` vectors of ``C`` the product of ``A (rows x K)`` and
``B (K x nv vectors)``, where ``K`` runs over up to three nested loops with their own strides in ``A``:

    C[r * ldc + v] += sum over (t1, t2, t3) of A[r * a_rs + t1 * s1 + t2 * s2 + t3 * s3] * B[t * ldb + v]

with ``t`` counting the steps in order. ``c``, ``a`` and ``b`` are addresses and every stride counts
elements, so one kernel serves the forward convolution (rows are output pixels; the loops are kernel
rows, kernel columns and input channels, ``B`` the kernels) and the kernels' gradient (rows are input
channels; the loops are output rows and columns, ``B`` is d_out). ``ref`` is any array of the operands'
dtype; only its type is used, to pick the float32 (16 per vector) or float64 (8 per vector) kernel.

Why not ``np.dot`` or BLAS: the convolutions here have 32 to 128 output channels, and OpenBLAS runs such
narrow products at 100-140 GFLOP/s on one AMD Zen 5 core where its large products reach 200; this
kernel keeps the whole tile in vector registers for all of ``K`` (``rows * nv`` accumulators, each one
fused multiply-add per step) and writes it once; it ran the forward benchmark workloads C, D and E at
190-205 GFLOP/s there, and at 91-95% of its own L1-resident rate on an AMD EPYC Zen 4 (``make bench``,
docs/performance.md), both before conv_direct took C's and D's blocks of kernels one kernel row per call
(:data:`.kernels.KERNELS_L1_BYTES`).
Numba's own loops cannot hold accumulators in registers, so each kernel is written as LLVM IR through
:func:`numba.extending.intrinsic`: one loop of vector loads of ``B``, broadcasts of ``A`` and ``llvm.fma``.

The caller guarantees that every address it passes is inside its array: nothing here checks.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["ROWS", "STREAM_MIN_BYTES", "UNROLLED", "VECTORS", "aligned_copy", "aligned_empty", "lanes",
           "store_fence", "stream", "streams", "tile", "window_max", "window_mean"]

#: Tile rows and vectors per row: 6, 8, 12 and 14 rows of 2 vectors ran the benchmark workloads within
#: 5% of each other on the AMD EPYC; on an Intel Xeon 14 rows ran C and D 1.05x as fast as 8 but E 0.96x
#: and B 0.89x (docs/performance.md). 8 x 2 (16 accumulators) leaves registers for B and the broadcasts.
ROWS = 8
VECTORS = 2


def _loop(builder, count, a, a_step, carried, body):
    """Emit ``for t in range(count)`` (``count >= 1``, checked by the caller) around ``body(a, carried)``,
    which returns the carried values of the next step; ``a`` advances by ``a_step`` elements per step.
    Returns the carried values after the loop, with ``builder`` positioned after it."""
    i64 = ir.IntType(64)
    before = builder.block
    loop, after = builder.append_basic_block("tile_loop"), builder.append_basic_block("tile_next")
    builder.branch(loop)
    builder.position_at_end(loop)
    t, ap = builder.phi(i64), builder.phi(a.type)
    phis = [builder.phi(v.type) for v in carried]
    out = body(ap, phis)
    t1, ap1 = builder.add(t, ir.Constant(i64, 1)), builder.gep(ap, [a_step])
    latch = builder.block
    for phi, first, nxt in [(t, ir.Constant(i64, 0), t1), (ap, a, ap1)] + list(zip(phis, carried, out)):
        phi.add_incoming(first, before)
        phi.add_incoming(nxt, latch)
    builder.cbranch(builder.icmp_signed("<", t1, count), loop, after)
    builder.position_at_end(after)
    return out


def _emit_tile(builder, rows, nv, fma, vty, accumulate, c, ldc, a, a_rs, b, ldb, n1, s1, n2, s2, n3, s3):
    """Emit the loops of one ``rows x nv``-vector tile (see :func:`tile`); all counts are >= 1."""
    i64, i32 = ir.IntType(64), ir.IntType(32)
    width = vty.count
    pty, vpty = vty.element.as_pointer(), vty.as_pointer()
    const = lambda v: ir.Constant(i64, v)  # noqa: E731
    cp, ap, bp = (builder.inttoptr(v, pty) for v in (c, a, b))
    cptr = [builder.bitcast(builder.gep(cp, [builder.add(builder.mul(ldc, const(r)), const(v * width))]), vpty)
            for r in range(rows) for v in range(nv)]
    zero = ir.Constant(vty, [ir.Constant(vty.element, 0.0)] * width)
    keep = builder.icmp_signed("!=", accumulate, const(0))
    start = [builder.select(keep, builder.load(p, align=4), zero) for p in cptr]
    a_off = [builder.mul(a_rs, const(r)) for r in range(rows)]
    undef = ir.Constant(vty, ir.Undefined)
    splat = ir.Constant(ir.VectorType(i32, width), [0] * width)

    def step(apt, carried):   # one k: nv loads of B, rows broadcasts of A, rows * nv fused multiply-adds
        *acc, bpt = carried
        bvec = [builder.load(builder.bitcast(builder.gep(bpt, [const(v * width)]), vpty), align=4) for v in range(nv)]
        new = []
        for r in range(rows):
            s = builder.load(builder.gep(apt, [a_off[r]]))
            sv = builder.shuffle_vector(builder.insert_element(undef, s, ir.Constant(i32, 0)), undef, splat)
            new += [builder.call(fma, [sv, bvec[v], acc[r * nv + v]]) for v in range(nv)]
        return new + [builder.gep(bpt, [ldb])]

    def middle(apt, carried):
        return _loop(builder, n3, apt, s3, carried, step)

    def outer(apt, carried):
        return _loop(builder, n2, apt, s2, carried, middle)

    *end, _ = _loop(builder, n1, ap, s1, start + [bp], outer)
    for v, p in zip(end, cptr):
        builder.store(v, p, align=4)


@intrinsic
def tile(typingctx, ref, rows, nv, accumulate, c, ldc, a, a_rs, b, ldb, n1, s1, n2, s2, n3, s3):
    """One tile of ``C (rows x nv vectors) (+)= A (rows x K) @ B (K x nv vectors)``, ``K = n1 * n2 * n3``.

    Column ``t = (t1, t2, t3)`` of ``A`` row ``r`` is ``a[r * a_rs + t1 * s1 + t2 * s2 + t3 * s3]``; row ``t``
    of ``B`` is ``b[t * ldb :]``. ``accumulate`` 0 starts from zeros instead of ``C``. ``1 <= rows <= ROWS``
    and ``nv`` 1 or 2; any other shape, or a count below 1, does nothing. One loop nest per shape, chosen
    by a switch.
    """
    if not isinstance(ref, types.Array) or ref.dtype not in (types.float32, types.float64):
        return None
    sig = types.void(ref, rows, nv, accumulate, c, ldc, a, a_rs, b, ldb, n1, s1, n2, s2, n3, s3)
    double = ref.dtype == types.float64

    def codegen(context, builder, sig, args):
        width = 8 if double else 16
        vty = ir.VectorType(ir.DoubleType() if double else ir.FloatType(), width)
        fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vty, [vty, vty, vty]),
                                             f"llvm.fma.v{width}{'f64' if double else 'f32'}")
        rows, nv, *ops = (context.cast(builder, v, t, types.int64) for v, t in zip(args[1:], sig.args[1:]))
        n1, n2, n3 = ops[7], ops[9], ops[11]
        i64 = ir.IntType(64)
        positive = builder.and_(builder.and_(builder.icmp_signed(">", n1, ir.Constant(i64, 0)),
                                             builder.icmp_signed(">", n2, ir.Constant(i64, 0))),
                                builder.icmp_signed(">", n3, ir.Constant(i64, 0)))
        shape = builder.select(positive, builder.add(builder.mul(nv, ir.Constant(i64, ROWS + 1)), rows),
                               ir.Constant(i64, 0))
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


#: Outputs at least this large are written by :func:`stream` with non-temporal stores; smaller ones with
#: ordinary stores. On the benchmarks' 50-100 MB arrays streaming made pool_backward 1.2-1.5x faster. A
#: smaller output fits in the caches and is often read again soon (the tiers time the same call again and
#: again), where a non-temporal store would push it out to memory: the threshold is a precaution, not a
#: measured loss.
STREAM_MIN_BYTES = 16 * 2**20


@nb.njit(inline="always", cache=True)
def streams(nbytes):
    """1 if an output of ``nbytes`` should be written with non-temporal stores (:data:`STREAM_MIN_BYTES`)."""
    return 1 if nbytes >= STREAM_MIN_BYTES else 0


@intrinsic
def stream(typingctx, ref, dst, src, count, nontemporal):
    """Copy ``count`` values from address ``src`` to address ``dst`` (``ref``'s dtype); when
    ``nontemporal`` is not 0, the whole 64-byte lines of ``dst`` with non-temporal stores: they go to
    memory without first reading the lines into the cache, which an ordinary store must do. For large
    results written once and not read again soon, that saves a third of the memory traffic
    (:data:`STREAM_MIN_BYTES`). Call :func:`store_fence` before another thread reads ``dst``."""
    if not isinstance(ref, types.Array) or ref.dtype not in (types.float32, types.float64):
        return None
    sig = types.void(ref, dst, src, count, nontemporal)
    double = ref.dtype == types.float64

    def codegen(context, builder, sig, args):
        i64 = ir.IntType(64)
        fty = ir.DoubleType() if double else ir.FloatType()
        item, width = (8, 8) if double else (4, 16)
        vty = ir.VectorType(fty, width)
        dst, src, count, flag = (context.cast(builder, v, t, types.int64) for v, t in zip(args[1:], sig.args[1:]))
        const = lambda v: ir.Constant(i64, v)  # noqa: E731
        # head: values before dst's first 64-byte boundary (or all of them), copied one by one
        head = builder.select(builder.icmp_signed("<", count, const(0)), const(0), count)
        to_line = builder.udiv(builder.and_(builder.sub(const(0), dst), const(63)), const(item))
        head = builder.select(builder.icmp_unsigned("<", to_line, head), to_line, head)
        lines = builder.udiv(builder.sub(builder.select(builder.icmp_signed("<", count, const(0)), const(0), count),
                                         head), const(width))
        pty = fty.as_pointer()
        dp, sp = builder.inttoptr(dst, pty), builder.inttoptr(src, pty)
        nt = builder.module.add_metadata([ir.Constant(ir.IntType(32), 1)])

        def scalar_copy(start, n):
            with cgutils.for_range(builder, n) as loop:
                t = builder.add(start, loop.index)
                builder.store(builder.load(builder.gep(sp, [t])), builder.gep(dp, [t]))

        scalar_copy(const(0), head)
        with builder.if_else(builder.icmp_signed("!=", flag, const(0))) as (streamed, cached):
            for branch, temporal in ((streamed, False), (cached, True)):
                with branch, cgutils.for_range(builder, lines) as loop:
                    t = builder.add(head, builder.mul(loop.index, const(width)))
                    v = builder.load(builder.bitcast(builder.gep(sp, [t]), vty.as_pointer()), align=item)
                    store = builder.store(v, builder.bitcast(builder.gep(dp, [t]), vty.as_pointer()), align=64)
                    if not temporal:
                        store.set_metadata("nontemporal", nt)
        done = builder.add(head, builder.mul(lines, const(width)))
        total = builder.select(builder.icmp_signed("<", count, const(0)), const(0), count)
        scalar_copy(done, builder.sub(total, done))
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def store_fence(typingctx):
    """``sfence``: the non-temporal stores of :func:`stream` become visible to other threads before any
    later store (x86 orders them with nothing else)."""
    sig = types.void()

    def codegen(context, builder, sig, args):
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), []), "llvm.x86.sse.sfence")
        builder.call(fn, [])
        return context.get_dummy_value()

    return sig, codegen


#: Window sizes whose whole window is unrolled (the common 2x2 and 3x3, and their edge windows in
#: 'same' padding); any other size runs the window's rows and columns as loops. Unrolled, max 2x2/2 on an
#: L2-resident batch ran at 73 GB/s against the loops' 57 (3x3: 43 against 39); out of cache, no change.
UNROLLED = ((2, 2), (3, 3), (2, 3), (3, 2))


def _window(maximum: bool):
    @intrinsic
    def reduce(typingctx, ref, dst, src, row_step, nh, nw, c, scale):
        if not isinstance(ref, types.Array) or ref.dtype not in (types.float32, types.float64):
            return None
        sig = types.void(ref, dst, src, row_step, nh, nw, c, scale)
        double = ref.dtype == types.float64

        def codegen(context, builder, sig, args):
            i64 = ir.IntType(64)
            fty = ir.DoubleType() if double else ir.FloatType()
            width = 8 if double else 16
            dst, src, row_step, nh, nw, c = (context.cast(builder, v, t, types.int64)
                                             for v, t in zip(args[1:7], sig.args[1:7]))
            scale = context.cast(builder, args[7], sig.args[7], ref.dtype)
            pty = fty.as_pointer()
            dp, sp = builder.inttoptr(dst, pty), builder.inttoptr(src, pty)
            const = lambda v: ir.Constant(i64, v)  # noqa: E731
            vectors = builder.udiv(c, const(width))
            done = builder.mul(vectors, const(width))

            def combine(a, v):
                return builder.select(builder.fcmp_ordered(">", v, a), v, a) if maximum else builder.fadd(a, v)

            def chunks(ty, count, first, step, window):
                """For each of ``count`` chunks of channels (vectors, or single values), ``window(ty, at, off)``
                reduces the window; the result (times ``scale`` for the mean) is stored at ``dst``."""
                scalar = ty == fty
                splat = scale
                if not scalar:
                    splat = ir.Constant(ty, ir.Undefined)
                    for lane in range(width):
                        splat = builder.insert_element(splat, scale, ir.Constant(ir.IntType(32), lane))

                def at(offset):
                    p = builder.gep(sp, [offset])
                    return builder.load(p if scalar else builder.bitcast(p, ty.as_pointer()), align=4)

                with cgutils.for_range(builder, count) as chunk:
                    off = builder.add(first, builder.mul(chunk.index, const(step)))
                    out = window(ty, at, off)
                    out = out if maximum else builder.fmul(out, splat)
                    p = builder.gep(dp, [off])
                    builder.store(out, p if scalar else builder.bitcast(p, ty.as_pointer()), align=4)

            def looped(ty, at, off):   # any window: its rows and columns as loops, the value kept in a register
                acc = cgutils.alloca_once(builder, ty)   # promoted to a register by LLVM
                builder.store(at(off) if maximum else ir.Constant(ty, None), acc)
                with cgutils.for_range(builder, nh) as i:
                    row = builder.add(off, builder.mul(i.index, row_step))
                    with cgutils.for_range(builder, nw) as j:
                        builder.store(combine(builder.load(acc), at(builder.add(row, builder.mul(j.index, c)))), acc)
                return builder.load(acc)

            def unrolled(rows, cols):   # a window of known size: every load independent, no loop control
                def window(ty, at, off):
                    values = [at(builder.add(off, builder.add(builder.mul(const(i), row_step),
                                                              builder.mul(const(j), c))))
                              for i in range(rows) for j in range(cols)]
                    acc = values[0] if maximum else builder.fadd(ir.Constant(ty, None), values[0])
                    for v in values[1:]:   # in window order, as the loops: the first maximum wins
                        acc = combine(acc, v)
                    return acc
                return window

            vty = ir.VectorType(fty, width)
            vector_chunks = lambda window: chunks(vty, vectors, const(0), width, window)  # noqa: E731
            # whole vectors of channels, unrolled for the usual window sizes ...
            ladder = list(UNROLLED)

            def dispatch(k):
                if k == len(ladder):
                    vector_chunks(looped)
                    return
                rows, cols = ladder[k]
                hit = builder.and_(builder.icmp_signed("==", nh, const(rows)), builder.icmp_signed("==", nw, const(cols)))
                with builder.if_else(hit) as (yes, no):
                    with yes:
                        vector_chunks(unrolled(rows, cols))
                    with no:
                        dispatch(k + 1)

            dispatch(0)
            # ... then the channels left over one by one
            chunks(fty, builder.sub(c, done), done, 1, looped)
            return context.get_dummy_value()

        return sig, codegen

    return reduce


#: ``window_max(ref, dst, src, row_step, nh, nw, c, scale)``: for each of ``c`` channels, the maximum over
#: an ``nh x nw`` window of pixels (``src`` its first, ``row_step`` values between its rows, ``c`` between
#: its columns), written to ``dst``; ``scale`` is ignored. The maximum is the first value, replaced by any
#: greater one, as in :func:`.kernels.pool_max`. ``window_mean`` writes ``scale`` times the window's sum.
#: The running value of each vector of channels stays in a register over the whole window.
window_max = _window(True)
window_mean = _window(False)
