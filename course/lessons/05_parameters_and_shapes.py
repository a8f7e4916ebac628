# %% [markdown]
# # 5. Parameters and shapes
#
# Before training a network you should be able to say, for every layer, the shape of what comes out and
# how many weights it has. This notebook makes you fluent at both, and shows in numbers why
# convolutions beat dense layers on images.

# %%
import numpy as np
import matplotlib.pyplot as plt

from autograder import check, figures

# %% [markdown]
# ## Counting parameters
#
# * A **dense** layer from `in_features` inputs to `units` outputs has a weight per pair plus one bias
#   per unit: `in_features * units + units`.
# * A **convolutional** layer with `filters` filters of `kh × kw` over `in_channels` channels has
#   `kh * kw * in_channels` weights per filter plus one bias per filter. The image size does not appear:
#   the weights are shared by every position.
# * A **separable** convolution (notebook 3) is a depthwise part, `kh * kw * in_channels *
#   depth_multiplier` weights (with no bias), then a 1×1 convolution from `in_channels * depth_multiplier`
#   channels to `filters`, with its biases.
#
# Examples to check yourself against (not the layers of the exercise further down): a 5×5 conv with 16
# filters on an RGB image has {{conv_params(5, 5, 3, 16)}} parameters; a 3×3 conv from 16 to 32 channels
# has {{conv_params(3, 3, 16, 32)}}; a dense layer from the flattened 28×28 image to 128 units has
# {{dense_params(28 * 28, 128)}}.
#
# **Exercise.** Write the three counting functions. `use_bias=False` drops the biases.

# %% [solution]
def conv_params(kh, kw, in_channels, filters, use_bias=True):
    """Parameters of a Conv2D layer: int."""
    ### BEGIN SOLUTION
    return kh * kw * in_channels * filters + (filters if use_bias else 0)
    ### END SOLUTION


def dense_params(in_features, units, use_bias=True):
    """Parameters of a Dense layer: int."""
    ### BEGIN SOLUTION
    return in_features * units + (units if use_bias else 0)
    ### END SOLUTION


def separable_params(kh, kw, in_channels, filters, depth_multiplier=1, use_bias=True):
    """Parameters of a SeparableConv2D layer (depthwise without bias, then 1x1 with bias): int."""
    ### BEGIN SOLUTION
    depthwise = kh * kw * in_channels * depth_multiplier
    return depthwise + in_channels * depth_multiplier * filters + (filters if use_bias else 0)
    ### END SOLUTION


# %% [autograde parameter_count]

# %% [markdown]
# ## Conv versus Dense
#
# A 3×3 conv layer with one filter on a 28×28 image makes a {{conv_output_size(28, 3)}}×{{conv_output_size(28, 3)}} map. A dense layer that
# produced those {{conv_output_size(28, 3) ** 2}} numbers from the flattened image would need {{dense_params(28 * 28, 26 * 26)}} parameters
# against the conv layer's {{conv_params(3, 3, 1, 1)}}, and it would have to learn the same edge detector
# separately at each of the {{conv_output_size(28, 3) ** 2}} positions. Even 32 filters ({{conv_params(3, 3, 1, 32)}} parameters) cost
# {{dense_params(28 * 28, 26 * 26) // conv_params(3, 3, 1, 32)}} times less than that one dense layer.
#
# The cell computes the comparison with your functions (or the reference's until yours pass).

# %%
conv_count = figures.yours_or_reference(conv_params)
dense_count = figures.yours_or_reference(dense_params)
print(f"Dense(676) on the flattened 28x28 image: {dense_count(28 * 28, 676):>9,} parameters")
print(f"Conv2D(1 filter, 3x3), 26x26 output:     {conv_count(3, 3, 1, 1):>9,}")
print(f"Conv2D(32 filters, 3x3), 32 such maps:   {conv_count(3, 3, 1, 32):>9,}")

counts = {"Dense(676)\non 28x28": dense_count(28 * 28, 676), "Conv2D(1, 3x3)": conv_count(3, 3, 1, 1),
          "Conv2D(32, 3x3)": conv_count(3, 3, 1, 32)}
fig, ax = plt.subplots(figsize=(7, 2.6))
bars = ax.barh(list(counts), list(counts.values()), color=["#8c959f", "#0969da", "#0969da"])
ax.bar_label(bars, labels=[f"{v:,}" for v in counts.values()], padding=3)
ax.set_xscale("log")
ax.set_xlabel("parameters (log scale)")
figures.caption(fig, "Each step on the log scale is 10x: the dense layer needs thousands of times more weights.");

# %% [markdown]
# ## Shapes through a small CNN
#
# Here is a small CNN for 28×28 grayscale digits, in Keras terms:
#
# | layer | settings |
# |---|---|
# | input | 28×28×1 |
# | Conv2D | 32 filters, 3×3, 'valid' |
# | MaxPooling2D | 2×2, stride 2 |
# | Conv2D | 64 filters, 3×3, 'valid' |
# | MaxPooling2D | 2×2, stride 2 |
# | GlobalAveragePooling2D | |
# | Dense | 10 units |
#
# **Exercise.** Without running any network, write the output shape of each of the 6 layers as a tuple
# (`(h, w, c)` for the first four, `(c,)` after global pooling and for the dense layer) in
# `layer_shapes`, and the number of parameters of each layer in `layer_params`. Use
# `conv_output_size` from notebook 2 in your head: `floor((n - k) / s) + 1`.

# %% [solution]
layer_shapes = ...   # [(h, w, c), (h, w, c), (h, w, c), (h, w, c), (c,), (units,)]
layer_params = ...   # [int, int, int, int, int, int]
### BEGIN SOLUTION
layer_shapes = [(26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (64,), (10,)]
layer_params = [320, 0, 18496, 0, 0, 650]
### END SOLUTION

# %% [autograde shape_tracking]

# %% [markdown]
# Once your answers pass, the cell below shows the network's shapes and parameters, computed by running
# a batch of zeros through the course's reference layers: box heights follow the spatial size, widths the
# number of channels. (Before that it shows nothing: it is the answer.) Two things to notice then: the map
# after the second pooling lost a row and a column, because the rows before it are an odd number and
# pooling floors; and global average pooling keeps the dense layer small, where flattening the last maps
# would multiply its weights by the number of positions.

# %%
if figures.answered("shape_tracking", layer_shapes=layer_shapes, layer_params=layer_params):
    table = figures.small_cnn_table()
    for name, shape, params in table:
        print(f"{name:<28} {str(shape):<14} {params:>7,}")
    conv_shape, pooled_shape = table[2][1], table[3][1]
    print(f"\nThe second pooling floors {conv_shape[0]} rows to {pooled_shape[0]}.")
    print(f"A dense layer on the flattened {pooled_shape} maps would need {np.prod(pooled_shape) * 10 + 10:,} "
          f"parameters (weights + biases); after global average pooling it has {table[5][2]:,}.")
    figures.cnn_shapes(table)
