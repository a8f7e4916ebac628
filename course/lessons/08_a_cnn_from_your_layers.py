# %% [markdown]
# # 8. A CNN from your own layers
#
# Notebooks 1 to 7 built every piece of a convolutional network: convolution with padding, stride and
# dilation, channels and filters, pooling, and the backward pass of each. This notebook puts them together.
# First two questions to answer about any CNN before you run it: how much of the image does one output see,
# and what does each layer cost, in weights and in memory? Then you train a small CNN on handwritten digits
# with **your own** layer functions.

# %%
import numpy as np
import matplotlib.pyplot as plt

from autograder import check, figures

# %% [markdown]
# ## How far does one output see?
#
# The **receptive field** of an output is the patch of input pixels it depends on. One 3×3 convolution sees
# a {{(receptive_field([(3, 1, 1)])[0],) * 2}} patch. Put a second 3×3 convolution on top: each of its
# inputs saw a 3×3 patch, and neighbouring patches overlap, so together they cover
# {{(receptive_field([(3, 1, 1)] * 2)[0],) * 2}}. A third layer sees {{(receptive_field([(3, 1, 1)] * 3)[0],) * 2}}.
#
# That is why VGG and most later networks stack 3×3 kernels instead of using large ones. Three 3×3 layers see
# as far as one 7×7 layer, with two more non-linearities between them and fewer weights: from `C` channels
# to `C` channels a 3×3 layer has {{conv_params(3, 3, 1, 1, use_bias=False)}}C² weights, so three have
# {{3 * conv_params(3, 3, 1, 1, use_bias=False)}}C², against {{conv_params(7, 7, 1, 1, use_bias=False)}}C² for
# one 7×7 layer. With `C` = 64, biases included: {{3 * conv_params(3, 3, 64, 64)}} parameters against
# {{conv_params(7, 7, 64, 64)}},
# {{round(100 * (1 - 3 * conv_params(3, 3, 64, 64) / conv_params(7, 7, 64, 64)))}}% fewer.
#
# The rule, along one axis. A layer with kernel `k` and dilation `d` spans `(k - 1) * d + 1` of its inputs,
# so it adds `(k - 1) * d` steps to the field. A step is one input pixel for the first layer; after a layer
# of stride `s` (a strided convolution or a pooling layer) every step of the layers above it is `s` times
# longer. Call **jump** the distance, in input pixels, between two neighbouring outputs: it starts at 1 and
# each layer multiplies it by its stride. Then
#
# * layer `i` adds `(k_i - 1) * d_i * jump_before_i` pixels (its own stride does not widen what it sees);
# * the receptive field is `1 +` the sum of what every layer adds, and the last jump is the product of the
#   strides.
#
# Dilation and pooling both widen the view without more weights per layer. Two 3×3 layers with dilation 2
# see {{receptive_field([(3, 1, 2)] * 2)[0]}} pixels instead of {{receptive_field([(3, 1, 1)] * 2)[0]}}; a 3×3
# convolution after a 2×2 pooling of stride 2 sees {{receptive_field([(2, 2, 1), (3, 1, 1)])[0]}}, since its
# taps are {{receptive_field([(2, 2, 1)])[1]}} input pixels apart.
#
# **Exercise.** Write `receptive_field(layers)`: `layers` is a list of `(kernel, stride, dilation)` triples,
# first layer first (a pooling layer is its window and its stride, with dilation 1); return the tuple
# `(size, jump)` for the last layer.

# %% [solution]
def receptive_field(layers):
    """The receptive field of one output of a stack of layers, along one axis.

    Parameters
    ----------
    layers : sequence of (kernel, stride, dilation)
        One triple of positive ints per layer, first layer first. A pooling layer is its window and its
        stride, with dilation 1.

    Returns
    -------
    (size, jump) : tuple of 2 ints
        size: how many input pixels one output of the last layer sees; jump: the distance, in input
        pixels, between two neighbouring outputs of the last layer (the product of the strides).
    """
    ### BEGIN SOLUTION
    size, jump = 1, 1
    for kernel, stride, dilation in layers:
        size += (kernel - 1) * dilation * jump
        jump *= stride
    return size, jump
    ### END SOLUTION


# %%
check(receptive_field)

# %% [autograde receptive_field]

# %% [markdown]
# The picture follows one output of the last layer of three stacks back to the input. Row `n` shows the
# input pixels that one output of layer `n` depends on, found by following each of its taps down through
# the layers below; the shade counts the paths that lead from that output to each pixel. The titles are your
# `receptive_field`'s answers once it passes its public cases (the reference's until then).

# %%
stacks = {"three 3x3": [(3, 1, 1)] * 3,
          "3x3, dilations 1, 2, 4": [(3, 1, 1), (3, 1, 2), (3, 1, 4)],
          "3x3 with 2x2/2 pools": [(3, 1, 1), (2, 2, 1), (3, 1, 1), (2, 2, 1), (3, 1, 1)]}
figures.receptive_field_growth(stacks, figures.yours_or_reference(receptive_field));

