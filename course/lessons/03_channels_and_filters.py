# %% [markdown]
# # 3. Channels and filters
#
# Real images have **channels**: red, green and blue. The feature maps inside a network have many more
# (32, 64, 512...). This notebook extends convolution to channels, then to **many filters** at once, and
# ends with the cheap variants that mobile networks use: 1×1, depthwise and separable convolutions.

# %%
import numpy as np
import matplotlib.pyplot as plt

from autograder import check, figures

# %% [markdown]
# ## Shapes
#
# This course stores images **channels-last**, as Keras does: a batch is `images (m, h, w, c)`.
#
# * One filter spans **all** input channels: `kernel (kh, kw, c)`. At each position it multiplies a
#   `kh × kw × c` block of the image by its weights and sums *everything*: one number, so one output map
#   `(m, oh, ow)`.
# * A layer has `nc` filters: `kernels (kh, kw, c, nc)`, output `(m, oh, ow, nc)`: one map per filter.
#
# PyTorch stores batches **channels-first**, `(m, c, h, w)`. Converting is a transpose, not a reshape:

# %%
rgb = figures.sample_photo_rgb(128)
batch = rgb[None]                                   # (1, h, w, 3): channels-last
channels_first = np.moveaxis(batch, -1, 1)          # (1, 3, h, w): what PyTorch expects
print("channels-last ", batch.shape, "\nchannels-first", channels_first.shape)
print("same pixel, same values:", np.array_equal(batch[0, 10, 20], channels_first[0, :, 10, 20]))

# %% [markdown]
# ## A helper first
#
# Every function of this notebook pads its images the same way. Write the helper once:
# `pad_images(images, kernel_shape, padding, stride, dilation)` returns the padded batch (as floats)
# and the output size `(oh, ow)`. `padding` is `'same'`, `'valid'` or `(ph, pw)`, with the rules of
# notebook 2 (Keras' 'same': the extra zero goes after). It is not graded on its own, but the next three
# exercises use it, and its loops count in their loop budgets: use none.

