# %% [markdown]
# # 2. Padding, stride and dilation
#
# A 3×3 kernel on a 28×28 image gives a {{conv_output_size(28, 3)}}×{{conv_output_size(28, 3)}} output: every layer shaves off a border. Three knobs
# control the output size:
#
# * **padding** adds zeros around the image, so the kernel can centre on edge pixels;
# * **stride** moves the kernel by more than one pixel at a time, shrinking the output;
# * **dilation** spreads the kernel's taps apart, widening its view without new weights.

# %%
import numpy as np
import matplotlib.pyplot as plt

from autograder import check, figures

# %% [markdown]
# ## The output-size formula
#
# Along one axis, with input size `n`, kernel size `k`, stride `s`, dilation `d` and `p_before` /
# `p_after` zeros:
#
# * the kernel covers `k_eff = (k - 1) * d + 1` pixels,
# * `out = (n + p_before + p_after - k_eff) // s + 1`.
#
# With **'valid'** padding there are no zeros. With an int `p`, there are `p` zeros on each side.
# With **'same'** (the Keras/TensorFlow rule) the output has `out = ceil(n / s)` positions, and the
# zeros needed for that are `total = max((out - 1) * s + k_eff - n, 0)`, split as
# `before = total // 2`, `after = total - before`. When `total` is odd the **extra zero goes after**
# (below and to the right).
#
# **Exercise.** Write `conv_output_size(n, k, padding='valid', stride=1, dilation=1)`: `padding` is
# `'valid'`, `'same'` or an int. Return an int.