# %% [markdown]
# With dilations 1, 2, 4 three 3×3 layers see {{receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)])[0]}} pixels
# without a hole: with the dilation doubled at each layer, each layer adds twice as many pixels as the one
# before at the same cost (the idea behind WaveNet's stacks of dilated convolutions). After each 2×2/2 pool,
# a 3×3 layer adds twice as many pixels as before. And the shading is not even: a pixel at the edge of the
# field reaches the output by a single path, a central one by many, so the centre has more ways to matter
# than the edge.

# %% [markdown]
# ## What a layer costs: LeNet-5 and a VGG block
#
# Three numbers describe each layer:
#
# * its output **shape** (notebook 2's `conv_output_size` for each spatial axis; pooling is a window with its
#   stride);
# * its **parameters** (notebook 5), what training learns and what the saved model weighs;
# * its **activations**, the values it outputs for each image. Training keeps every layer's output for the
#   backward pass (notebook 7: the gradient of a layer's weights needs its input), so activations times the
#   batch size is what fills a GPU's memory. Here they are counted in **floats per image**: the number of
#   values in the layer's output, `h * w * c` for a map and `n` for a flat vector. (Each float32 is 4 bytes.)
#
# An example to check yourself against (not a layer of the exercise): a 3×3 'same' convolution with 32
# filters on a 28×28 grayscale image outputs a {{(conv_output_size(28, 3, "same"),) * 2 + (32,)}} map, that
# is {{conv_output_size(28, 3, "same") ** 2 * 32}} floats per image
# ({{conv_output_size(28, 3, "same") ** 2 * 32 * 4 / 1024}} KiB in float32), and has
# {{conv_params(3, 3, 1, 32)}} parameters.
#
# **LeNet-5** (LeCun et al., 1998) read the handwritten digits of bank cheques. We use its usual Keras form: 'valid'
# convolutions, 2×2 average pooling without weights, and each map of the second convolution reading all the
# maps before it (the original's pooling had a weight and a bias per map, and its second convolution read
# only some of the maps). The activation functions change no shape and no count, so they are left out.
#
# | layer | settings |
# |---|---|
# | input | a 32×32 grayscale image |
# | Conv2D | 6 filters, 5×5, 'valid' |
# | AveragePooling2D | 2×2, stride 2 |
# | Conv2D | 16 filters, 5×5, 'valid' |
# | AveragePooling2D | 2×2, stride 2 |
# | Flatten | |
# | Dense | 120 units |
# | Dense | 84 units |
# | Dense | 10 units |
#
# **A VGG block.** VGG-16 (Simonyan and Zisserman, 2014) is blocks of 3×3 'same' convolutions, each block
# ending in a 2×2 max pooling of stride 2. Its first block makes 112×112×64 maps of a 224×224 colour image;
# the second block, the one here, reads them:
#
# | layer | settings |
# |---|---|
# | input | 112×112×64 |
# | Conv2D | 128 filters, 3×3, 'same' |
# | Conv2D | 128 filters, 3×3, 'same' |
# | MaxPooling2D | 2×2, stride 2 |
#
# **Exercise.** Without running any network, fill in for each layer (the input is not a layer: LeNet-5 has 8,
# the VGG block 3), in order:
#
# * `lenet_shapes`, `vgg_shapes`: the output shape as a tuple, `(h, w, c)` for a map and `(n,)` after Flatten
#   and for the Dense layers;
# * `lenet_params`, `vgg_params`: the number of parameters (weights and biases; 0 for a layer without any);
# * `lenet_activations`, `vgg_activations`: the floats it outputs for one image (count Flatten's too: it
#   is only a reshape, but every layer's output is counted).

# %% [solution]
lenet_shapes = ...        # [(h, w, c), ..., (n,), ...]: 8 shapes
lenet_params = ...        # 8 ints
lenet_activations = ...   # 8 ints: floats per image
vgg_shapes = ...          # 3 shapes
vgg_params = ...          # 3 ints
vgg_activations = ...     # 3 ints: floats per image
### BEGIN SOLUTION
lenet_shapes = [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,), (10,)]
lenet_params = [156, 0, 2416, 0, 0, 48120, 10164, 850]
lenet_activations = [4704, 1176, 1600, 400, 400, 120, 84, 10]
vgg_shapes = [(112, 112, 128), (112, 112, 128), (56, 56, 128)]
vgg_params = [73856, 147584, 0]
vgg_activations = [1605632, 1605632, 401408]
### END SOLUTION

# %% [autograde architecture_tracking]

# %% [markdown]
# Once your answers pass, the cell below prints the course's table of both networks (with the KiB of float32
# beside the floats, and what a batch of 32 images needs) and draws each layer's parameters and activations;
# the caption says which layers hold the most of each. (Before that it shows nothing: it is the answer.)
#
# Three observations come out of this exercise. A convolution's parameters depend on its kernel and its
# channels, not on the image size: the VGG block would have the same weights on an image of any size. Its
# activations depend mostly on the image size, the channels and the strides ('valid' padding lets the
# kernel trim the border). And a Dense layer after Flatten is the exception: it has a weight for every
# value of the last maps times its units, so it depends on the image size; that is where LeNet-5 keeps
# its weights, and why later networks pool globally instead (notebook 4).

