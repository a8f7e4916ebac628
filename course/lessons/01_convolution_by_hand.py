# %% [markdown]
# # 1. Convolution by hand
#
# A convolutional layer slides a small grid of weights, the **kernel**, over an image and, at every
# position, multiplies the pixels under it by the weights and adds the products up. In this notebook you
# will do that by hand, then write it as a function, then watch it find edges in a real photograph.
#
# **How feedback works.** After each exercise, run the cell below it. `check(...)` cells give instant
# feedback and cost nothing; the locked *Autograded* cells show the points your instructor's grader will
# give (it adds hidden cases with other shapes and values). An exercise you have not started says
# "not implemented yet".

# %%
import numpy as np
import matplotlib.pyplot as plt

from autograder import check, figures
from autograder.course import worked_examples

# %% [markdown]
# ## Why convolution?
#
# Take a small grayscale image of 28×28 pixels. A dense (fully connected) layer that maps it to an output of
# {{conv_output_size(28, 3)}}×{{conv_output_size(28, 3)}} numbers (what a 3×3 kernel makes of it) connects every pixel to every output:
# {{dense_params(28 * 28, conv_output_size(28, 3) ** 2)}} parameters. A
# convolutional layer with 32 filters of 3×3 produces 32 such maps with only
# {{conv_params(3, 3, 1, 32)}} parameters, because of two ideas:
#
# * **locality**: each output looks only at a small neighbourhood of pixels (3×3 here), since nearby pixels
#   are what make edges and textures;
# * **weight sharing**: the same 9 weights are used at every position, since an edge is an edge wherever
#   it appears.
#
# The cell below counts both: a weight for every (input, output) pair plus a bias per output for the
# dense layer; 3×3 weights plus a bias per filter for the convolution (notebook 5 makes you write the
# counting functions).

# %%
dense_count = (28 * 28) * (26 * 26) + 26 * 26      # weights: every pixel to every output; biases: one per output
conv_count = 32 * (3 * 3 * 1) + 32                  # 32 filters of 3x3 weights on 1 channel; one bias each
print("Dense, 784 inputs -> 676 units:        ", f"{dense_count:,}", "parameters")
print("Conv, 32 filters of 3x3 on 1 channel:  ", f"{conv_count:,}", "parameters")

# %% [markdown]
# ## The classic example
#
# Here is a 5×5 image and the 3×3 **vertical-edge** kernel: a column of +1, a column of 0, a column of −1.

# %%
image = worked_examples.example("classic image")      # copies: changing them changes no graded case
kernel = worked_examples.example("vertical edge")
figures.classic_example(image, kernel);

# %% [markdown]
# Put the kernel on the top-left 3×3 window of the image, multiply each pixel by the weight on top of
# it, and add the nine products. That sum is `output[0, 0]`. Then move one pixel right for `output[0, 1]`,
# and so on: a 5×5 image has room for {{conv_output_size(5, 3)}} positions across and {{conv_output_size(5, 3)}} down, so the output is
# {{conv_output_size(5, 3)}}×{{conv_output_size(5, 3)}}.
#
# **Exercise (by hand).** Work out `output[0, 0]` with pencil and paper (no code!), then the whole 3×3
# output. Write your numbers below: `output_00` is a number, `output_full` a list of 3 rows of 3 numbers.

# %% [solution]
output_00 = ...     # a number
output_full = ...   # [[a, b, c], [d, e, f], [g, h, i]]
### BEGIN SOLUTION
output_00 = 1
output_full = [[1, 3, -2],
               [-1, 0, 3],
               [-1, -1, 2]]
### END SOLUTION

# %% [autograde correlate_by_hand]

# %% [markdown]
# Now check your work with a picture: the red window, the nine products, and the output filled so far.
# Move the slider to visit every position (the slider needs a live Jupyter kernel). The pictures show the
# answers, so they appear only once yours pass the autograded cell above: run these cells again then.

# %%
if figures.answered("correlate_by_hand", output_00=output_00, output_full=output_full):
    figures.sliding_window(image, kernel, 0, 0)

# %%
if figures.answered("correlate_by_hand", output_00=output_00, output_full=output_full):
    display(figures.slider(image, kernel))

# %% [markdown]
# ## From hand to code
#
# Your functions take a **batch** of images, because networks always work on batches:
#
# * `images`: ndarray, shape `(m, h, w)`: `m` grayscale images of `h` rows and `w` columns;
# * `kernel`: ndarray, shape `(kh, kw)`;
# * result: ndarray, shape `(m, h - kh + 1, w - kw + 1)`, float: the **valid** convolution (the kernel
#   stays inside the image).
#
# **Exercise, step 1.** Write it with as many loops as you like: over images, output rows, output
# columns, and the kernel's rows and columns. Name it `convolve_grayscale_valid_loops`.

