# %% [markdown]
# # 6. Speed, and the transposed convolution
#
# Your functions are correct; how fast are they? This notebook times them against the course's
# **reference**, a compiled (Numba) implementation, and shows the two classic ways to vectorise a
# convolution completely. It ends with the layer that runs convolution backwards to *upsample*: the
# transposed convolution.

# %%
import numpy as np
import matplotlib.pyplot as plt
from numpy.lib.stride_tricks import sliding_window_view

from autograder import check, figures

# %% [markdown]
# ## Why loops are slow
#
# Each pass of a Python `for` loop costs interpreter work before any arithmetic, and each NumPy call a
# fixed overhead (checking its arguments, allocating its result) however small its array: the cell below
# measures both on this machine. A loop over every pixel of a batch multiplies that by millions. NumPy does
# the arithmetic in compiled loops over whole arrays, so the rule is: **few NumPy calls on big arrays**.
# How a call walks the memory matters too: `np.einsum` below shows it.

# %%
import time

passes = 100_000
t0 = time.perf_counter()
for _ in range(passes):
    pass
loop_ns = (time.perf_counter() - t0) / passes * 1e9
window, weights = np.ones((3, 3)), np.ones((3, 3))
t0 = time.perf_counter()
for _ in range(passes):
    np.sum(window * weights)
call_ns = (time.perf_counter() - t0) / passes * 1e9
print(f"one pass of an empty for loop:          {loop_ns:8.0f} ns")
print(f"one pass computing np.sum(window * w):  {call_ns:8.0f} ns  (for 9 multiplications and 8 additions)")

# %% [markdown]
# Here are three versions of the valid grayscale convolution of notebook 1:
#
# 1. loops over the output positions (`m·oh·ow` small NumPy calls: slow);
# 2. loops over the kernel taps (`kh·kw` big NumPy calls: fast);
# 3. no loop at all: all windows at once.

# %%
def by_output_positions(images, kernel):
    m, h, w = images.shape
    kh, kw = kernel.shape
    out = np.zeros((m, h - kh + 1, w - kw + 1))
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            out[:, i, j] = np.sum(images[:, i:i + kh, j:j + kw] * kernel, axis=(1, 2))
    return out


def by_kernel_taps(images, kernel):
    m, h, w = images.shape
    kh, kw = kernel.shape
    oh, ow = h - kh + 1, w - kw + 1
    out = np.zeros((m, oh, ow))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * images[:, a:a + oh, b:b + ow]
    return out


# %% [markdown]
# ## All windows at once: `sliding_window_view`
#
# `sliding_window_view(images, (kh, kw), axis=(1, 2))` returns every window as a **view**: an array of
# shape `(m, oh, ow, kh, kw)` that shares the image's memory (no copy). Then one `einsum` multiplies each
# window by the kernel and sums: `"mijab,ab->mij"`.

# %%
demo = np.arange(16.0).reshape(1, 4, 4)
windows = sliding_window_view(demo, (3, 3), axis=(1, 2))
print("windows:", windows.shape, "| shares memory with the image:", np.shares_memory(windows, demo))
print("window (0, 1):\n", windows[0, 0, 1])

# %% [markdown]
# ## im2col: convolution as one matrix product
#
# Lay each window out as a row (`oh·ow` rows of `kh·kw` numbers: "image to columns") and the kernel as
# a column: the whole convolution is one matrix product, which BLAS runs at the machine's peak speed.
# This is how most deep-learning libraries compute convolutions (the reference does it in blocks).

# %%
rows = windows.reshape(-1, 9)                # (m * oh * ow, kh * kw)
kernel = np.array([[1.0, 0, -1]] * 3)
as_matrix_product = (rows @ kernel.ravel()).reshape(1, 2, 2)
print("im2col result:\n", as_matrix_product[0], "\nsame as the taps version:",
      np.allclose(as_matrix_product, by_kernel_taps(demo, kernel)))

