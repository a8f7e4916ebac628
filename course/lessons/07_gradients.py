# %% [markdown]
# # 7. Gradients
#
# Until now every kernel was made by hand. A network **learns** its kernels: a **loss** `L`, one number,
# measures how far its outputs are from the right answers, and each weight takes a small step against its
# gradient, `w -= lr * dL/dw`. This notebook computes those gradients for the layers you wrote: first a
# numerical check that tells a right gradient from a wrong one, then the backward pass of a convolution by
# hand, of pooling and of a whole convolution layer, the transposed convolution seen again, and at the end
# a random kernel that turns into an edge detector by itself.
#
# Feedback works as before: the autograded cell below each exercise shows your points, and an exercise you
# have not started says "not implemented yet".

# %%
import numpy as np
import matplotlib.pyplot as plt

from autograder import check, figures
from autograder.course import worked_examples

# %% [markdown]
# ## The chain rule, one layer at a time
#
# A network is a chain: `images → convolution → pool → … → L`. The **backward pass** walks it in
# reverse. Each layer receives `d_out = dL/d(output)`, an array of its output's shape that says how much
# the loss changes when each output changes, and returns the gradients of `L` with respect to its inputs
# and its weights. By the chain rule an input collects from every output that used it:
#
# `dL/d(input) = sum over the outputs o that used it of d_out[o] * d(o)/d(input)`
#
# A backward function needs nothing but `d_out` and the arguments of its forward call: no layer knows
# the rest of the network. The `d_images` it returns is the `d_out` of the layer below.

# %% [markdown]
# ## Numerical gradients: the check
#
# A derivative is a slope, so it can be measured: move one element of `x` by a small step `eps` up and
# down and see how much `f` changes.
#
# `df/dx_i ≈ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`, where `e_i` is 1 at element `i` and 0 elsewhere.
#
# This **central difference** is exact for a parabola, and its error shrinks like `eps²`; the forward
# difference `(f(x + eps e_i) - f(x)) / eps` only like `eps`. Too small a step is no better: `f` is
# rounded to about {{np.finfo(np.float64).eps}} of its value in float64, and dividing that rounding error by
# `2 eps` magnifies it. The picture measures both effects on one derivative whose exact value is known.

# %%
figures.step_size_errors();

# %% [markdown]
# Three rules follow.
#
# * **Work in float64.** An integer array cannot hold `x + eps` at all (NumPy cuts the value back to an
#   integer when it stores it, so the two points are not `eps` apart and the estimate is garbage), and
#   float32 rounds at {{np.finfo(np.float32).eps}} of a value: the green curve.
#   `np.array(x, dtype=np.float64)` makes a float64 **copy**, so the caller's `x` is never changed.
# * **Move one element at a time.** Adding `eps` to the whole array measures the slope along one
#   direction only, not each partial derivative.
# * **Put it back.** Before the next element, give element `i` back exactly the value it had (by
#   assignment: `+= eps` then `-= eps` does not always return the same float): every partial derivative
#   must be measured at the same point.
#
# **Exercise.** Write `numerical_gradient(f, x, eps=1e-6)`: `f` takes an array of `x`'s shape and returns
# a float; the result is the central difference for every element of `x`, an array of `x`'s shape, float64.
# At most **1** `for` loop, over every element of an array of any shape (`np.ndindex` can help).

# %% [solution]
def numerical_gradient(f, x, eps=1e-6):
    """Gradient of a scalar function by central differences.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for an array of ``x``'s shape.
    x : ndarray
        Where to take the gradient; any real dtype. Left unchanged.
    eps : float
        The step.

    Returns
    -------
    ndarray, shape x.shape, float64
        ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every element ``i``.
    """
    ### BEGIN SOLUTION
    x = np.array(x, dtype=np.float64)      # a float64 copy: the caller's x never changes
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(x)
        x[i] = old - eps
        down = f(x)
        x[i] = old                         # back in place: every element is measured at the same point
        grad[i] = (up - down) / (2 * eps)
    return grad
    ### END SOLUTION


# %% [autograde numerical_gradient]

# %% [markdown]
# Try it on `f(x) = sum(x³) / 3`, whose gradient is `x²` (your function once it passes, the reference's
# until then):

# %%
numerical = figures.yours_or_reference(numerical_gradient)
x = np.array([[-1.0, 0.5], [2.0, 3.0]])
print("numerical:\n", numerical(lambda v: np.sum(v ** 3) / 3, x))
print("exact, x**2:\n", x ** 2)