# %% [solution]
def conv_output_size(n, k, padding="valid", stride=1, dilation=1):
    """Number of output positions along one axis.

    Parameters
    ----------
    n, k : int
        Input size and kernel size.
    padding : {'valid', 'same'} or int
        'valid' (no zeros), 'same' (Keras' rule) or p zeros on each side.
    stride, dilation : int

    Returns
    -------
    int
    """
    ### BEGIN SOLUTION
    k_eff = (k - 1) * dilation + 1
    if isinstance(padding, str) and padding == "same":
        return -(-n // stride)
    total = 0 if isinstance(padding, str) and padding == "valid" else 2 * padding
    return (n + total - k_eff) // stride + 1
    ### END SOLUTION


# %% [autograde output_size]

# %% [markdown]
# The table below uses your function once it passes (else the reference's): the sizes you will meet
# again and again.

# %%
size = figures.yours_or_reference(conv_output_size)
rows = [(28, 3, "valid", 1, 1), (28, 5, "valid", 1, 1), (26, 3, "valid", 1, 1), (13, 3, "valid", 1, 1),
        (28, 3, "same", 1, 1), (28, 4, "same", 1, 1), (28, 3, "same", 2, 1), (28, 3, "valid", 2, 1),
        (28, 3, 1, 1, 1), (28, 3, "valid", 1, 2)]
print(f"{'n':>3} {'k':>3} {'padding':>8} {'stride':>6} {'dilation':>8}  ->  out")
for n, k, p, s, d in rows:
    print(f"{n:>3} {k:>3} {p!r:>8} {s:>6} {d:>8}  ->  {size(n, k, p, s, d)}")

# %% [markdown]
# ## Valid and same, in pictures
#
# Blue is the image, the numbers around it are the zeros, the red square is the kernel's first position.
# With an odd kernel the border is symmetric. With an **even** kernel (4×4 below) 'same' needs an odd
# number of zeros, and the extra one goes *after*. With stride 2, 'same' pads only what the strided
# windows need: an 8×8 image and a 3×3 kernel at stride 2 give {{conv_output_size(8, 3, 'same', 2)}} windows
# across, which need {{axis_geometry(8, 3, 'same', 2).before}} zeros before and
# {{axis_geometry(8, 3, 'same', 2).after}} after, where stride 1 pads {{axis_geometry(8, 3, 'same', 1).before}}
# before and {{axis_geometry(8, 3, 'same', 1).after}} after.

# %%
figures.zero_padding(5, 3, "same");

# %%
figures.zero_padding(6, 4, "same");

# %%
figures.zero_padding(8, 3, "same", stride=2);

# %% [markdown]
# ### A popular wrong formula
#
# Many tutorials compute 'same' padding as `p = ((h - 1) * s + k - h) // 2 + 1`. The `+ 1` adds one zero
# too many on each side. For a 28×28 image and a 3×3 kernel at stride 1 it gives
# `p = {{((28 - 1) * 1 + 3 - 28) // 2 + 1}}`, so the output is
# {{conv_output_size(28, 3, ((28 - 1) * 1 + 3 - 28) // 2 + 1)}}×{{conv_output_size(28, 3, ((28 - 1) * 1 + 3 - 28) // 2 + 1)}}
# instead of {{conv_output_size(28, 3, 'same')}}×{{conv_output_size(28, 3, 'same')}}: not "same" at all.

# %%
size = figures.yours_or_reference(conv_output_size)
h, k, s = 28, 3, 1
wrong_p = ((h - 1) * s + k - h) // 2 + 1
print("wrong p =", wrong_p, "-> output", size(h, k, wrong_p, s), "x", size(h, k, wrong_p, s))
print("'same'   -> output", size(h, k, "same", s), "x", size(h, k, "same", s))

# %% [markdown]
# ## Exercise: 'same' convolution
#
# Write `convolve_grayscale_same(images, kernel)`: `images` has shape `(m, h, w)`, `kernel` `(kh, kw)`,
# and the result has shape `(m, h, w)`. Pad with `np.pad` (it returns a new array: never change the
# input), then reuse the idea of notebook 1. At most **2** `for` loops.
#
# A fast way to use your 2 loops: loop over the kernel's taps `(a, b)`. Tap `(a, b)` multiplies, for every
# output pixel at once, the padded image shifted by `(a, b)`: `padded[:, a:a + oh, b:b + ow]`.

# %% [solution]
def convolve_grayscale_same(images, kernel):
    """'same' cross-correlation of grayscale images (Keras' padding: the extra zero after).

    Parameters
    ----------
    images : ndarray, shape (m, h, w)
    kernel : ndarray, shape (kh, kw)

    Returns
    -------
    ndarray, shape (m, h, w), float
    """
    ### BEGIN SOLUTION
    m, h, w = images.shape
    kh, kw = kernel.shape
    top, left = (kh - 1) // 2, (kw - 1) // 2
    padded = np.pad(images.astype(float), ((0, 0), (top, kh - 1 - top), (left, kw - 1 - left)))
    out = np.zeros((m, h, w))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * padded[:, a:a + h, b:b + w]
    return out
    ### END SOLUTION


# %% [autograde convolve_grayscale_same]

# %% [markdown]
# ## Exercise: explicit padding
#
# Write `convolve_grayscale_padding(images, kernel, padding)`, where `padding = (ph, pw)` adds `ph` zeros
# above *and* below, `pw` left *and* right. The output has shape `(m, h + 2 ph - kh + 1, w + 2 pw - kw + 1)`.

# %% [solution]
def convolve_grayscale_padding(images, kernel, padding):
    """Cross-correlation of grayscale images with ph zeros above and below, pw left and right.

    Parameters
    ----------
    images : ndarray, shape (m, h, w)
    kernel : ndarray, shape (kh, kw)
    padding : tuple of 2 ints (ph, pw)

    Returns
    -------
    ndarray, shape (m, h + 2 ph - kh + 1, w + 2 pw - kw + 1), float
    """
    ### BEGIN SOLUTION
    ph, pw = padding
    kh, kw = kernel.shape
    padded = np.pad(images.astype(float), ((0, 0), (ph, ph), (pw, pw)))
    oh, ow = padded.shape[1] - kh + 1, padded.shape[2] - kw + 1
    out = np.zeros((images.shape[0], oh, ow))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * padded[:, a:a + oh, b:b + ow]
    return out
    ### END SOLUTION


# %% [autograde convolve_grayscale_padding]

# %% [markdown]
# ## Stride and dilation
#
# With stride `(sh, sw)` the window moves `sh` rows down and `sw` columns across: output `(i, j)` reads
# the window whose top-left pixel is `(i * sh, j * sw)`. The dots show where the windows start.

# %%
figures.stride_grid(7, 3, (2, 2));

# %% [markdown]
# With dilation `(dh, dw)`, kernel tap `(a, b)` reads the pixel `(a * dh, b * dw)` away from the window's
# corner: a 3×3 kernel with dilation 2 sees a {{R.geometry.effective_kernel_size(3, 2)}}×{{R.geometry.effective_kernel_size(3, 2)}} area with the same 9 weights. Stacking dilated layers
# grows the receptive field quickly, which is why segmentation networks use them.

# %%
figures.dilated_taps(3, (1, 2, 3));

# %% [markdown]
# ## Exercise: the general grayscale convolution
#
# Write `convolve_grayscale(images, kernel, padding='same', stride=(1, 1), dilation=(1, 1))`:
#
# * `padding` is `'same'`, `'valid'` or `(ph, pw)`; compare strings with `==`, never `is`;
# * 'same' follows the rule above, computed with the stride and the dilated kernel size `k_eff`;
# * with taps, tap `(a, b)` now reads `padded[:, a * dh : a * dh + (oh - 1) * sh + 1 : sh, ...]`.
#
# At most **2** `for` loops. Your `conv_output_size` logic will help.

# %% [solution]
def convolve_grayscale(images, kernel, padding="same", stride=(1, 1), dilation=(1, 1)):
    """Cross-correlation of grayscale images with padding, stride and dilation.

    Parameters
    ----------
    images : ndarray, shape (m, h, w)
    kernel : ndarray, shape (kh, kw)
    padding : 'same', 'valid' or tuple (ph, pw)
    stride, dilation : tuple of 2 ints

    Returns
    -------
    ndarray, shape (m, oh, ow), float
    """
    ### BEGIN SOLUTION
    m, h, w = images.shape
    kh, kw = kernel.shape
    (sh, sw), (dh, dw) = stride, dilation
    eh, ew = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if isinstance(padding, str) and padding == "same":
        th = max((-(-h // sh) - 1) * sh + eh - h, 0)
        tw = max((-(-w // sw) - 1) * sw + ew - w, 0)
        pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    elif isinstance(padding, str) and padding == "valid":
        pads = ((0, 0), (0, 0))
    else:
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    padded = np.pad(images.astype(float), ((0, 0),) + pads)
    oh = (padded.shape[1] - eh) // sh + 1
    ow = (padded.shape[2] - ew) // sw + 1
    out = np.zeros((m, oh, ow))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * padded[:, a * dh:a * dh + (oh - 1) * sh + 1:sh,
                                         b * dw:b * dw + (ow - 1) * sw + 1:sw]
    return out
    ### END SOLUTION


# %% [autograde convolve_grayscale]

# %% [markdown]
# ## Try it on the photograph
#
# The same Sobel kernel with stride 2 halves the size; with dilation 4 it finds coarser edges.

# %%
photo = figures.sample_photo(256)
sobel = figures.KERNELS["Sobel x"]
conv = figures.yours_or_reference(convolve_grayscale)
fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
for ax, (title, kwargs) in zip(axes, [("stride 1", {}), ("stride 2", {"stride": (2, 2)}),
                                      ("dilation 4", {"dilation": (4, 4)})]):
    fmap = conv(photo[None], sobel, "same", **kwargs)[0]
    ax.imshow(fmap, cmap="RdBu_r", vmin=-2, vmax=2)
    ax.set_title(f"{title}: {fmap.shape[0]}x{fmap.shape[1]}")
    ax.axis("off")
figures.caption(fig, "Stride 2 keeps every other row and column; dilation 4 compares pixels 4 apart: "
                     "thicker, coarser edges.");