# %% [solution]
def convolve_grayscale_valid_loops(images, kernel):
    """Valid cross-correlation of grayscale images, written with plain loops.

    Parameters
    ----------
    images : ndarray, shape (m, h, w)
    kernel : ndarray, shape (kh, kw)

    Returns
    -------
    ndarray, shape (m, h - kh + 1, w - kw + 1), float64
    """
    ### BEGIN SOLUTION
    m, h, w = images.shape
    kh, kw = kernel.shape
    out = np.zeros((m, h - kh + 1, w - kw + 1))
    for n in range(m):
        for i in range(h - kh + 1):
            for j in range(w - kw + 1):
                total = 0.0
                for a in range(kh):
                    for b in range(kw):
                        total += images[n, i + a, j + b] * kernel[a, b]
                out[n, i, j] = total
    return out
    ### END SOLUTION


# %%
check(convolve_grayscale_valid_loops, exercise="convolve_grayscale_valid", loop_budget=False)

# %% [markdown]
# This step may loop as much as it likes, so its check did not count your `for` loops (`loop_budget=False`).
# The graded version may use **at most 2** (over the output's
# rows and columns): let NumPy do the rest. For one output position `(i, j)`, the windows of *all* images
# are `images[:, i:i + kh, j:j + kw]`, shape `(m, kh, kw)`; multiply by the kernel (broadcasting) and sum
# over the last two axes.
#
# There is a faster way to spend your 2 loops: loop over the kernel's taps `(a, b)` instead. Tap
# `(a, b)` multiplies *every* output's pixel at offset `(a, b)` by `kernel[a, b]`, and those pixels form
# the block `images[:, a:a + oh, b:b + ow]`: 9 big NumPy operations instead of one small one per output
# pixel (notebook 6 measures the difference).
#
# **Exercise, step 2.** Write `convolve_grayscale_valid` with at most 2 `for` loops.

# %% [solution]
def convolve_grayscale_valid(images, kernel):
    """Valid cross-correlation of grayscale images, with loops over the kernel's taps only.

    Parameters
    ----------
    images : ndarray, shape (m, h, w)
    kernel : ndarray, shape (kh, kw)

    Returns
    -------
    ndarray, shape (m, h - kh + 1, w - kw + 1), float64
    """
    ### BEGIN SOLUTION
    m, h, w = images.shape
    kh, kw = kernel.shape
    oh, ow = h - kh + 1, w - kw + 1
    out = np.zeros((m, oh, ow))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * images[:, a:a + oh, b:b + ow]
    return out
    ### END SOLUTION


# %% [autograde convolve_grayscale_valid]

# %% [markdown]
# ## Cross-correlation or convolution?
#
# What you wrote is, strictly, a **cross-correlation**: the kernel is used as it is. The convolution of
# mathematics flips the kernel upside down and left to right first. Deep-learning libraries call the
# cross-correlation "convolution", and so does this course; the only difference is the flip, and since a
# network *learns* its kernels, it would simply learn them flipped. With the vertical-edge kernel, flipping
# turns +1 into −1: the output changes sign. (The cell uses another small image than the exercise's, so that
# it does not print your answer.)

# %%
conv = figures.yours_or_reference(convolve_grayscale_valid)
small = np.random.default_rng(7).integers(0, 5, size=(4, 6)).astype(float)    # not the exercise's image
correlation = conv(small[None], kernel)[0] + 0.0            # + 0.0: no -0 in the printout
true_convolution = conv(small[None], np.flip(kernel))[0] + 0.0
print("cross-correlation:\n", correlation)
print("true convolution (kernel flipped):\n", true_convolution)
print("same up to the sign:", np.array_equal(true_convolution, -correlation))

# %% [markdown]
# ## Kernels on a real photograph
#
# The photograph below ships with matplotlib (no download). Each kernel gives a **feature map**. Your
# own `convolve_grayscale_valid` draws it once it works; until then the reference does.

# %%
photo = figures.sample_photo(256)
figures.feature_maps(photo, figures.KERNELS, convolve=figures.yours_or_reference(convolve_grayscale_valid));

# %% [markdown]
# Look at the output sizes in the titles: a 3×3 kernel loses {{256 - conv_output_size(256, 3)}} rows and as many columns, the 5×5 blur
# loses {{256 - conv_output_size(256, 5)}}.
# Notebook 2 shows how **padding** keeps the size, and how **stride** and **dilation** change it.