# %% [solution]
def pad_images(images, kernel_shape, padding, stride=(1, 1), dilation=(1, 1)):
    """Zero-pad a batch for a sliding window.

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
    kernel_shape : tuple (kh, kw)
    padding : 'same', 'valid' or tuple (ph, pw)
    stride, dilation : tuple of 2 ints

    Returns
    -------
    padded : ndarray, shape (m, h + zeros, w + zeros, c), float
    oh, ow : int
        The output size.
    """
    ### BEGIN SOLUTION
    def axis(n, k, s, d, p):
        k_eff = (k - 1) * d + 1
        if isinstance(padding, str) and padding == "same":
            total = max((-(-n // s) - 1) * s + k_eff - n, 0)
            before, after = total // 2, total - total // 2
        elif isinstance(padding, str) and padding == "valid":
            before = after = 0
        else:
            before = after = p
        return (before, after), (n + before + after - k_eff) // s + 1

    ph, pw = (0, 0) if isinstance(padding, str) else padding
    rows, oh = axis(images.shape[1], kernel_shape[0], stride[0], dilation[0], ph)
    cols, ow = axis(images.shape[2], kernel_shape[1], stride[1], dilation[1], pw)
    padded = np.pad(images.astype(float), ((0, 0), rows, cols, (0, 0)))
    return padded, oh, ow
    ### END SOLUTION


# %% [markdown]
# ## Exercise: one filter over all channels
#
# Write `convolve_channels(images, kernel, padding='same', stride=(1, 1), dilation=(1, 1))`:
# `images (m, h, w, c)`, `kernel (kh, kw, c)`, result `(m, oh, ow)`. At most **2** `for` loops.
#
# Hint: with a loop over the taps `(a, b)`, the shifted block `padded[:, rows, cols, :]` has shape
# `(m, oh, ow, c)` and `kernel[a, b]` has shape `(c,)`: the matrix product `@` sums over the channels.

# %% [solution]
def convolve_channels(images, kernel, padding="same", stride=(1, 1), dilation=(1, 1)):
    """Cross-correlation of multi-channel images with one filter spanning every channel.

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
    kernel : ndarray, shape (kh, kw, c)
    padding : 'same', 'valid' or tuple (ph, pw)
    stride, dilation : tuple of 2 ints

    Returns
    -------
    ndarray, shape (m, oh, ow), float
    """
    ### BEGIN SOLUTION
    kh, kw = kernel.shape[:2]
    (sh, sw), (dh, dw) = stride, dilation
    padded, oh, ow = pad_images(images, (kh, kw), padding, stride, dilation)
    out = np.zeros((images.shape[0], oh, ow))
    for a in range(kh):
        for b in range(kw):
            block = padded[:, a * dh:a * dh + (oh - 1) * sh + 1:sh, b * dw:b * dw + (ow - 1) * sw + 1:sw, :]
            out += block @ kernel[a, b]
    return out
    ### END SOLUTION


# %% [autograde convolve_channels]

# %% [markdown]
# ## Exercise: many filters
#
# Write `convolve(images, kernels, padding='same', stride=(1, 1), dilation=(1, 1))`:
# `kernels (kh, kw, c, nc)`, result `(m, oh, ow, nc)`. At most **3** `for` loops (2 are enough: the
# product of a `(m, oh, ow, c)` block with a `(c, nc)` matrix gives all `nc` maps at once).

# %% [solution]
def convolve(images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    """Cross-correlation of multi-channel images with a bank of nc filters.

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
    kernels : ndarray, shape (kh, kw, c, nc)
    padding : 'same', 'valid' or tuple (ph, pw)
    stride, dilation : tuple of 2 ints

    Returns
    -------
    ndarray, shape (m, oh, ow, nc), float
    """
    ### BEGIN SOLUTION
    kh, kw, _, nc = kernels.shape
    (sh, sw), (dh, dw) = stride, dilation
    padded, oh, ow = pad_images(images, (kh, kw), padding, stride, dilation)
    out = np.zeros((images.shape[0], oh, ow, nc))
    for a in range(kh):
        for b in range(kw):
            block = padded[:, a * dh:a * dh + (oh - 1) * sh + 1:sh, b * dw:b * dw + (ow - 1) * sw + 1:sw, :]
            out += block @ kernels[a, b]
    return out
    ### END SOLUTION


# %% [autograde convolve]

# %% [markdown]
# Four filters on the colour photograph: two edge detectors that read only the green channel's
# brightness changes, one "redness" detector (red minus blue), and a colour-blind blur.

# %%
kernels = np.zeros((3, 3, 3, 4))
kernels[:, :, 1, 0] = figures.KERNELS["Sobel x"]             # vertical edges in green
kernels[:, :, 1, 1] = figures.KERNELS["Sobel y"]             # horizontal edges in green
kernels[1, 1, :, 2] = [1.0, 0.0, -1.0]                      # red minus blue, pixel by pixel
kernels[:, :, :, 3] = 1.0 / 27                              # average of all 27 values
figures.channels_picture(rgb, kernels, convolve=figures.yours_or_reference(convolve));

# %% [markdown]
# ## 1×1 convolutions
#
# A 1×1 filter looks at one pixel, across all its channels: it **mixes channels** without looking at
# neighbours, i.e. the same small dense layer applied at every pixel. Networks use them to change the
# number of channels cheaply. The cell checks that a 1×1 convolution is a matrix product per pixel.

# %%
x = np.random.default_rng(0).standard_normal((2, 5, 5, 16))
w = np.random.default_rng(1).standard_normal((1, 1, 16, 4))
conv = figures.yours_or_reference(convolve)
print("1x1 conv == x @ W at every pixel:", np.allclose(conv(x, w, "valid"), x @ w[0, 0]))

# %% [markdown]
# ## Depthwise and separable convolutions
#
# A **depthwise** convolution gives each input channel its own `kh × kw` kernels and never mixes
# channels: `kernels (kh, kw, c, multiplier)`, output channel `ci * multiplier + j` is channel `ci`
# correlated with `kernels[:, :, ci, j]`, so the output has `c * multiplier` channels.
# A **separable** convolution is a depthwise one followed by a 1×1 convolution that mixes channels.
#
# For 3×3 filters from 32 to 64 channels, a standard layer has {{conv_params(3, 3, 32, 64)}} parameters
# and a separable one {{separable_params(3, 3, 32, 64)}}
# ({{round(conv_params(3, 3, 32, 64) / separable_params(3, 3, 32, 64), 1)}} times fewer parameters); per output
# pixel, the standard layer does {{3 * 3 * 32 * 64}} multiplications and the separable one
# {{3 * 3 * 32 + 32 * 64}} ({{round(3 * 3 * 32 * 64 / (3 * 3 * 32 + 32 * 64), 1)}} times fewer multiplications).
# The cell counts both for wider layers.

# %%
for c, nc in [(32, 64), (128, 128), (512, 512)]:
    standard = 3 * 3 * c * nc + nc            # nc filters of 3x3xc weights, one bias each
    separable = 3 * 3 * c + c * nc + nc       # depthwise: one 3x3 per channel, no bias; then 1x1, c -> nc, biases
    mults, mults_sep = 3 * 3 * c * nc, 3 * 3 * c + c * nc      # multiplications per output pixel
    print(f"3x3, {c:>3} -> {nc:>3} channels, standard vs separable:  parameters {standard:>9,} vs "
          f"{separable:>7,} ({standard / separable:.1f}x fewer);  multiplications per output pixel "
          f"{mults:>9,} vs {mults_sep:>7,} ({mults / mults_sep:.1f}x fewer)")

# %% [markdown]
# **Exercise.** Write `depthwise_convolve(images, kernels, padding='same', stride=(1, 1))`:
# `images (m, h, w, c)`, `kernels (kh, kw, c, multiplier)`, result `(m, oh, ow, c * multiplier)` in the
# channel order above. At most **3** `for` loops. (`block[..., None] * kernels[a, b]` broadcasts
# `(m, oh, ow, c, 1)` against `(c, multiplier)`.)

# %% [solution]
def depthwise_convolve(images, kernels, padding="same", stride=(1, 1)):
    """Depthwise cross-correlation: each channel with its own kernels, channels never mixed.

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
    kernels : ndarray, shape (kh, kw, c, multiplier)
    padding : 'same', 'valid' or tuple (ph, pw)
    stride : tuple of 2 ints

    Returns
    -------
    ndarray, shape (m, oh, ow, c * multiplier), float
    """
    ### BEGIN SOLUTION
    kh, kw, c, mult = kernels.shape
    sh, sw = stride
    padded, oh, ow = pad_images(images, (kh, kw), padding, stride)
    out = np.zeros((images.shape[0], oh, ow, c, mult))
    for a in range(kh):
        for b in range(kw):
            block = padded[:, a:a + (oh - 1) * sh + 1:sh, b:b + (ow - 1) * sw + 1:sw, :]
            out += block[..., None] * kernels[a, b]
    return out.reshape(out.shape[:3] + (c * mult,))
    ### END SOLUTION


# %% [autograde depthwise_convolve]

# %% [markdown]
# The same Sobel kernel, depthwise, on each colour channel: three maps, one per channel. The edges
# differ where colours differ: a boundary shows in a channel's map only as much as *that channel's*
# brightness changes across it. The cell measures how strong each map's edges are (the mean of
# `|Sobel x|`) on the flag's stripes (the box) and on the whole photograph.

# %%
depthwise = figures.yours_or_reference(depthwise_convolve)
sobel = np.repeat(figures.KERNELS["Sobel x"][:, :, None, None], 3, axis=2)      # (3, 3, 3, 1)
maps = depthwise(rgb[None], sobel)[0]
colours = ("red", "green", "blue")
rows, cols = slice(50, 82), slice(1, 22)         # the flag's stripes, left of her shoulder (input, not result)
on_flag = np.abs(maps[rows, cols]).mean(axis=(0, 1))
overall = np.abs(maps).mean(axis=(0, 1))
print("mean |Sobel x| on the flag:      ", ",  ".join(f"{c} {v:.2f}" for c, v in zip(colours, on_flag)))
print("mean |Sobel x| on the whole photo:", ",  ".join(f"{c} {v:.2f}" for c, v in zip(colours, overall)))
print(f"On the flag the {colours[np.argmax(on_flag)]} channel's edges are the strongest and the "
      f"{colours[np.argmin(on_flag)]} channel's the weakest.")
fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
for c, (ax, colour) in enumerate(zip(axes, colours)):
    lim = np.percentile(np.abs(maps[..., c]), 99)
    ax.imshow(maps[..., c], cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.add_patch(plt.Rectangle((cols.start - 0.5, rows.start - 0.5), cols.stop - cols.start,
                               rows.stop - rows.start, fill=False, ec="black", lw=1))
    ax.set_title(f"Sobel x on the {colour} channel")
    ax.axis("off")
figures.caption(fig, f"Depthwise: {maps.shape[-1]} input channels, {maps.shape[-1]} maps, no mixing; "
                     "a 1x1 convolution after it would mix them (a separable convolution).");

# %% [markdown]
# ## What you built
#
# `convolve` is a full convolutional layer (without the bias and the activation). Notebook 4 adds the
# other half of a classic CNN: pooling.