# %% [markdown]
# ## The chain rule through one convolution, by hand
#
# Back to the 5×5 image and the vertical-edge kernel of notebook 1, 'valid': a
# {{conv_output_size(5, 3)}}×{{conv_output_size(5, 3)}} output. Output `(y, x)` is the window at `(y, x)`
# times the kernel, summed:
#
# `output[y, x] = sum over (i, j) of image[y + i, x + j] * kernel[i, j]`

# %%
image = worked_examples.example("classic image")
kernel = worked_examples.example("vertical edge")
figures.sliding_window(image, kernel, 1, 2);

# %% [markdown]
# Take the loss `L = sum(output)`: every output counts once, so `d_out` is all ones. Each output is a sum
# of products, so each product sends the gradient back to its two factors:
#
# * `d(output[y, x]) / d(kernel[i, j]) = image[y + i, x + j]`. Tap `(i, j)` meets one pixel in every
#   window, and **`d_kernels[i, j]` adds those pixels up, each times its output's `d_out`**. Together they
#   form the block `image[i:i + oh, j:j + ow]`, of the *output's* size (`oh = ow = 3` here, like the
#   kernel). With `d_out` all ones, `d_kernels[0, 0]` is the sum of the top-left block,
#   {{CLASSIC_IMAGE[:3, :3].sum()}}; the picture below shows tap `(0, 1)`, one column to the right.
# * `d(output[y, x]) / d(image[y + i, x + j]) = kernel[i, j]`. Output `(y, x)` sends `d_out[y, x] * kernel`
#   back onto the window it read: **`d_images` is a scatter of the kernel**, one stamp per output, and
#   where windows overlapped the stamps add up.

# %%
d_out = np.ones((3, 3))                  # L = sum(output)
figures.kernel_gradient(image, d_out, 0, 1);

# %%
figures.image_gradient(d_out, kernel, 1, 2);

# %% [markdown]
# The same in code, one output at a time: whatever output `(y, x)` read, it sends its `d_out` back to.

# %%
def by_hand(image, kernel, d_out):
    """d_kernels and d_images of this 'valid' layer, output by output."""
    kh, kw = kernel.shape
    d_kernels, d_images = np.zeros(kernel.shape), np.zeros(image.shape)
    for y, x in np.ndindex(d_out.shape):
        d_kernels += d_out[y, x] * image[y:y + kh, x:x + kw]     # the window output (y, x) read...
        d_images[y:y + kh, x:x + kw] += d_out[y, x] * kernel     # ...gets the kernel back, scaled
    return d_kernels, d_images


d_kernels, d_images = by_hand(image, kernel, d_out)
print("d_kernels:\n", d_kernels, "\nd_images:\n", d_images)
reference_backward = figures.reference_stand_in("convolve_backward")
ref_images, ref_kernels, ref_bias = reference_backward(d_out[None, :, :, None], image[None, :, :, None],
                                                       kernel[:, :, None, None], "valid")
print("the course's convolve_backward agrees:", np.allclose(d_kernels, ref_kernels[:, :, 0, 0]),
      np.allclose(d_images, ref_images[0, :, :, 0]), "| d_bias =", ref_bias)

# %% [markdown]
# `d_images` does not depend on the image, nor `d_kernels` on the kernel: the layer is linear in each.
# The bias is added once to every output, so `d_bias = sum(d_out)`,
# {{convolve_backward(np.ones((1, 3, 3, 1)), CLASSIC_IMAGE[None, :, :, None], VERTICAL_EDGE[:, :, None, None], 'valid')[2][0]}}
# here.
#
# Now check both against central differences of `L`, with your `numerical_gradient` (or the reference's).
# The forward pass below is the 'valid' convolution of this example, one window at a time:

# %%
def layer(image, kernel):
    """output[y, x] = sum(window at (y, x) * kernel), for this example's 3x3 kernel."""
    oh, ow = image.shape[0] - 2, image.shape[1] - 2
    return np.array([[np.sum(image[y:y + 3, x:x + 3] * kernel) for x in range(ow)] for y in range(oh)])


numerical = figures.yours_or_reference(numerical_gradient)
by_kernel = numerical(lambda k: float(np.sum(layer(image, k) * d_out)), kernel)
by_image = numerical(lambda im: float(np.sum(layer(im, kernel) * d_out)), image)
print("d_kernels matches central differences:", np.allclose(by_kernel, d_kernels))
print("d_images matches central differences: ", np.allclose(by_image, d_images))

