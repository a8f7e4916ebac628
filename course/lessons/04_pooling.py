# %% [markdown]
# # 4. Pooling
#
# A **pooling** layer summarises each window of a feature map with one number: its maximum (max
# pooling) or its mean (average pooling). It has no weights. It shrinks the maps, so later layers see a
# wider area for the same cost, and it makes the network less sensitive to small shifts.

# %%
import numpy as np
import matplotlib.pyplot as plt

from autograder import check, figures
from autograder.course import worked_examples

# %% [markdown]
# ## Max pooling by hand
#
# A 4×4 input, 2×2 windows, stride 2: windows that do not overlap, so a
# {{conv_output_size(4, 2, stride=2)}}×{{conv_output_size(4, 2, stride=2)}} output. Each output is
# the largest value of its window.

# %%
figures.pooling(worked_examples.example("pool example"), (2, 2), (2, 2), "max");

# %% [markdown]
# ### Spot the mistake
#
# A textbook printed this input with 2×2 max pooling, stride 2, and the answer `[[3, 2], [4, 5]]`.
# Find the windows where it is wrong before you run the next cell.

# %%
x = worked_examples.example("pool spot the mistake")
print(x.astype(int))
printed = np.array([[3, 2], [4, 5]])                    # what the textbook printed
right = worked_examples.spot_the_mistake_answer()        # the reference's 2x2 max pool, stride 2, of x
print("printed:", printed.tolist(), " right:", right.astype(int).tolist())
print("wrong cells (row, column):", [tuple(int(v) for v in rc) for rc in np.argwhere(printed != right)])

# %% [markdown]
# The right answer is {{pool(POOL_SPOT_THE_MISTAKE[None, :, :, None], (2, 2), (2, 2), 'max')[0, :, :, 0]}}:
# the printed one took the top-left window's second-largest value and misread the top-right window.

# %%
figures.pooling(x, (2, 2), (2, 2), "max");

# %% [markdown]
# ## Average pooling, strides and overlap
#
# Average pooling takes the mean instead. Windows may overlap when the stride is smaller than the
# window (3×3 windows, stride 1 below).

# %%
figures.pooling(worked_examples.example("pool example"), (3, 3), (1, 1), "avg");

# %% [markdown]
# ## 'same' pooling: padded cells must not count
#
# With `padding='same'` the windows at the border hang over the edge, as in notebook 2. Those overhanging
# cells are **not data**: they must never win a max (so they are `-inf`, not 0) and must not be counted
# in an average (divide by the number of real cells). That is TensorFlow's behaviour. PyTorch's
# `AvgPool2d` counts the zeros by default (`count_include_pad=True`), which darkens the borders:

# %%
# 3x3 windows, stride 2, 'same', on a 5x5 image of ones, by the reference: padded cells left out, and
# (PyTorch's default) each padded window's sum divided by all 9 of its cells
tf_style, counted = worked_examples.padded_average_of_ones(n=5, window=3, stride=2)
print("average of an all-ones image, padded cells excluded (TensorFlow):\n", tf_style)
print("padded zeros counted (PyTorch's default):\n", counted.round(3))

# %% [markdown]
# ## Exercise: pooling
#
# Write `pool(images, kernel_shape, stride, mode='max', padding='valid')`:
#
# * `images (m, h, w, c)`: each channel is pooled on its own; result `(m, oh, ow, c)`;
# * `kernel_shape (kh, kw)`, `stride (sh, sw)`, `mode` `'max'` or `'avg'`, `padding` `'valid'` or
#   `'same'` (the rule of notebook 2, without dilation);
# * padded cells never win a max and are not counted in an average.
#
# At most **2** `for` loops. Hint: pad with `-np.inf` for the max; for the average, pool an array of
# ones padded with zeros to count the real cells of each window.

# %% [solution]
def pool(images, kernel_shape, stride, mode="max", padding="valid"):
    """Max or average pooling of each channel.

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
    kernel_shape : tuple (kh, kw)
    stride : tuple (sh, sw)
    mode : {'max', 'avg'}
    padding : {'valid', 'same'}

    Returns
    -------
    ndarray, shape (m, oh, ow, c), float
    """
    ### BEGIN SOLUTION
    m, h, w, c = images.shape
    (kh, kw), (sh, sw) = kernel_shape, stride
    if padding == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        th, tw = max((oh - 1) * sh + kh - h, 0), max((ow - 1) * sw + kw - w, 0)
        pads = ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0))
    else:
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
        pads = ((0, 0), (0, 0), (0, 0), (0, 0))
    values = np.pad(images.astype(float), pads, constant_values=-np.inf if mode == "max" else 0.0)
    real = np.pad(np.ones((1, h, w, 1)), pads)
    out = np.full((m, oh, ow, c), -np.inf) if mode == "max" else np.zeros((m, oh, ow, c))
    count = np.zeros((1, oh, ow, 1))
    for a in range(kh):
        for b in range(kw):
            window = values[:, a:a + (oh - 1) * sh + 1:sh, b:b + (ow - 1) * sw + 1:sw, :]
            if mode == "max":
                out = np.maximum(out, window)
            else:
                out += window
                count += real[:, a:a + (oh - 1) * sh + 1:sh, b:b + (ow - 1) * sw + 1:sw, :]
    return out if mode == "max" else out / count
    ### END SOLUTION


# %% [autograde pool]

# %% [markdown]
# ## Global average pooling
#
# Modern networks end with **global** average pooling: the mean of each whole feature map, so
# `(m, h, w, c)` becomes `(m, c)`, one number per channel, whatever the image size. It replaces a big
# dense layer on the flattened maps (notebook 5 counts how big).
#
# **Exercise.** Write `global_average_pool(images)` with **no** `for` loop.

# %% [solution]
def global_average_pool(images):
    """Mean of each channel over the whole image.

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)

    Returns
    -------
    ndarray, shape (m, c), float
    """
    ### BEGIN SOLUTION
    return images.mean(axis=(1, 2), dtype=np.float64)
    ### END SOLUTION


# %% [autograde global_average_pool]

# %% [markdown]
# ## Strided convolution: the modern alternative
#
# Max pooling throws away three values of four with a fixed rule. Many recent networks (ResNet's
# downsampling, all-convolutional nets) downsample with a **convolution of stride 2** instead: it halves
# the size too, but *learns* what to keep, at the cost of weights. For 64 channels and 3×3 filters that
# is {{conv_params(3, 3, 64, 64)}} parameters, where a max pool has none.
#
# Below, the photograph halved by your max pool (or the reference's until yours passes) and by
# convolutions of stride 2 ('same' padding) whose hand-made kernels stand in for learned ones: a blur keeps
# the picture, a Sobel kernel only its vertical edges. What a strided convolution keeps is not a fixed
# rule: its weights decide.

# %%
photo = figures.sample_photo(128)
figures.downsampling(photo, pool=figures.yours_or_reference(pool));