# %% [markdown]
# **Exercise (not graded).** Write `convolve_grayscale_fast(images, kernel)`, the valid convolution,
# with `sliding_window_view` and `np.einsum` (or a matrix product) and **no** `for` loop.
#
# Pass `optimize=True` to `np.einsum`. Without it einsum never calls BLAS: it runs its own generic C loop
# over the strided view, element by element, one product and one addition at a time through its five
# indices. With `optimize=True` einsum first plans the contraction, and one like this (a sum of products
# over the kernel's two axes) it hands to a matrix product (BLAS), after copying the windows into one
# contiguous block: im2col. A table after the checks measures the difference on this machine.
#
# The check below times it against the reference on the course's standard workload and shows your
# **tier**: `loops`, `vectorized`, `fast` or `reference-class`. The grader measures tiers the same way,
# more carefully, for every exercise with a workload.

# %% [solution]
def convolve_grayscale_fast(images, kernel):
    """Valid cross-correlation with no Python loop.

    Parameters
    ----------
    images : ndarray, shape (m, h, w)
    kernel : ndarray, shape (kh, kw)

    Returns
    -------
    ndarray, shape (m, h - kh + 1, w - kw + 1), float
    """
    ### BEGIN SOLUTION
    windows = sliding_window_view(images.astype(float), kernel.shape, axis=(1, 2))
    # optimize=True: a matrix product (BLAS) instead of einsum's element-by-element loop over the view
    return np.einsum("mijab,ab->mij", windows, kernel, optimize=True)
    ### END SOLUTION


# %%
check(convolve_grayscale_fast, exercise="convolve_grayscale_valid", perf=True)

# %% [markdown]
# For comparison, the two loop versions above. Expect the output-position loops to be a tier or two
# slower.

# %%
check(by_kernel_taps, exercise="convolve_grayscale_valid", perf=True)

# %%
check(by_output_positions, exercise="convolve_grayscale_valid", perf=True)

# %% [markdown]
# ## Why einsum on a view can be slow
#
# The einsum of the exercise with and without `optimize=True`, and the tap loop, timed against the
# reference on the checks' workload (one thread, median of five runs, measured now):

# %%
figures.einsum_speeds(by_kernel_taps, exercise="convolve_grayscale_valid");

# %% [markdown]
# How the time grows with the image size, on a log-log plot: the slope of a line says how fast its time
# grows (2: in proportion to the number of pixels). A flatter stretch means a fixed cost per call still
# dominates there; a steeper one, that memory rather than arithmetic sets the pace (the arrays no longer
# fit in the processor's caches). The caption gives the slopes and the ratio at the largest size as
# measured here. Until your `convolve_grayscale_fast` passes, the red line is the reference run again,
# and the legend says so.

# %%
fast = figures.yours_or_reference(convolve_grayscale_fast, name="convolve_grayscale_valid")
figures.speed_plot(fast, "convolve_grayscale_valid");

# %% [markdown]
# ## The transposed convolution
#
# A strided convolution shrinks an image; decoders and generators need the opposite. A **transposed
# convolution** with stride `s` maps `(m, h, w, c)` to `(m, H, W, nc)` with `H = h * s` ('same') or, in
# this course, `H = (h - 1) * s + kh` ('valid'): exactly what the stamps below cover, for every kernel size
# (PyTorch's `ConvTranspose2d` without padding gives that size too). A 2×2 input, 3×3 kernel and stride 2
# give {{transpose_output_size(2, 3, 'valid', 2)}}×{{transpose_output_size(2, 3, 'valid', 2)}} ('valid').
#
# Keras' `Conv2DTranspose` gives the same 'valid' size only when `kh >= s`. For a kernel smaller than the
# stride it returns `h * s` rows, the last `s - kh` of them zeros that no stamp reaches: for a 2×2 input, a
# 1×1 kernel and stride 2, the course's `convolve_transpose` returns
# {{convolve_transpose(np.ones((1, 2, 2, 1)), np.ones((1, 1, 1, 1)), 'valid', (2, 2)).shape[1:3]}} and Keras
# {{(2 * 2 + max(1 - 2, 0),) * 2}}.
#
# Picture it as **scattering**: every input pixel stamps a copy of the kernel, scaled by its value, into
# the output at `(i * s, j * s)`, and overlapping stamps add up.