# %% [markdown]
# A loss that is not a plain sum weights the outputs differently. Say only one output counts,
# `L = output[1, 2]`: `d_out` is 1 there and 0 elsewhere. Then `d_kernels` is the window that output
# read, and `d_images` the kernel put back where it read. Any `d_out` is a weighted sum of such one-output
# cases, so its gradients are the same weighted sum.

# %%
one = np.zeros((3, 3))
one[1, 2] = 1.0                          # L = output[1, 2]
d_kernels, d_images = by_hand(image, kernel, one)
print("d_kernels:\n", d_kernels, "\nthe window of output (1, 2):\n", image[1:4, 2:5])
print("d_images:\n", d_images + 0.0)

# %% [markdown]
# ## The gradient of max pooling
#
# A max pool passes on only the largest value of each window, so only that cell moves the output:
# `d(output)/d(cell)` is 1 for the maximum and 0 for every other cell. The gradient is a **mask**: each
# window sends its `d_out` to the cell of its maximum. Two details decide whether it is right:
#
# * **Ties.** When two cells share the maximum (common in `uint8` images, where bright pixels saturate at
#   {{np.iinfo(np.uint8).max}}), only one may get the gradient, or it would be counted twice. The rule
#   (PyTorch's, and the course's) is the **first** maximum in row-major order, which is what `np.argmax`
#   returns.
# * **Overlap.** When windows overlap (a stride smaller than the window), one cell can be the maximum of
#   several windows: it receives the sum of their `d_out` (`+=`, never `=`).
#
# Below, the 4×4 pooling example of notebook 4 with a `d_out` of distinct values, so that you can see
# where each one goes: first 2×2 windows at stride 2, then 3×3 windows at stride 1, which all overlap.

# %%
pooled_input = worked_examples.example("pool example")
d_pool = np.arange(1.0, 5.0).reshape(2, 2)
figures.pool_gradient(pooled_input, d_pool, (2, 2), (2, 2), "max");

# %%
figures.pool_gradient(pooled_input, d_pool, (3, 3), (1, 1), "max");

# %% [markdown]
# An **average** pool uses every counted cell of its window equally, `output = sum(window) / n`, so each of
# the `n` cells gets `d_out / n`. With 'same' padding `n` counts only the real cells, as in the forward pass
# of notebook 4, and padded cells get nothing:

# %%
figures.pool_gradient(pooled_input, d_pool, (3, 3), (2, 2), "avg", "same");

# %% [markdown]
# **Exercise.** Write `pool_backward(d_out, images, kernel_shape, stride, mode='max', padding='valid')`:
#
# * `d_out (m, oh, ow, c)`: the gradient of the pooled output; the other arguments are the forward call's;
# * returns `d_images`, shape `(m, h, w, c)`, float64.
#
# At most **2** `for` loops, every image and channel at once. Two ways fit the budget:
#
# * loop over the output positions: flatten each window to `(m, kh * kw, c)`; `argmax(axis=1)` is the index
#   of its first maximum, and comparing `np.arange(kh * kw)` with that index gives the mask;
# * or loop over the kernel's taps, as in notebook 4, with fewer and bigger NumPy operations, in two passes
#   of `for t in range(kh * kw)` (`a, b = divmod(t, kw)`): the first finds every window's maximum, the
#   second visits the taps in row-major order and hands each window's `d_out` to the first tap that holds
#   its maximum (keep a boolean array of the windows already served).
#
# Either way, work in a padded copy (padded with `-np.inf` for the max, so that a padded cell never wins)
# and crop at the end; for 'same', `total = max((oh - 1) * sh + kh - h, 0)` padded cells (`-inf` for the
# max), `total // 2` before and the rest after, as in notebook 2 (take `oh` from `d_out`). For the average, pad an array of ones with zeros to count each
# window's real cells.