# %%
if figures.answered("architecture_tracking", lenet_shapes=lenet_shapes, lenet_params=lenet_params,
                    lenet_activations=lenet_activations, vgg_shapes=vgg_shapes, vgg_params=vgg_params,
                    vgg_activations=vgg_activations):
    figures.architecture_costs(batch=32)

# %% [markdown]
# ## Training a CNN made of your layers
#
# The network of this section reads scikit-learn's bundled 8×8 scans of handwritten digits (no download):
#
# | layer | settings | parameters |
# |---|---|---|
# | convolve | 16 filters, 3×3, 'same', then ReLU | {{conv_params(3, 3, 1, 16)}} |
# | pool | max, 2×2, stride 2 | 0 |
# | convolve | 32 filters, 3×3, 'same', then ReLU | {{conv_params(3, 3, 16, 32)}} |
# | global_average_pool | one value per channel | 0 |
# | Dense | 10 units, softmax | {{dense_params(32, 10)}} |
#
# {{conv_params(3, 3, 1, 16) + conv_params(3, 3, 16, 32) + dense_params(32, 10)}} parameters in all, and one
# output of the second convolution sees {{(receptive_field([(3, 1, 1), (2, 2, 1), (3, 1, 1)])[0],) * 2}} input
# pixels. It learns with Adam from batches of 32 digits, for 30 passes (epochs) over the training digits; a
# quarter of the digits is kept aside to test it. The forward pass calls `convolve`, `pool` and
# `global_average_pool`, the backward pass `convolve_backward` and `pool_backward`; the Dense layer, ReLU and
# softmax are NumPy inside the course (they are not exercises). Three pieces you have not met:
#
# - **ReLU**, `max(x, 0)`, passes a positive value and zeroes a negative one. Its backward pass is a mask:
#   the gradient flows through where the forward input was positive and is 0 where it was not, as the max
#   pool's gradient flows only to the maximum.
# - **Softmax cross-entropy** turns the 10 scores (logits) `z` into probabilities `p = exp(z) / sum(exp(z))`
#   and charges `-log p[label]`: little when the right digit gets most of the probability, much when it gets
#   little. Its gradient with respect to the scores is simply `p - onehot(label)` (divided by the batch size,
#   for the batch's mean).
# - **Adam** is gradient descent with two running averages per parameter: of its gradient (momentum, which
#   keeps going through the flat directions of the last notebook) and of its square (which scales each
#   parameter's step by how large its gradients usually are). Its step size shrinks along a cosine, from its
#   start to 0 at the last epoch: large steps early, small ones to settle.
#
# **Your layers.** This notebook cannot see the functions of the earlier ones. Paste your `convolve`
# (notebook 3), `pool` and `global_average_pool` (notebook 4), `convolve_backward` and `pool_backward`
# (notebook 7) into the next cell, with any helper they call, and run it. Each one that passes its public
# cases runs in the network; the course's reference runs for the others. Pasting is not graded: those
# exercises are graded in their own notebooks.

# %%
# Paste your convolve, pool, global_average_pool, convolve_backward and pool_backward here (any of them).


# %% [markdown]
# The next cell collects the ones you defined, says which function runs for each layer, trains the network,
# and prints the loss every 10 epochs, the accuracy on the test digits and how long it took on this machine.

# %%
yours = {name: globals().get(name)
         for name in ("convolve", "pool", "global_average_pool", "convolve_backward", "pool_backward")}
history = figures.train_digits(**yours)

# %%
figures.training_curves(history);

# %% [markdown]
# The **confusion matrix** counts the test digits by their true class (rows) and the class the network chose
# (columns): the diagonal is right, everything else is a mistake, and which digits are confused says what
# the network finds hard.

# %%
figures.confusion_matrix(history);

# %% [markdown]
# The first layer's filters are 3×3 arrays of weights, learned from random numbers: draw them as images.

# %%
figures.learned_filters(history);

# %% [markdown]
# ## Shifting a digit by one pixel
#
# A convolution is **equivariant** to shifts: move the image one pixel to the right and its feature maps move
# one pixel to the right. That holds exactly away from the border only, where the window reads the same
# pixels in both images; at the border, zeros come in. Max pooling then keeps the largest value of each
# 2×2 window: when a maximum moves within its window the pooled value stays, when it crosses into the next
# window it changes. So pooling usually makes the output *less* sensitive to small shifts, not insensitive
# (the caption below says whether it did for this digit).
#
# The cell below measures both on a test digit moved one pixel right, with the filters your network learned
# (and your `convolve` and `pool` once they pass): the difference between the moved map and the map of the
# moved digit inside the border (blue box), and the share of outputs that change, before and after pooling.

# %%
figures.shift_equivariance(history.kernels, convolve=yours["convolve"], pool=yours["pool"]);

# %% [markdown]
# The caption's numbers are this digit's and these filters'; another digit, or a shift in another direction,
# gives others. That is what pooling buys: some tolerance to where a stroke is, not a guarantee.