# %%
x = np.array([[1.0, 2.0], [3.0, 4.0]])
figures.transpose_scatter(x, np.ones((3, 3)), stride=2);

# %% [markdown]
# With channels, input pixel `(i, j)` (a vector of `c` values) stamps `kernels[a, b] @ pixel` (a vector of
# `nc` values) at `(i * s + a, j * s + b)`: `kernels` has shape `(kh, kw, nc, c)` (Keras'
# `Conv2DTranspose` layout). With 'same' the full result is cropped to `h * s` rows, dropping the zeros
# that a 'same' forward convolution of that size would add before (the extra one goes after, as always).
#
# **Exercise.** Write `convolve_transpose(images, kernels, padding='valid', stride=(1, 1))`. At most **3**
# `for` loops (2 over the taps suffice: each tap adds `images @ kernels[a, b].T` to a strided slice).

# %% [solution]
def convolve_transpose(images, kernels, padding="valid", stride=(1, 1)):
    """Transposed convolution (the adjoint of ``convolve`` with the same kernels, padding and stride).

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
    kernels : ndarray, shape (kh, kw, nc, c)
    padding : {'valid', 'same'}
    stride : tuple of 2 ints

    Returns
    -------
    ndarray, shape (m, H, W, nc), float; H = (h - 1) * sh + kh ('valid') or h * sh ('same')
    """
    ### BEGIN SOLUTION
    m, h, w, c = images.shape
    kh, kw, nc, _ = kernels.shape
    sh, sw = stride
    full_h, full_w = (h - 1) * sh + kh, (w - 1) * sw + kw
    if padding == "same":
        big_h, big_w = h * sh, w * sw
        top = max((h - 1) * sh + kh - big_h, 0) // 2
        left = max((w - 1) * sw + kw - big_w, 0) // 2
    else:
        big_h, big_w, top, left = full_h, full_w, 0, 0
    out = np.zeros((m, max(full_h, top + big_h), max(full_w, left + big_w), nc))
    x = images.astype(float)
    for a in range(kh):
        for b in range(kw):
            out[:, a:a + (h - 1) * sh + 1:sh, b:b + (w - 1) * sw + 1:sw, :] += x @ kernels[a, b].T
    return out[:, top:top + big_h, left:left + big_w, :]
    ### END SOLUTION


# %% [autograde convolve_transpose]

# %% [markdown]
# ## Why "transposed"?
#
# A convolution is linear, so it is a (huge) matrix `A`. The transposed convolution is `Aᵀ`: for any
# `x` and `y` of the right shapes, `sum(convolve(x) * y) == sum(x * convolve_transpose(y))`. The cell
# checks that identity on random arrays with your function (or the reference's).

# %%
forward = figures.reference_stand_in("convolve")    # the course's convolve, for this lesson cell only
rng = np.random.default_rng(0)
kernels = rng.standard_normal((3, 3, 4, 2))            # convolve: 4 -> 2 channels; transpose: 2 -> 4
x = rng.standard_normal((1, 8, 8, 4))
y = rng.standard_normal((1, 4, 4, 2))                    # the shape of convolve(x, stride 2, 'same')
transpose = figures.yours_or_reference(convolve_transpose)
left = np.sum(forward(x, kernels, "same", (2, 2)) * y)
right = np.sum(x * transpose(y, kernels, "same", (2, 2)))
print(f"<conv(x), y> = {left:.6f}\n<x, conv_T(y)> = {right:.6f}\nequal: {np.isclose(left, right)}")