# %% [solution]
def pool_backward(d_out, images, kernel_shape, stride, mode="max", padding="valid"):
    """Gradient of max or average pooling with respect to its images.

    Parameters
    ----------
    d_out : ndarray, shape (m, oh, ow, c)
        Gradient of the loss with respect to the pooled output.
    images : ndarray, shape (m, h, w, c)
        The forward call's images.
    kernel_shape : tuple (kh, kw)
    stride : tuple (sh, sw)
    mode : {'max', 'avg'}
    padding : {'valid', 'same'}

    Returns
    -------
    ndarray, shape (m, h, w, c), float64
        'max': each window's d_out goes to its first maximum (row-major); 'avg': it is spread evenly over
        the window's real cells. Where windows overlap, their gradients add up.
    """
    ### BEGIN SOLUTION
    m, h, w, c = images.shape
    (kh, kw), (sh, sw) = kernel_shape, stride
    oh, ow = d_out.shape[1:3]
    if padding == "same":
        th, tw = max((oh - 1) * sh + kh - h, 0), max((ow - 1) * sw + kw - w, 0)
    else:
        th, tw = 0, 0
    top, left = th // 2, tw // 2
    pads = ((0, 0), (top, th - top), (left, tw - left), (0, 0))
    x = np.pad(images.astype(np.float64), pads, constant_values=-np.inf)
    real = np.pad(np.ones((1, h, w, 1)), pads)              # 1 on the image, 0 on the padding
    d = np.asarray(d_out, dtype=np.float64)
    span_h, span_w = (oh - 1) * sh + 1, (ow - 1) * sw + 1
    best = np.full(d.shape, -np.inf)
    count = np.zeros((1, oh, ow, 1))
    for t in range(kh * kw):            # pass 1, tap by tap: each window's maximum and its number of real cells
        a, b = divmod(t, kw)
        best = np.maximum(best, x[:, a:a + span_h:sh, b:b + span_w:sw])
        count += real[:, a:a + span_h:sh, b:b + span_w:sw]
    dx = np.zeros(x.shape)
    free = np.ones(d.shape, dtype=bool)                      # windows whose maximum has not been found yet
    for t in range(kh * kw):            # pass 2, taps in row-major order, so the first maximum takes it
        a, b = divmod(t, kw)
        cells = (slice(None), slice(a, a + span_h, sh), slice(b, b + span_w, sw))
        if mode == "max":
            first = free & (x[cells] == best)
            free &= ~first
            dx[cells] += first * d
        else:
            dx[cells] += real[cells] * d / count
    return dx[:, top:top + h, left:left + w]
    ### END SOLUTION


# %% [autograde pool_backward]

# %% [markdown]
# Now the check every backward function must pass: the loss `L = sum(pool(images) * r)` for a random `r`
# (so `d_out = r`), its gradient from your `pool_backward` against central differences of `L`, on a small
# random batch with overlapping 3×3 windows. The cell says whose functions ran; change the arguments (try
# `mode="avg", padding="same"`) and run it again.

# %%
backward = figures.yours_or_reference(pool_backward)
numerical = figures.yours_or_reference(numerical_gradient)
figures.gradient_check(backward, numerical, "pooling", kernel_shape=(3, 3), stride=(2, 2), mode="max");

# %% [markdown]
# ## The backward pass of a convolution layer
#
# The layer `convolve(images, kernels, padding, stride, dilation) + bias` follows the same two rules as
# the example by hand, with sums over the batch and the channels. Output `(b, y, x, o)` read the padded
# pixel `padded[b, y * sh + i * dh, x * sw + j * dw, ci]` through the weight `kernels[i, j, ci, o]`. For tap
# `(i, j)`, the pixels it met form the strided slice
#
# `window = padded[:, i*dh : i*dh + (oh - 1)*sh + 1 : sh, j*dw : j*dw + (ow - 1)*sw + 1 : sw, :]`,
#
# of shape `(m, oh, ow, c)` (`padded`: the images with the forward call's zeros), and then
#
# * **`d_kernels[i, j]`**, shape `(c, nc)`, sums pixel times `d_out` over every image and position: a
#   contraction of `window` `(m, oh, ow, c)` with `d_out` `(m, oh, ow, nc)` over their first three axes;
# * **`d_images`** gets, in that same slice of a zero array of the padded shape, each output's `d_out`
#   sent back through the tap's weights `kernels[i, j]` `(c, nc)`: an `(m, oh, ow, c)` array, added with
#   `+=`; crop the padding off at the end, since padded cells are not inputs and get no gradient;
# * **`d_bias`**, shape `(nc,)`, adds `d_out` over every image and position: every output of every image
#   added the bias once.
#
# **Exercise.** Write `convolve_backward(d_out, images, kernels, padding='same', stride=(1, 1),
# dilation=(1, 1))`, returning `(d_images, d_kernels, d_bias)` of shapes `images.shape`, `kernels.shape` and
# `(nc,)`, float64. `padding` is `'valid'`, `'same'` (Keras' rule of notebook 2, with the dilated kernel's
# size `(k - 1) * d + 1`; the extra zero goes after) or `(ph, pw)`. Take `oh, ow` from `d_out`. At most
# **3** `for` loops (2 over the taps suffice).

# %% [solution]
def convolve_backward(d_out, images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    """Gradients of the layer ``convolve(images, kernels, padding, stride, dilation) + bias``.

    Parameters
    ----------
    d_out : ndarray, shape (m, oh, ow, nc)
        Gradient of the loss with respect to the layer's output.
    images : ndarray, shape (m, h, w, c)
    kernels : ndarray, shape (kh, kw, c, nc)
    padding : {'valid', 'same'} or tuple (ph, pw)
    stride : tuple (sh, sw)
    dilation : tuple (dh, dw)
        The forward call's arguments.

    Returns
    -------
    d_images : ndarray, shape (m, h, w, c), float64
    d_kernels : ndarray, shape (kh, kw, c, nc), float64
    d_bias : ndarray, shape (nc,), float64
    """
    ### BEGIN SOLUTION
    m, h, w, c = images.shape
    kh, kw, _, nc = kernels.shape
    (sh, sw), (dh, dw) = stride, dilation
    oh, ow = d_out.shape[1:3]
    if padding == "same":
        th = max((oh - 1) * sh + (kh - 1) * dh + 1 - h, 0)
        tw = max((ow - 1) * sw + (kw - 1) * dw + 1 - w, 0)
        top, bottom, left, right = th // 2, th - th // 2, tw // 2, tw - tw // 2
    elif padding == "valid":
        top = bottom = left = right = 0
    else:
        top = bottom = padding[0]
        left = right = padding[1]
    x = np.pad(images.astype(np.float64), ((0, 0), (top, bottom), (left, right), (0, 0)))
    d = np.asarray(d_out, dtype=np.float64)
    dx = np.zeros(x.shape)
    dk = np.zeros(kernels.shape)
    for i in range(kh):
        for j in range(kw):
            ys = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
            xs = slice(j * dw, j * dw + (ow - 1) * sw + 1, sw)
            dk[i, j] = np.einsum("mhwc,mhwn->cn", x[:, ys, xs], d)
            dx[:, ys, xs] += d @ kernels[i, j].T
    return dx[:, top:top + h, left:left + w], dk, d.sum(axis=(0, 1, 2))
    ### END SOLUTION


# %% [autograde convolve_backward]

# %% [markdown]
# The same check for the convolution: `L = sum((convolve(images, kernels) + bias) * r)` on a small random
# batch, 'same' padding and stride 2, with `d_images`, `d_kernels` and `d_bias` each against central
# differences. Try `padding="valid"` or `dilation=(2, 2)` too.

# %%
backward = figures.yours_or_reference(convolve_backward)
numerical = figures.yours_or_reference(numerical_gradient)
figures.gradient_check(backward, numerical, "convolution", padding="same", stride=(2, 2));

# %% [markdown]
# ## The transposed convolution is `d_images`
#
# Look at `d_images` once more: each output stamps `d_out[y, x] * kernel` at `(y * s, x * s)` and the
# stamps add up. That is the transposed convolution of notebook 6, applied to `d_out` with the layer's own
# kernel. Here a layer with stride 2 ('valid', 5×5 → {{conv_output_size(5, 3, 'valid', 2)}}×{{conv_output_size(5, 3, 'valid', 2)}})
# and a tent-shaped kernel:

# %%
tent = np.outer([0.5, 1.0, 0.5], [0.5, 1.0, 0.5])
d_small = np.array([[1.0, 2.0], [3.0, 4.0]])
figures.transpose_scatter(d_small, tent, stride=2);

# %%
reference_backward = figures.reference_stand_in("convolve_backward")
transpose = figures.reference_stand_in("convolve_transpose")
zeros = np.zeros((1, 5, 5, 1))                          # d_images does not depend on the images
d_images = reference_backward(d_small[None, :, :, None], zeros, tent[:, :, None, None], "valid", (2, 2))[0]
upsampled = transpose(d_small[None, :, :, None], tent[:, :, None, None], "valid", (2, 2))
print("d_images of the stride-2 layer:\n", d_images[0, :, :, 0])
print("convolve_transpose(d_out, kernel, 'valid', (2, 2)):\n", upsampled[0, :, :, 0])
print("equal:", np.allclose(d_images, upsampled))

# %% [markdown]
# With channels the layer's kernels have shape `(kh, kw, c, nc)`: Keras' `Conv2D` layout, input channels
# then filters. `convolve_transpose` reads kernels in Keras' `Conv2DTranspose` layout, `(kh, kw, filters,
# input channels)`, so the **same array** is a transposed layer from `nc` channels back to `c`, with no
# axes swapped: `Conv2DTranspose` stores output channels before input channels (PyTorch does the same:
# `Conv2d` weights are `(out, in, kh, kw)`, `ConvTranspose2d` weights `(in, out, kh, kw)`).

# %%
rng = np.random.default_rng(1)
kernels = rng.standard_normal((3, 3, 2, 4))             # a layer from 2 channels to 4 filters
images = rng.standard_normal((1, 7, 7, 2))
forward = figures.reference_stand_in("convolve")
d_out = rng.standard_normal(forward(images, kernels, "valid", (2, 2)).shape)
d_images = reference_backward(d_out, images, kernels, "valid", (2, 2))[0]
print("d_out:", d_out.shape, "-> d_images:", d_images.shape)
print("d_images == convolve_transpose(d_out, kernels):",
      np.allclose(d_images, transpose(d_out, kernels, "valid", (2, 2))))

# %% [markdown]
# The sizes agree when the strided windows end on the input's last row and column, as here. Otherwise the
# rows no window reached get no gradient: an 8×8 input gives a
# {{conv_output_size(8, 3, 'valid', 2)}}×{{conv_output_size(8, 3, 'valid', 2)}} output, whose transposed
# convolution has {{transpose_output_size(conv_output_size(8, 3, 'valid', 2), 3, 'valid', 2)}} rows and columns:
# `d_images` is that with {{8 - transpose_output_size(conv_output_size(8, 3, 'valid', 2), 3, 'valid', 2)}} row
# and column of zeros added below and to the right.

# %% [markdown]
# ## Learning a kernel
#
# Now put the gradients to work. A hidden layer, the Sobel x kernel of notebook 1, turns crops of the
# photograph into targets. A random 3×3 kernel (and a zero bias) then repeats one step of **gradient
# descent**:
#
# 1. forward pass, `output = convolve(images, kernel, 'valid') + bias`;
# 2. mean squared error `L = mean((output - target)²)`, so `d_out = 2 * (output - target) / output.size`;
# 3. `convolve_backward` gives `d_kernels` and `d_bias`;
# 4. `kernel -= lr * d_kernels`, `bias -= lr * d_bias`.
#
# Your `convolve_backward` computes the gradients once it passes (the forward pass is the course's
# `convolve`). The loop stops when the loss is small enough.

# %%
backward = figures.yours_or_reference(convolve_backward)
figures.learn_kernel(backward, figures.reference_stand_in("convolve"), hidden="Sobel x", lr=0.1);

# %% [markdown]
# On the log scale, a straight stretch of the curve means each step cuts the loss by the same fraction
# (the caption measures it over the last half). That fraction is set by the data: neighbouring pixels of
# a photograph are nearly equal, so some combinations of the nine weights barely change the output, and
# those are learned slowly. Can a larger learning rate make up for it?
#
# Only up to a point. This loss is a quadratic bowl in the ten parameters (nine weights and the bias). Its
# curvatures, the eigenvalues of its Hessian `2 XᵀX / N` (`X`: the {{16 * conv_output_size(32, 3) ** 2}}
# windows, with a column of ones for the bias), run from {{round(kernel_curvatures()[0], 2)}} to
# {{round(kernel_curvatures()[-1], 1)}} on these crops. One step multiplies the error along a direction of
# curvature `c` by `1 - lr·c`. The flattest direction sets the pace: at `lr=0.1` its error shrinks by
# `1 - 0.1 × {{round(kernel_curvatures()[0], 2)}}` per step, so the loss, its square, falls by
# {{round(100 * (1 - (1 - 0.1 * kernel_curvatures()[0]) ** 2), 1)}}% a step, close to the caption's measured
# figure. A larger `lr` speeds that direction up, until `lr` passes `2 / {{round(kernel_curvatures()[-1], 1)}}`
# = {{round(2 / kernel_curvatures()[-1], 3)}}. Beyond that, the steepest direction's factor `1 - lr·c` is below
# -1: each step overshoots by more than it corrects, and the loss grows. Try `lr=0.17` (faster), then `lr=0.3`
# (it diverges within a few steps), or another hidden kernel (`hidden="Sobel y"`: the same curvatures, so the
# same pace), and run the cell again. Taming that spread of curvatures is what momentum, Adam and
# normalising the inputs are for.
#
# Notebook 8 puts your layers and these gradients together and trains a small CNN.
