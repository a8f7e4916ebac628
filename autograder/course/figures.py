"""The lessons' pictures (matplotlib) and the sliding-window widget (ipywidgets).

Every picture is computed from its inputs with the reference (never drawn from typed numbers) and carries
a one-line caption that says what to see. Each function returns its ``Figure``; end the notebook line with
``;`` so that Jupyter shows it once.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from .. import reference as R

__all__ = ["sample_photo", "classic_example", "sliding_window", "slider", "feature_maps", "zero_padding",
           "dilated_taps", "stride_grid", "channels_picture", "pooling", "downsampling", "cnn_shapes",
           "small_cnn_table", "transpose_scatter", "speed_plot", "einsum_speeds", "yours_or_reference",
           "reference_stand_in", "answered", "caption", "sample_photo_rgb", "KERNELS",
           # notebook 7
           "step_size_errors", "kernel_gradient", "image_gradient", "pool_gradient", "gradient_check", "learn_kernel",
           # notebook 8
           "receptive_field_growth", "architecture_costs", "training_curves", "confusion_matrix", "learned_filters",
           "shift_equivariance", "train_digits"]

_WINDOW = "#d1242f"
_PAD = "#d0d7de"


def _plt():
    import matplotlib.pyplot as plt

    return plt


def caption(fig, text: str):
    """Put the one-line 'what to see' under the figure (tests look for it)."""
    fig.text(0.5, 0.005, text, ha="center", va="bottom", fontsize=9, style="italic", wrap=True)
    fig._convcourse_caption = text
    fig.tight_layout(rect=(0, 0.07, 1, 0.97))
    return fig


def _grid(ax, a, title="", numbers=True, cmap="Greys", vmin=None, vmax=None, fmt="{:g}", mask=None):
    """Draw a small 2-D array as coloured cells with its numbers; ``mask`` greys out padded cells."""
    a = np.asarray(a, dtype=float)
    ax.imshow(a, cmap=cmap, vmin=vmin, vmax=vmax)
    if mask is not None:
        ax.imshow(np.where(mask, 1.0, np.nan), cmap="Blues", vmin=0, vmax=3, alpha=0.6)
    if numbers:
        lo, hi = np.nanmin(a), np.nanmax(a)
        mid = (lo + hi) / 2
        for (r, c), v in np.ndenumerate(a):
            if mask is not None and mask[r, c]:
                continue
            colour = "white" if cmap == "Greys" and v > mid else "black"
            ax.text(c, r, fmt.format(v + 0.0), ha="center", va="center", fontsize=9, color=colour)
    ax.set_xticks(range(a.shape[1]))
    ax.set_yticks(range(a.shape[0]))
    ax.tick_params(labelsize=7, length=0)
    ax.set_xticks(np.arange(-0.5, a.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, a.shape[0]), minor=True)
    ax.grid(which="minor", color="#8c959f", lw=0.5)
    ax.set_title(title, fontsize=10)


def _cells(ax, grid, cmap, vmax):
    """A grid of pixels without numbers or ticks, cell borders drawn."""
    ax.imshow(grid, cmap=cmap, vmin=0, vmax=vmax)
    ax.set_xticks(np.arange(-0.5, grid.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, grid.shape[0]), minor=True)
    ax.grid(which="minor", color="#8c959f", lw=0.5)
    ax.set_xticks([])
    ax.set_yticks([])


def _box(ax, top, left, h, w, colour=_WINDOW, lw=2.5):
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((left - 0.5, top - 0.5), w, h, fill=False, ec=colour, lw=lw))


# ------------------------------------------------------------------------------------------- data


def sample_photo(size: int | None = 256) -> np.ndarray:
    """A real grayscale photograph shipped with matplotlib (Grace Hopper; no download).

    Returns
    -------
    photo : ndarray, shape (h, w), float64
        Luminance in [0, 1]; with ``size``, the centre square cropped and shrunk to about ``size`` pixels.
    """
    import matplotlib.cbook as cbook

    plt = _plt()
    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        rgb = plt.imread(fh, format="jpg").astype(np.float64) / 255.0
    gray = rgb @ np.array([0.299, 0.587, 0.114])
    if size is not None:
        h, w = gray.shape
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        gray = gray[top:top + side, left:left + side]
        step = max(side // size, 1)
        gray = gray[:step * (side // step), :step * (side // step)]
        gray = gray.reshape(side // step, step, side // step, step).mean(axis=(1, 3))
    return gray


def sample_photo_rgb(size: int | None = 128) -> np.ndarray:
    """The same photograph in colour: ndarray, shape (h, w, 3), float64 in [0, 1] (channels last)."""
    import matplotlib.cbook as cbook

    plt = _plt()
    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        rgb = plt.imread(fh, format="jpg").astype(np.float64) / 255.0
    if size is not None:
        h, w, _ = rgb.shape
        side = min(h, w)
        rgb = rgb[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]
        step = max(side // size, 1)
        n = side // step
        rgb = rgb[:step * n, :step * n].reshape(n, step, n, step, 3).mean(axis=(1, 3))
    return rgb


#: Classic hand-made kernels, shape (3, 3) float64 (blur is 5x5).
KERNELS = {
    "vertical edge": np.array([[1, 0, -1]] * 3, dtype=float),
    "horizontal edge": np.array([[1, 0, -1]] * 3, dtype=float).T.copy(),
    "Sobel x": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float),
    "Sobel y": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=float),
    "blur (5x5 box)": np.full((5, 5), 1 / 25),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
}


_COMPREHENSIONS = ("<listcomp>", "<genexpr>", "<dictcomp>", "<setcomp>")


class StandIn:
    """The reference's function ``name`` for the lesson's own cells, never for a student's function.

    A lesson cell binds it (``conv = figures.yours_or_reference(...)``) until the student's function passes, so
    it lives in the notebook's globals: it is not the reference's function object, holds none (it looks the
    function up at each call) and answers only a call made from a cell's top level or from this package's
    lesson helpers. Called from a function (the student's, a lambda, the grader running one) it raises, so a
    student's function cannot borrow the course's answer through it (the grader would also see the call)."""

    __slots__ = ("_name",)

    def __init__(self, name: str):
        getattr(R, name)   # an unknown name fails here, not at the first call
        self._name = name

    @property
    def __name__(self) -> str:   # not the catalogue name: check() must not take it for a student's function
        return f"reference_{self._name}_stand_in"

    def __repr__(self) -> str:
        return f"<the course's reference {self._name}, for lesson cells only>"

    def __call__(self, *args, **kwargs):
        caller = sys._getframe(1)
        while caller.f_code.co_name in _COMPREHENSIONS and caller.f_back is not None:
            caller = caller.f_back
        module = caller.f_globals.get("__name__", "") or ""
        if caller.f_code.co_name != "<module>" and not module.startswith(__package__ + "."):
            raise RuntimeError(f"this is the course's reference {self._name}, a stand-in that lesson cells use "
                               "until your function passes; a function may not call it (write your own)")
        return getattr(R, self._name)(*args, **kwargs)


def reference_stand_in(name: str) -> StandIn:
    """The reference's ``name`` for a lesson cell that needs it (see :class:`StandIn`)."""
    return StandIn(name)


def yours_or_reference(fn, name: str | None = None):
    """``fn`` once it passes its exercise's public cases, else a :class:`StandIn` for the reference's function
    of that name (with a printed note): the lessons' pictures use the student's own function as soon as it
    works, and the student's namespace never holds the reference's function itself."""
    from .notebook import check
    from ..sandbox.runtime.stubs import is_stub

    name = name or getattr(fn, "__name__", "")
    stand_in = StandIn(name)
    try:
        ok = not is_stub(fn) and check(fn, exercise=name, hidden=0, show=False).passed
    except Exception:  # noqa: BLE001 - any failure means "not ready yet"
        ok = False
    if not ok:
        print(f"(Your {name} does not pass its public cases yet, so this uses the reference's.)")
        return stand_in
    return fn


def answered(slug: str, **answers) -> bool:
    """Whether the answers of the by-hand exercise ``slug`` pass its cases; if not, a printed note. A cell
    whose picture shows that answer draws it only then, so Run All on a blank notebook gives nothing away."""
    from .notebook import check

    try:
        ok = check(slug, show=False, **answers).passed
    except Exception:  # noqa: BLE001 - an answer that cannot even be checked is not right yet
        ok = False
    if not ok:
        print("(This cell shows the answer of the exercise above: it draws once your answers pass. "
              "Run it again then.)")
    return ok


# ---------------------------------------------------------------------------------- lesson 1


def classic_example(image: np.ndarray, kernel: np.ndarray):
    """The worked example's image and kernel, every number shown."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.4), gridspec_kw={"width_ratios": [image.shape[1], kernel.shape[1]]})
    _grid(axes[0], image, f"image {image.shape[0]}x{image.shape[1]}")
    _grid(axes[1], kernel, f"kernel {kernel.shape[0]}x{kernel.shape[1]}", cmap="coolwarm", vmin=-2, vmax=2)
    return caption(fig, "The kernel's left column adds, its right column subtracts: it responds where "
                         "brightness changes from left to right.")


def sliding_window(image: np.ndarray, kernel: np.ndarray, i: int = 0, j: int = 0):
    """The kernel over the window at output position ``(i, j)``: the window, the products and the sum.

    Parameters
    ----------
    image : ndarray, shape (h, w)
    kernel : ndarray, shape (kh, kw)
    i, j : int
        Output position; the window's top-left pixel is ``image[i, j]``.
    """
    plt = _plt()
    kh, kw = kernel.shape
    out = R.convolve_grayscale_valid(image[None], kernel)[0]
    if not (0 <= i < out.shape[0] and 0 <= j < out.shape[1]):
        raise ValueError(f"sliding_window: position ({i}, {j}) is outside the {out.shape[0]}x{out.shape[1]} output")
    window = image[i:i + kh, j:j + kw]
    products = window * kernel + 0.0   # + 0.0 turns the -0 of 0 * -1 into 0: no "(-0)" in the caption
    shown = np.full(out.shape, np.nan)
    flat = i * out.shape[1] + j
    shown.flat[:flat + 1] = out.flat[:flat + 1]
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
    _grid(axes[0], image, "image, window in red")
    _box(axes[0], i, j, kh, kw)
    _grid(axes[1], products, "window x kernel (element by element)", cmap="coolwarm",
          vmin=-np.abs(products).max() - 1, vmax=np.abs(products).max() + 1)
    _grid(axes[2], np.nan_to_num(shown, nan=0.0), "output so far", cmap="coolwarm", vmin=-np.abs(out).max() - 1,
          vmax=np.abs(out).max() + 1, mask=np.isnan(shown))
    _box(axes[2], i, j, 1, 1)
    terms = " + ".join(f"({p:g})" for p in products.ravel())
    return caption(fig, f"output[{i}, {j}] = sum of the {products.size} products = {products.sum():g}   "
                         f"[{terms}]")


def slider(image: np.ndarray, kernel: np.ndarray):
    """An ipywidgets slider that moves the window over every output position and redraws the sum."""
    import ipywidgets as widgets

    plt = _plt()
    oh, ow = image.shape[0] - kernel.shape[0] + 1, image.shape[1] - kernel.shape[1] + 1

    def draw(position):
        sliding_window(image, kernel, position // ow, position % ow)
        plt.show()

    return widgets.interactive(draw, position=widgets.IntSlider(value=0, min=0, max=oh * ow - 1,
                                                                description="window"))


def _feature_map(ax, fmap, kernel):
    if abs(kernel.sum()) > 0.5:     # blur, sharpen: still a picture
        ax.imshow(fmap, cmap="gray", vmin=np.percentile(fmap, 1), vmax=np.percentile(fmap, 99))
    else:                           # edges, differences: signed responses, the strongest 1% saturate
        lim = np.percentile(np.abs(fmap), 99) or 1.0
        ax.imshow(fmap, cmap="RdBu_r", vmin=-lim, vmax=lim)


def feature_maps(photo: np.ndarray, kernels: dict, convolve):
    """``convolve`` (valid, grayscale) of the photograph with each kernel: one feature map per kernel."""
    plt = _plt()
    n = len(kernels) + 1
    cols = min(n, 4)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 3.1 * rows))
    axes = np.atleast_1d(axes).ravel()
    axes[0].imshow(photo, cmap="gray")
    axes[0].set_title(f"photo {photo.shape[0]}x{photo.shape[1]}", fontsize=10)
    for ax, (name, k) in zip(axes[1:], kernels.items()):
        fmap = convolve(photo[None], k)[0]
        _feature_map(ax, fmap, k)
        ax.set_title(f"{name} -> {fmap.shape[0]}x{fmap.shape[1]}", fontsize=10)
    for ax in axes:
        ax.axis("off")
    return caption(fig, "Edge kernels light up (red: brighter on the left or top; blue: the other way) only "
                         "where brightness changes in their direction; the blur smooths, the sharpen crispens.")


# ---------------------------------------------------------------------------------- lesson 2


def zero_padding(n: int, k: int, padding="same", stride: int = 1):
    """An n x n image inside its zero border for a k x k kernel: 'same' (Keras' rule), 'valid' or an int.

    The border comes from :func:`autograder.reference.geometry.axis_geometry`, the function the reference
    uses, so the picture shows the extra zero of an even kernel after (below/right), not before.
    """
    from ..reference.geometry import axis_geometry

    plt = _plt()
    g = axis_geometry(n, k, padding, stride)
    size = n + g.before + g.after
    grid = np.zeros((size, size))
    grid[g.before:g.before + n, g.before:g.before + n] = 1
    fig, ax = plt.subplots(figsize=(3.6, 3.9))
    ax.imshow(grid, cmap="Blues", vmin=-0.3, vmax=1.6)
    for r in range(size):
        for c in range(size):
            if grid[r, c] == 0:
                ax.text(c, r, "0", ha="center", va="center", fontsize=8, color="#57606a")
    _box(ax, 0, 0, k, k)
    text = "Blue: the image; the zeros around it let the red kernel centre on edge pixels."
    if stride > 1:   # the last strided window shows which zeros the stride needs
        last = (g.out - 1) * stride
        _box(ax, last, last, k, k, colour="#bf8700", lw=2)
        one = axis_geometry(n, k, padding, 1)
        text = (f"Red: first window; orange: last (stride {stride}). Zeros: {g.before} before, {g.after} after "
                f"(stride 1: {one.before} and {one.after}).")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"{n}x{n}, k={k}, padding={padding!r}, stride={stride}\n"
                 f"zeros: {g.before} before, {g.after} after -> output {g.out}x{g.out}", fontsize=9)
    return caption(fig, text)


def dilated_taps(k: int = 3, dilations=(1, 2, 3)):
    """Which pixels a k x k kernel reads at each dilation: same weights, wider view."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(dilations), figsize=(3.2 * len(dilations), 3.4))
    for ax, d in zip(np.atleast_1d(axes), dilations):
        span = R.geometry.effective_kernel_size(k, d)
        grid = np.zeros((span, span))
        grid[::d, ::d] = 1
        _cells(ax, grid, "Reds", 1.4)
        ax.set_title(f"dilation {d}: {k * k} taps over {span}x{span}", fontsize=10)
    return caption(fig, f"Red: the {k * k} pixels the kernel multiplies; dilation spreads them out, so the view "
                         "grows with no extra weights.")


def stride_grid(n: int = 7, k: int = 3, stride=(2, 2)):
    """The top-left corners of the windows a strided 'valid' convolution visits."""
    plt = _plt()
    sh, sw = stride
    oh, ow = R.conv_output_size(n, k, stride=sh), R.conv_output_size(n, k, stride=sw)
    grid = np.zeros((n, n))
    fig, ax = plt.subplots(figsize=(3.8, 4.0))
    _cells(ax, grid, "Greys", 1)
    for a in range(oh):
        for b in range(ow):
            ax.plot(b * sw, a * sh, "o", color=_WINDOW)
    _box(ax, 0, 0, k, k)
    _box(ax, 0, sw, k, k, colour="#0969da", lw=1.5)
    ax.set_title(f"{n}x{n}, k={k}, stride={stride}: output {oh}x{ow}", fontsize=10)
    return caption(fig, f"Dots: where windows start. The blue window is the red one moved by the stride ({sw}).")


# ---------------------------------------------------------------------------------- lesson 3


def channels_picture(rgb: np.ndarray, kernels: np.ndarray, convolve):
    """An RGB image's three channels, and the feature map of each filter (each spans all channels).

    Parameters
    ----------
    rgb : ndarray, shape (h, w, 3)
    kernels : ndarray, shape (kh, kw, 3, nc)
    convolve : the function computing ``convolve(images, kernels, padding='same')``
    """
    plt = _plt()
    maps = convolve(rgb[None], kernels, padding="same")[0]
    nc = kernels.shape[3]
    fig, axes = plt.subplots(2, max(4, nc), figsize=(2.6 * max(4, nc), 6.2))
    axes[0, 0].imshow(np.clip(rgb, 0, 1))
    axes[0, 0].set_title(f"input {rgb.shape[0]}x{rgb.shape[1]}x{rgb.shape[2]}", fontsize=9)
    for c, name in enumerate(("red", "green", "blue")):
        axes[0, c + 1].imshow(rgb[..., c], cmap="gray")
        axes[0, c + 1].set_title(f"channel {c} ({name})", fontsize=9)
    for f in range(nc):
        _feature_map(axes[1, f], maps[..., f], kernels[..., f])
        axes[1, f].set_title(f"filter {f}: {maps.shape[0]}x{maps.shape[1]}", fontsize=9)
    for ax in axes.ravel():
        ax.axis("off")
    return caption(fig, f"Each filter ({kernels.shape[0]}x{kernels.shape[1]}x{kernels.shape[2]}) reads all three "
                         f"channels and makes one map: {nc} filters, {nc} output channels.")


# ---------------------------------------------------------------------------------- lesson 4


def pooling(x: np.ndarray, kernel_shape=(2, 2), stride=(2, 2), mode: str = "max"):
    """Pooling windows on a small single-channel input, and the pooled output (computed by the reference)."""
    plt = _plt()
    out = R.pool(x[None, :, :, None], kernel_shape, stride, mode)[0, :, :, 0]
    colours = ["#d1242f", "#0969da", "#1a7f37", "#8250df", "#bf8700", "#57606a"]
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.5), gridspec_kw={"width_ratios": [x.shape[1], out.shape[1] + 1]})
    _grid(axes[0], x, f"input {x.shape[0]}x{x.shape[1]}")
    _grid(axes[1], out, f"{mode} pool {kernel_shape}, stride {stride}", fmt="{:.3g}")
    for a in range(out.shape[0]):
        for b in range(out.shape[1]):
            colour = colours[(a * out.shape[1] + b) % len(colours)]
            _box(axes[0], a * stride[0], b * stride[1], kernel_shape[0], kernel_shape[1], colour=colour, lw=2)
            _box(axes[1], a, b, 1, 1, colour=colour, lw=2)
    return caption(fig, f"Each coloured window gives the output cell of its colour: the {mode} of its values.")


#: The two 3x3 kernels the strided-convolution picture uses: one keeps the picture, one keeps its edges.
DOWNSAMPLING_KERNELS = {"blur": np.full((3, 3), 1 / 9), "Sobel x": KERNELS["Sobel x"]}


def downsampling(photo: np.ndarray, pool):
    """Two ways to halve a grayscale photo: 2x2 max pooling, stride 2 (``pool``: the student's function or the
    reference's stand-in), and 3x3 convolutions with stride 2 (the reference's), one per kernel of
    :data:`DOWNSAMPLING_KERNELS`: what a strided convolution keeps depends on its weights."""
    plt = _plt()
    pooled = pool(photo[None, :, :, None], (2, 2), (2, 2), "max")[0, :, :, 0]
    panels = [(f"input {photo.shape[0]}x{photo.shape[1]}", photo, False),
              (f"2x2 max pool, stride 2: {pooled.shape[0]}x{pooled.shape[1]}", pooled, False)]
    for name, k in DOWNSAMPLING_KERNELS.items():
        fmap = R.convolve_grayscale(photo[None], k, "same", (2, 2))[0]
        panels.append((f"3x3 {name}, stride 2: {fmap.shape[0]}x{fmap.shape[1]}", fmap, abs(k.sum()) < 0.5))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 3.6))
    for ax, (title, img, signed) in zip(axes, panels):
        if signed:   # an edge map: signed responses, the strongest 1% saturate
            lim = np.percentile(np.abs(img), 99) or 1.0
            ax.imshow(img, cmap="RdBu_r", vmin=-lim, vmax=lim)
        else:
            ax.imshow(img, cmap="gray")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    shapes = sorted({"x".join(map(str, p[1].shape)) for p in panels[1:]})
    return caption(fig, f"{'Each output is ' + shapes[0] if len(shapes) == 1 else 'Outputs ' + ', '.join(shapes)}. "
                        f"The pool has no weights; a 3x3 convolution has {DOWNSAMPLING_KERNELS['blur'].size} per "
                        "channel, and they decide what survives: the picture (blur) or its edges (Sobel x).")


# ---------------------------------------------------------------------------------- lesson 5


def small_cnn_table():
    """The shape-tracking exercise's CNN run through the reference layers: ``[(layer, shape, params)]``
    (:func:`autograder.reference.examples.small_cnn_table`), for the cell that shows it once answered."""
    from ..reference.examples import small_cnn_table as table

    return table()


def cnn_shapes(table):
    """The small CNN as boxes of its tensor shapes, with each layer's parameter count.

    ``table`` is :func:`autograder.reference.examples.small_cnn_table`'s rows: (layer, shape, params).
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 3.4))
    x = 0.0
    for idx, (name, shape, params) in enumerate(table):
        h = shape[0] if len(shape) == 3 else 1
        c = shape[-1]
        height = 0.4 + 2.2 * h / 28
        width = 0.25 + 0.9 * math.log2(c + 1) / 8
        ax.add_patch(_plt().Rectangle((x, -height / 2), width, height, fc="#ddf4ff", ec="#0969da"))
        ax.text(x + width / 2, height / 2 + 0.12, "x".join(map(str, shape)), ha="center", fontsize=8)
        ax.text(x + width / 2, -height / 2 - 0.2, name, ha="center", fontsize=8, rotation=0)
        ax.text(x + width / 2, -height / 2 - 0.42, f"{params:,} params", ha="center", fontsize=7, color="#57606a")
        if idx:
            ax.annotate("", xy=(x, 0), xytext=(x - 0.35, 0), arrowprops={"arrowstyle": "->"})
        x += width + 0.45
    ax.set_xlim(-0.2, x)
    ax.set_ylim(-2.0, 2.0)
    ax.axis("off")
    total = sum(p for *_, p in table)
    return caption(fig, "Height of a box: spatial size; width: channels. Pooling halves the size (rounding down) "
                        f"for free; {total:,} parameters in all.")


# ---------------------------------------------------------------------------------- lesson 6


def transpose_scatter(x: np.ndarray, kernel: np.ndarray, stride: int = 2):
    """Transposed convolution as scattering: each input pixel adds (its value x kernel) into the output.

    Parameters
    ----------
    x : ndarray, shape (h, w)
    kernel : ndarray, shape (kh, kw)
    """
    plt = _plt()
    out = R.convolve_transpose(x[None, :, :, None], kernel[:, :, None, None], stride=(stride, stride))[0, :, :, 0]
    kh, kw = kernel.shape
    n = x.size
    fig, axes = plt.subplots(1, n + 2, figsize=(2.3 * (n + 2), 2.9))
    _grid(axes[0], x, f"input {x.shape[0]}x{x.shape[1]}")
    for idx, (i, j) in enumerate(np.ndindex(*x.shape)):
        part = np.zeros_like(out)
        part[i * stride:i * stride + kh, j * stride:j * stride + kw] = x[i, j] * kernel
        _grid(axes[idx + 1], part, f"x[{i},{j}] * kernel", cmap="Oranges", vmin=0, vmax=np.abs(out).max())
        _box(axes[idx + 1], i * stride, j * stride, kh, kw)
    _grid(axes[-1], out, f"sum: {out.shape[0]}x{out.shape[1]}", cmap="Oranges")
    return caption(fig, f"Each input pixel stamps a scaled copy of the kernel, {stride} pixels apart; where "
                         "stamps overlap they add up.")


def _slope(sizes, times) -> float:
    """Slope of the log-log line through the two largest sizes: 2 means time proportional to the pixels."""
    return math.log(times[-1] / times[-2]) / math.log(sizes[-1] / sizes[-2])


def speed_plot(fn, name: str, sizes=(16, 32, 64, 128), batch: int = 8, repeats: int = 5):
    """Time ``fn`` against the reference on square images of growing size (both single-threaded).

    Returns the figure; its caption gives the slowdown at the largest size and the measured slope of each
    line (how fast its time grows), whatever they turn out to be. When ``fn`` is the reference's stand-in
    (the student's function does not pass yet) the legend says so.
    """
    import time

    from ..reference import single_threaded

    plt = _plt()
    ref = getattr(R, name)
    stand_in = isinstance(fn, StandIn)
    who = "the reference (stand-in)" if stand_in else "yours"
    rng = np.random.default_rng(0)
    mine, theirs = [], []
    for n in sizes:
        images = rng.standard_normal((batch, n, n))
        kernel = rng.standard_normal((3, 3))
        times = {"you": [], "reference": []}
        with single_threaded():   # one untimed call of each at this size first (allocations, caches)
            ref(images, kernel)
            fn(images, kernel)
        for _ in range(repeats):
            with single_threaded():
                for label, f in (("reference", ref), ("you", fn)):
                    t0 = time.perf_counter()
                    f(images, kernel)
                    times[label].append(time.perf_counter() - t0)
        mine.append(min(times["you"]))
        theirs.append(min(times["reference"]))
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.loglog(sizes, np.array(mine) * 1e3, "o-", color=_WINDOW,
              label="the reference again: your function does not pass yet" if stand_in else "your function")
    ax.loglog(sizes, np.array(theirs) * 1e3, "s-", color="#57606a", label="Numba reference")
    ax.set_xlabel("image side n (pixels), batch of %d" % batch)
    ax.set_ylabel("time (ms, best of %d)" % repeats)
    ax.legend()
    fig._convcourse_times = {"sizes": tuple(sizes), "fn": tuple(mine), "reference": tuple(theirs)}
    return caption(fig, f"At n={sizes[-1]} {who} takes {mine[-1] / theirs[-1]:.1f}x the reference's time. "
                        f"Slope from n={sizes[-2]} to {sizes[-1]}: {who} {_slope(sizes, mine):.1f}, reference "
                        f"{_slope(sizes, theirs):.1f} (2: time grows with the pixels).")


def _einsum_view(images, kernel, optimize=False):
    """The valid convolution as one einsum over the windows' strided view (``optimize`` as np.einsum's)."""
    from numpy.lib.stride_tricks import sliding_window_view

    windows = sliding_window_view(np.asarray(images, dtype=np.float64), kernel.shape, axis=(1, 2))
    return np.einsum("mijab,ab->mij", windows, kernel, optimize=optimize)


def einsum_speeds(taps, exercise: str, repeats: int = 5) -> dict[str, float]:
    """Time, against the reference, ``np.einsum("mijab,ab->mij", windows, kernel)`` on the strided view of
    :func:`numpy.lib.stride_tricks.sliding_window_view`, the same with ``optimize=True``, and ``taps`` (the
    loop over the kernel's taps), on the tier workload of ``exercise`` (the slug of the 'valid' grayscale
    convolution, which the lesson names): single-threaded,
    interleaved, fresh inputs each repeat, median of ``repeats``. Prints the table; returns the ratios
    ``t / t_reference`` by label."""
    import statistics
    import time

    from ..exercises import registry
    from ..reference import single_threaded
    from ..timing.tiers import workload_args

    unit = registry.get(exercise)
    wl, spec = unit.workload, unit.functions[0]
    contenders = {"einsum on the view": _einsum_view,
                  "einsum on the view, optimize=True": lambda i, k: _einsum_view(i, k, optimize=True),
                  "loop over the kernel's taps": taps}
    rng = np.random.default_rng(0)
    for f in contenders.values():   # a first call outside the timing (imports, caches)
        f(*workload_args(spec, wl.make(rng, 1)))
    times = {label: [] for label in ("reference", *contenders)}
    for _ in range(repeats):
        args = workload_args(spec, wl.make(rng, wl.m))
        with single_threaded():
            for label, f in (("reference", spec.reference), *contenders.items()):
                t0 = time.perf_counter()
                f(*args)
                times[label].append(time.perf_counter() - t0)
    median = {label: statistics.median(t) for label, t in times.items()}
    ratios = {label: median[label] / median["reference"] for label in contenders}
    shape = " x ".join(f"{a.shape}" for a in args if isinstance(a, np.ndarray))
    print(f"{wl.m} images, inputs {shape}; median of {repeats}, one thread")
    print(f"  {'reference (Numba)':<36} {median['reference'] * 1e3:7.2f} ms")
    for label, r in ratios.items():
        print(f"  {label:<36} {median[label] * 1e3:7.2f} ms  {r:5.1f}x the reference")
    return ratios


# ------------------------------------------------------------------------ expected vs received (check())

#: Planes up to this many rows and columns are also shown as numbers, not only as colours.
SMALL_PLANE = 8


def _output_axes(spec, ndim: int) -> int:
    """How many axes the exercise's output has, read from its spec's ``returns`` ("ndarray (m, oh, ow, nc)");
    ``ndim`` when there is no spec or it names no layout."""
    import re

    found = re.search(r"\(([^()]*)\)", getattr(spec, "returns", "") or "")
    return len(found.group(1).split(",")) if found else ndim


def output_plane(a: np.ndarray, axes: int, at: tuple | None = None) -> tuple[np.ndarray, str]:
    """The 2-D plane of an output to draw, and what it is, from the exercise's layout: every output of the
    course is batch first and channels last, so ``axes`` (its number of axes) says which axes are rows and
    columns: (m, h, w) -> image ``at[0]``; (m, h, w, c) -> image ``at[0]``, channel ``at[3]``; (m, c) -> the
    whole array (rows are images). ``at`` is an index into ``a`` (default: the first image and channel)."""
    a = np.asarray(a)
    if a.ndim != axes or axes <= 2:
        return np.atleast_2d(a), ("images x channels" if axes == 2 else "")
    at = tuple(at) if at is not None else (0,) * a.ndim
    plane = a[(at[0], slice(None), slice(None), *at[3:])]
    extra = ", ".join(f"channel {i}" for i in at[3:])
    return plane, f"image {at[0]}" + (f", {extra}" if extra else "")


def _magnitude(args) -> float:
    mag = 1.0
    for a in args:
        if isinstance(a, np.ndarray) and a.size and a.dtype.kind in "buif":
            mag *= max(float(np.max(np.abs(a.astype(np.float64)))), 1.0)
    return mag


def _differs(want: np.ndarray, got: np.ndarray, case) -> np.ndarray:
    """Where ``got`` is not ``want`` with the grader's own tolerance (same shapes)."""
    from ..grading.compare import close_enough

    if case is None or getattr(case, "spec", None) is None:
        terms, mag = 1, 1.0
    else:
        terms, mag = case.terms, _magnitude(case.args)
    with np.errstate(invalid="ignore"):
        return ~close_enough(got, want, terms, mag)


def expected_vs_received(want: np.ndarray, got, case=None):
    """The panels of a failed public case: ``[(title, plane, differs)]`` for expected, received (when it is an
    array with as many axes) and where they differ (when the shapes agree). The plane is the one of the first
    differing value, picked from the exercise's output layout (``case.spec.returns``), never guessed from the
    shape. None for a hidden case: its expected values are never shown."""
    if case is not None and getattr(case, "hidden", False):
        return None
    want = np.asarray(want)
    axes = _output_axes(getattr(case, "spec", None), want.ndim)
    received = isinstance(got, np.ndarray) and got.dtype.kind in "biuf" and got.ndim == want.ndim
    diff = _differs(want, got, case) if received and got.shape == want.shape else None
    at = tuple(int(i) for i in np.argwhere(diff)[0]) if diff is not None and diff.any() else None
    w, label = output_plane(want.astype(np.float64), axes, at)
    panels = [("expected", w, None)]
    if received:
        g, _ = output_plane(got.astype(np.float64), axes, at)
        d = output_plane(diff, axes, at)[0] if diff is not None else None
        panels[0] = ("expected", w, d)
        panels.append(("received", g, d))
        if d is not None:
            panels.append(("where they differ", d, None))
    return label, panels


def failed_case_figure(want: np.ndarray, got, case=None):
    """Expected, received and where they differ as colours, one scale for both (a ``matplotlib`` Figure made
    without pyplot, so the notebook's backend stays as it is). None for a hidden case or an empty output."""
    from matplotlib.figure import Figure

    found = expected_vs_received(want, got, case)
    if found is None or found[1][0][1].size == 0:
        return None
    label, panels = found
    values = np.concatenate([p.ravel() for _, p, _ in panels if p.dtype != bool])
    values = values[np.isfinite(values)]
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    fig = Figure(figsize=(2.6 * len(panels), 2.6))
    axes = fig.subplots(1, len(panels))
    for ax, (title, img, _) in zip(np.atleast_1d(axes), panels):
        if img.dtype == bool:   # fixed scale: an all-different mask must show red, not a blank square
            ax.imshow(img, cmap="Reds", vmin=0, vmax=1)
        else:                   # one colour scale for expected and received, so colours compare
            ax.imshow(img, cmap="viridis", vmin=lo, vmax=hi)
        ax.set_title(f"{title}\n{label + ': ' if label else ''}{img.shape[0]}x{img.shape[1]}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig._convcourse_label = label
    return fig


def failed_case_html(want: np.ndarray, got, case=None) -> str | None:
    """The feedback of a failed public case in HTML: the picture (:func:`failed_case_figure`) and, when the
    planes are small (up to :data:`SMALL_PLANE` a side), their values as numbers with the differing cells
    marked. None for a hidden case (its expected values are never shown)."""
    import base64
    import io

    from ..formats.html import values_html

    found = expected_vs_received(want, got, case)
    if found is None:
        return None
    label, panels = found
    parts = []
    try:
        fig = failed_case_figure(want, got, case)
    except ImportError:   # no matplotlib: the numbers alone
        fig = None
    if fig is not None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=80)
        data = base64.b64encode(buf.getvalue()).decode()
        alt = f"expected, received and where they differ{' (' + label + ')' if label else ''}"
        parts.append(f"<img alt='{alt}' src='data:image/png;base64,{data}'/>")
    grids = [(title, plane, d) for title, plane, d in panels if plane.dtype != bool]
    if all(0 < p.shape[0] <= SMALL_PLANE and 0 < p.shape[1] <= SMALL_PLANE for _, p, _ in grids):
        parts.append(values_html(grids, label))
    return "".join(parts) or None


# ---------------------------------------------------------------------------------- lesson 7


def _signed(a) -> dict:
    """coolwarm around 0 for a grid of signed numbers (gradients), as the sliding window's products."""
    lim = float(np.nanmax(np.abs(a))) if np.size(a) else 0.0
    return {"cmap": "coolwarm", "vmin": -lim - 1, "vmax": lim + 1}


def _who(fn) -> str:
    """Whose function a lesson picture ran: the student's, or the reference's stand-in."""
    return "the reference's (stand-in)" if isinstance(fn, StandIn) else "yours"


def step_size_errors(n: int = 50, seed: int = 0):
    """The error of a finite-difference derivative against the step ``eps``: forward and central differences
    in float64, central differences in float32, for one partial derivative of ``f(x) = sum(w * tanh(x))``
    (``n`` values, known exact derivative). The caption gives each method's smallest error and its step."""
    plt = _plt()
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal(n), rng.uniform(0.5, 2.0, n)
    exact = w[0] * (1 - np.tanh(x[0]) ** 2)

    def f(v):   # computed in v's dtype
        return np.sum(w.astype(v.dtype) * np.tanh(v))

    def moved(v, delta):
        u = v.copy()
        u[0] += delta
        return u

    steps = np.logspace(-13, -1, 25)
    x32 = x.astype(np.float32)
    errors = {"central, float64": [], "forward, float64": [], "central, float32": []}
    for eps in steps:
        up, down = f(moved(x, eps)), f(moved(x, -eps))
        errors["central, float64"].append(abs((up - down) / (2 * eps) - exact))
        errors["forward, float64"].append(abs((up - f(x)) / eps - exact))
        e32 = np.float32(eps)
        errors["central, float32"].append(abs(float(f(moved(x32, e32)) - f(moved(x32, -e32))) / (2 * eps) - exact))
    errors = {label: np.maximum(np.array(e), 1e-17) for label, e in errors.items()}   # an exact hit: no log(0)
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for (label, e), style, colour in zip(errors.items(), ("o-", "s--", "^-"), ("#0969da", "#bf8700", "#1a7f37")):
        ax.loglog(steps, e, style, ms=4, label=label, color=colour)   # the lesson calls float32 "the green curve"
    ax.axvline(1e-6, color="#57606a", lw=0.8, ls=":")
    ax.text(1e-6, ax.get_ylim()[1], " eps=1e-6", fontsize=7, va="top", color="#57606a")
    ax.set_xlabel("step eps")
    ax.set_ylabel("|estimate - exact derivative|")
    ax.legend(fontsize=8)
    fig._convcourse_errors = {"steps": steps, **errors}
    c, fw, c32 = (float(e[np.argmin(np.abs(np.log10(steps) + 6))]) for e in errors.values())
    return caption(fig, f"At eps=1e-6 the error is {c:.0e} (central), {fw:.0e} (forward), {c32:.0e} (central in "
                        "float32); left of each curve's lowest point, rounding error grows.")


def kernel_gradient(image: np.ndarray, d_out: np.ndarray, i: int = 0, j: int = 0, kernel_shape=(3, 3)):
    """``d_kernels[i, j]`` of a 'valid' grayscale layer, by hand: the block of pixels tap ``(i, j)`` met (one
    per output), times ``d_out``, summed; the taps done so far (computed by the reference's
    ``convolve_backward``).

    Parameters
    ----------
    image : ndarray, shape (h, w)
    d_out : ndarray, shape (h - kh + 1, w - kw + 1)
    i, j : int
        The tap.
    """
    plt = _plt()
    kh, kw = kernel_shape
    oh, ow = d_out.shape
    if image.shape != (oh + kh - 1, ow + kw - 1):
        raise ValueError(f"kernel_gradient: a {image.shape[0]}x{image.shape[1]} image and a {kh}x{kw} kernel give "
                         f"a {image.shape[0] - kh + 1}x{image.shape[1] - kw + 1} output; d_out is {oh}x{ow}")
    if not (0 <= i < kh and 0 <= j < kw):
        raise ValueError(f"kernel_gradient: tap ({i}, {j}) is outside the {kh}x{kw} kernel")
    dk = R.convolve_backward(d_out[None, :, :, None].astype(float), image[None, :, :, None].astype(float),
                             np.zeros((kh, kw, 1, 1)), "valid")[1][:, :, 0, 0]
    products = image[i:i + oh, j:j + ow] * d_out + 0.0
    shown = np.full(dk.shape, np.nan)
    shown.flat[:i * kw + j + 1] = dk.flat[:i * kw + j + 1]
    fig, axes = plt.subplots(1, 4, figsize=(12.5, 3.4))
    _grid(axes[0], image, f"image, tap ({i}, {j})'s block in red")
    _box(axes[0], i, j, oh, ow)
    _grid(axes[1], d_out, "d_out = dL/d(output)", **_signed(d_out))
    _grid(axes[2], products, "block x d_out", **_signed(products))
    _grid(axes[3], np.nan_to_num(shown, nan=0.0), "d_kernels so far", mask=np.isnan(shown), **_signed(dk))
    _box(axes[3], i, j, 1, 1)
    return caption(fig, f"d_kernels[{i}, {j}] = sum of the {products.size} products = {dk[i, j]:g}: tap ({i}, {j}) met "
                        "one pixel in each output's window, weighted here by that output's d_out.")


def image_gradient(d_out: np.ndarray, kernel: np.ndarray, y: int = 0, x: int = 0, stride: int = 1):
    """``d_images`` of a 'valid' grayscale layer as a scatter: output ``(y, x)`` sends ``d_out[y, x] * kernel``
    back to the pixels its window read; d_images adds every output's stamp (the reference's
    ``convolve_backward``), and a last panel counts how many outputs read each pixel."""
    plt = _plt()
    kh, kw = kernel.shape
    oh, ow = d_out.shape
    if not (0 <= y < oh and 0 <= x < ow):
        raise ValueError(f"image_gradient: output ({y}, {x}) is outside the {oh}x{ow} d_out")
    s = stride
    h, w = (oh - 1) * s + kh, (ow - 1) * s + kw
    zeros = np.zeros((1, h, w, 1))

    def scatter(d, k):
        return R.convolve_backward(d[None, :, :, None].astype(float), zeros, k[:, :, None, None].astype(float),
                                   "valid", (s, s))[0][0, :, :, 0]

    d_images = scatter(d_out, kernel)
    reads = scatter(np.ones_like(d_out), np.ones_like(kernel))
    stamp = np.zeros((h, w))
    stamp[y * s:y * s + kh, x * s:x * s + kw] = d_out[y, x] * kernel
    fig, axes = plt.subplots(1, 4, figsize=(12.5, 3.4), gridspec_kw={"width_ratios": [ow, w, w, w]})
    _grid(axes[0], d_out, "d_out", **_signed(d_out))
    _box(axes[0], y, x, 1, 1)
    _grid(axes[1], stamp + 0.0, f"d_out[{y}, {x}] x kernel, where its window was", **_signed(d_images))
    _box(axes[1], y * s, x * s, kh, kw)
    _grid(axes[2], d_images + 0.0, f"d_images: all {oh * ow} stamps added", **_signed(d_images))
    _grid(axes[3], reads, "outputs that read each pixel", cmap="Blues", vmin=0, vmax=reads.max() * 1.6)
    most = tuple(int(v) for v in np.unravel_index(np.argmax(reads), reads.shape))
    return caption(fig, f"Output ({y}, {x}) read the boxed pixels, so its gradient goes back there; pixel {most} was "
                        f"read by {reads.max():g} outputs and adds {reads.max():g} stamps, pixel (0, 0) "
                        f"{reads[0, 0]:g}.")


def pool_gradient(x: np.ndarray, d_out: np.ndarray, kernel_shape=(2, 2), stride=(2, 2), mode: str = "max",
                  padding: str = "valid"):
    """The backward pass of pooling on a small single-channel input: the windows (max: each one's first
    maximum ringed), ``d_out``, and ``d_images`` (the reference's ``pool_backward``)."""
    plt = _plt()
    (kh, kw), (sh, sw) = kernel_shape, stride
    h, w = x.shape
    gh, gw = R.axis_geometry(h, kh, padding, sh), R.axis_geometry(w, kw, padding, sw)
    if d_out.shape != (gh.out, gw.out):
        raise ValueError(f"pool_gradient: d_out must have the pooled shape {(gh.out, gw.out)}; got {d_out.shape}")
    d_images = R.pool_backward(d_out[None, :, :, None].astype(float), x[None, :, :, None].astype(float),
                               kernel_shape, stride, mode, padding)[0, :, :, 0]
    pads = ((gh.before, gh.after), (gw.before, gw.after))
    xp = np.pad(x.astype(float), pads, constant_values=-np.inf)
    real = np.pad(np.ones((h, w)), pads)
    colours = ["#d1242f", "#0969da", "#1a7f37", "#8250df", "#bf8700", "#57606a"]
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.6),
                             gridspec_kw={"width_ratios": [xp.shape[1], gw.out + 1, xp.shape[1]]})
    _grid(axes[0], np.where(real > 0, xp, 0.0), f"input {h}x{w}", mask=real == 0)
    _grid(axes[1], d_out, "d_out", **_signed(d_out))
    _grid(axes[2], np.pad(d_images, pads) + 0.0, "d_images", fmt="{:.3g}", mask=real == 0, **_signed(d_images))
    wins, tied, shares = np.zeros((h, w), dtype=int), 0, []
    for a in range(gh.out):
        for b in range(gw.out):
            colour = colours[(a * gw.out + b) % len(colours)]
            top, left = a * sh, b * sw
            _box(axes[0], top, left, kh, kw, colour=colour, lw=2)
            _box(axes[1], a, b, 1, 1, colour=colour, lw=2)
            window = xp[top:top + kh, left:left + kw]
            if mode == "max":
                r, c = np.unravel_index(np.argmax(window), window.shape)   # argmax: the first maximum
                tied += int(np.sum(window == window.max()) > 1)
                wins[top + r - gh.before, left + c - gw.before] += 1
                for ax in (axes[0], axes[2]):
                    ax.plot(left + c, top + r, "o", ms=20, mfc="none", mec=colour, mew=2)
            else:
                shares.append(int(real[top:top + kh, left:left + kw].sum()))
    if mode == "max":
        parts = ["Each window sends its d_out to its first maximum (ringed); the other cells get 0"]
        several = np.argwhere(wins > 1)
        if len(several) == 1:
            (r, c), = several
            parts.append(f"cell ({r}, {c}) wins {wins[r, c]} windows and gets the sum of their d_out, "
                         f"{d_images[r, c]:g}")
        elif len(several):
            parts.append(f"{len(several)} cells win several windows and get the sum of their d_out")
        if tied:
            parts.append(f"{tied} window{'s hold' if tied > 1 else ' holds'} a tied maximum: only the first in "
                         "row-major order gets it")
        text = "; ".join(parts) + "."
    else:
        counted = ", ".join(map(str, shares[:-1])) + (" and " if len(shares) > 1 else "") + str(shares[-1])
        text = (f"Each window spreads its d_out evenly over its real cells ({counted} here; padded cells get "
                "none); where windows overlap the shares add.")
    fig._convcourse_wins = wins
    return caption(fig, text)


def _relative_error(got, want) -> float:
    """Largest |got - want|, relative to the largest |want| (inf when the shapes differ)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return math.inf
    scale = max(float(np.max(np.abs(want))) if want.size else 0.0, 1e-12)
    return float(np.max(np.abs(got - want))) / scale if want.size else 0.0


def gradient_check(backward, numerical_gradient, layer: str = "convolution", seed: int = 0, eps: float = 1e-6,
                   **geometry):
    """Check a backward function against central differences on a small random case, and plot one against
    the other (every point on the diagonal when they agree).

    The loss is ``L = sum(forward(...) * r)`` for a random ``r``, so ``d_out = r``; the forward is the
    reference's. ``layer`` is ``"pooling"`` (``backward`` is ``pool_backward``; geometry ``kernel_shape``,
    ``stride``, ``mode``, ``padding``) or ``"convolution"`` (``convolve_backward``; ``padding``, ``stride``,
    ``dilation``: d_images, d_kernels and d_bias are each checked). ``numerical_gradient(f, x, eps)`` gives
    the central differences. Prints which functions ran and the largest relative error of each gradient.
    """
    plt = _plt()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 6, 7, 2))
    name = backward._name if isinstance(backward, StandIn) else getattr(backward, "__name__", "backward")
    if layer == "pooling":
        geometry = {"kernel_shape": (2, 2), "stride": (2, 2), "mode": "max", "padding": "valid"} | geometry
        args = tuple(geometry.values())
        r = rng.standard_normal(R.pool(x, *args).shape)
        got = {"d_images": backward(r, x, *args)}
        want = {"d_images": numerical_gradient(lambda v: float(np.sum(R.pool(v, *args) * r)), x, eps)}
        forward = f"pool(images, {', '.join(map(repr, args))})"
    elif layer == "convolution":
        geometry = {"padding": "same", "stride": (1, 1), "dilation": (1, 1)} | geometry
        args = tuple(geometry.values())
        k, b = rng.standard_normal((3, 3, 2, 3)), rng.standard_normal(3)
        r = rng.standard_normal(R.convolve(x, k, *args).shape)

        def loss(xv, kv, bv):
            return float(np.sum((R.convolve(xv, kv, *args) + bv) * r))

        parts = backward(r, x, k, *args) if geometry["dilation"] != (1, 1) else backward(r, x, k, *args[:2])
        got = dict(zip(("d_images", "d_kernels", "d_bias"), parts))
        want = {"d_images": numerical_gradient(lambda v: loss(v, k, b), x, eps),
                "d_kernels": numerical_gradient(lambda v: loss(x, v, b), k, eps),
                "d_bias": numerical_gradient(lambda v: loss(x, k, v), b, eps)}
        forward = f"(convolve(images, kernels, {', '.join(map(repr, args))}) + bias)"
    else:
        raise ValueError(f"gradient_check: layer must be 'pooling' or 'convolution'; got {layer!r}")
    errors = {part: _relative_error(got.get(part), want[part]) for part in want}
    print(f"{name}: {_who(backward)}; numerical_gradient: {_who(numerical_gradient)}; eps={eps:g}")
    print(f"loss L = sum({forward} * r), so d_out = r")
    for part, err in errors.items():
        print(f"  {part:<10} largest difference {err:.1e} of its largest gradient ({want[part].size} values)")
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for part in want:
        if errors[part] < math.inf:
            ax.plot(np.ravel(want[part]), np.ravel(got[part]), ".", ms=5, label=part)
    lim = max(float(np.max(np.abs(v))) for v in want.values()) * 1.1
    ax.plot([-lim, lim], [-lim, lim], color="#8c959f", lw=0.8, zorder=0)
    ax.set_xlabel("central differences")
    ax.set_ylabel(f"{name} ({_who(backward)})")
    ax.legend(fontsize=8)
    worst = max(errors.values())
    fig._convcourse_errors = errors
    verdict = "every point is on the diagonal" if worst < 1e-6 else "points off the diagonal are wrong gradients"
    return caption(fig, f"{sum(v.size for v in want.values())} gradient values, {_who(backward)} against central "
                        f"differences: largest relative error {worst:.1e}, so {verdict}.")


def _kernel_crops(rng, n: int, size: int) -> np.ndarray:
    """``n`` crops of the photograph, ``size`` x ``size``, each scaled to mean 0 and standard deviation 1:
    ndarray, shape (n, size, size, 1), float64. Draws the corners from ``rng``."""
    photo = sample_photo(256)
    corners = rng.integers(0, photo.shape[0] - size + 1, (n, 2))
    images = np.stack([photo[i:i + size, j:j + size] for i, j in corners])[..., None]
    return (images - images.mean(axis=(1, 2, 3), keepdims=True)) / images.std(axis=(1, 2, 3), keepdims=True)


def kernel_curvatures(seed: int = 0, n: int = 16, size: int = 32) -> np.ndarray:
    """The curvatures of :func:`learn_kernel`'s loss: the eigenvalues, smallest first, of its Hessian in the
    ten parameters (nine weights and the bias), ``2 X^T X / N`` for the ``N`` windows ``X`` (with a column of
    ones for the bias). The loss is quadratic, so they are the same everywhere and for every hidden kernel.
    A step of ``lr`` multiplies the error along an eigenvector of curvature ``c`` by ``1 - lr * c``: steps
    converge only when ``lr < 2 / max(c)``, and the smallest ``c`` sets the pace."""
    from numpy.lib.stride_tricks import sliding_window_view

    images = _kernel_crops(np.random.default_rng(seed), n, size)[..., 0]
    windows = sliding_window_view(images, (3, 3), axis=(1, 2)).reshape(-1, 9)
    x = np.hstack([windows, np.ones((len(windows), 1))])
    return np.linalg.eigvalsh(2 * x.T @ x / len(x))


def learn_kernel(backward, convolve, hidden: str = "Sobel x", steps: int = 2000, lr: float = 0.1, tol: float = 1e-7,
                 seed: int = 0, n: int = 16, size: int = 32):
    """Learn a 3x3 kernel (and its bias) by gradient descent until it recovers a hidden one.

    ``n`` crops of ``size`` x ``size`` pixels of the photograph (each scaled to mean 0 and standard deviation
    1) go through the hidden kernel of :data:`KERNELS` to make the targets; a random kernel then takes steps
    ``kernel -= lr * d_kernels`` (and the bias) on the mean squared error, with ``backward``
    (``convolve_backward``) for the gradients and ``convolve`` for the forward pass ('valid'), until the loss
    is below ``tol`` or after ``steps`` steps. The figure shows the loss curve (log scale) and the start,
    learned and hidden kernels; the caption the steps taken and the final error, as measured.
    """
    plt = _plt()
    rng = np.random.default_rng(seed)
    images = _kernel_crops(rng, n, size)
    target = KERNELS[hidden]
    targets = convolve(images, target[:, :, None, None], "valid")
    kernel, bias = rng.standard_normal(target.shape + (1, 1)) * 0.5, np.zeros(1)
    start, losses = kernel[:, :, 0, 0].copy(), []
    with np.errstate(over="ignore", invalid="ignore"):   # too large a learning rate: said below, not warned
        for taken in range(steps + 1):   # the loss after `taken` steps; stop when it is small enough
            diff = convolve(images, kernel, "valid") + bias - targets
            losses.append(float(np.mean(diff ** 2)))
            diverged = not losses[-1] < 1e3 * losses[0]
            if losses[-1] < tol or taken == steps or diverged:
                break
            _, d_kernels, d_bias = backward(2 * diff / diff.size, images, kernel, "valid")
            kernel, bias = kernel - lr * np.asarray(d_kernels), bias - lr * np.asarray(d_bias)
    learned = kernel[:, :, 0, 0]
    error = float(np.max(np.abs(learned - target)))
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4), gridspec_kw={"width_ratios": [2.2, 1, 1, 1]})
    axes[0].semilogy(losses, color=_WINDOW)
    axes[0].set_xlabel("step")
    axes[0].set_ylabel("mean squared error")
    axes[0].set_title(f"loss, convolve_backward: {_who(backward)}", fontsize=10)
    lim = {"cmap": "coolwarm", "vmin": -2.5, "vmax": 2.5}
    _grid(axes[1], np.round(start, 2), "random start", fmt="{:.2f}", **lim)
    _grid(axes[2], np.round(learned, 2), f"learned, bias {bias[0] + 0.0:.0e}", fmt="{:.2f}", **lim)
    _grid(axes[3], target, f"hidden: {hidden}", **lim)
    fig._convcourse_history = {"losses": losses, "steps": taken, "kernel": learned, "bias": float(bias[0]),
                               "error": error, "diverged": diverged}
    if diverged:
        return caption(fig, f"The loss grew from {losses[0]:.2g} to {losses[-1]:.1g} in {taken} steps: the learning "
                            f"rate {lr:g} is too large, each step overshoots.")
    half = len(losses) // 2
    cut = 1 - (losses[-1] / losses[half]) ** (1 / max(len(losses) - 1 - half, 1))   # per step, over the last half
    fig._convcourse_history["cut"] = cut
    return caption(fig, f"{taken} steps (learning rate {lr:g}) took the loss from {losses[0]:.2g} to "
                        f"{losses[-1]:.1g}, each step of the last half cutting it by {cut:.0%}; the learned kernel "
                        f"is the hidden {hidden} to within {error:.0e}.")


# ---------------------------------------------------------------------------------- lesson 8


def _paths_to_input(layers) -> np.ndarray:
    """Along one axis, how many paths lead from one output of ``layers`` (``(kernel, stride, dilation)`` each,
    first layer first, no padding) down to each input pixel it depends on; zero where it does not. The
    length is the span of input pixels it sees."""
    counts = np.ones(1, dtype=np.int64)
    for k, s, d in reversed([tuple(int(v) for v in layer) for layer in layers]):
        below = np.zeros((len(counts) - 1) * s + (k - 1) * d + 1, dtype=np.int64)
        for tap in range(k):   # tap j of output p reads input p * s + j * d
            below[tap * d:tap * d + (len(counts) - 1) * s + 1:s] += counts
        counts = below
    return counts


def _layer_label(k: int, s: int, d: int) -> str:
    return f"{k}x{k}" + (f"/{s}" if s > 1 else "") + (f" dilation {d}" if d > 1 else "")


def _whose(fn) -> str:
    return "the reference's" if isinstance(fn, StandIn) else "your"


def receptive_field_growth(stacks: dict, receptive_field):
    """How far one output sees through each stack of layers, layer by layer, along one axis.

    ``stacks`` maps a name to a list of ``(kernel, stride, dilation)`` (a pooling layer is a kernel and a
    stride, dilation 1). Row ``n`` of a panel shows the input pixels one output of layer ``n`` depends on,
    found by following every tap back to the input, shaded by how many paths lead to each; the titles give
    ``receptive_field(layers)`` (the student's function once it passes, else the reference's stand-in).
    """
    from matplotlib.patches import Rectangle

    plt = _plt()
    cmap = plt.get_cmap("Blues")
    deepest = max(len(layers) for layers in stacks.values())
    fig, axes = plt.subplots(1, len(stacks), figsize=(4.6 * len(stacks), 0.55 * deepest + 2.2), squeeze=False)
    spans, said = {}, {}
    for ax, (name, layers) in zip(axes[0], stacks.items()):
        layers = [tuple(int(v) for v in layer) for layer in layers]
        widest = len(_paths_to_input(layers))
        for depth in range(1, len(layers) + 1):
            counts = _paths_to_input(layers[:depth])
            left = (widest - len(counts)) / 2
            for i, c in enumerate(counts):
                if c:
                    ax.add_patch(Rectangle((left + i, depth - 1.4), 0.92, 0.8, ec="#0969da", lw=0.4,
                                           fc=cmap(0.25 + 0.75 * c / counts.max())))
        size, jump = receptive_field(layers)
        spans[name], said[name] = widest, (int(size), int(jump))
        ax.set_xlim(-0.5, widest + 0.5)
        ax.set_ylim(-0.6, len(layers) - 0.4)
        ax.set_yticks(range(len(layers)))
        ax.set_yticklabels([f"{i + 1}: {_layer_label(*layer)}" for i, layer in enumerate(layers)], fontsize=8)
        ax.set_xticks([])
        ax.set_xlabel(f"input pixels along one axis (span {widest})", fontsize=8)
        ax.set_title(f"{name}\n{_whose(receptive_field)} receptive_field: size {size}, jump {jump}", fontsize=9)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
    fig._convcourse_spans = spans
    wrong = [name for name in stacks if said[name][0] != spans[name]]
    text = (f"Row n: the input pixels one output of layer n sees (darker: more paths lead there); the last layers "
            f"see {', '.join(str(spans[n]) for n in stacks)} pixels.")
    if wrong:
        text += f" {_whose(receptive_field).capitalize()} receptive_field disagrees for {', '.join(wrong)}."
    return caption(fig, text)


def _architectures() -> dict:
    from ..reference import examples

    return {"LeNet-5": examples.architecture_table(examples.LENET5, examples.LENET5_INPUT),
            "VGG-16 block 2": examples.architecture_table(examples.VGG_BLOCK, examples.VGG_BLOCK_INPUT)}


def architecture_costs(batch: int = 32):
    """The architecture-tracking exercise's two networks (LeNet-5 and VGG-16's second block), computed by
    the reference: prints each layer's output shape, parameters and activations (floats per image, and KiB
    in float32), what a training ``batch`` of images keeps in float32, and draws parameters and activations
    per layer. It shows the exercise's answers: draw it behind :func:`answered`."""
    plt = _plt()
    tables = _architectures()
    for name, rows in tables.items():
        params, floats = sum(r[2] for r in rows), sum(r[3] for r in rows)
        print(f"{name:<30} {'output':<16} {'parameters':>11} {'floats/image':>13} {'KiB (float32)':>14}")
        for layer, shape, p, f in rows:
            print(f"  {layer:<28} {'x'.join(map(str, shape)):<16} {p:>11,} {f:>13,} {f * 4 / 1024:>14,.1f}")
        print(f"  {'total':<28} {'':<16} {params:>11,} {floats:>13,} {floats * 4 / 1024:>14,.1f}")
        print(f"  in float32: the weights take {params * 4 / 2 ** 20:,.2f} MiB, the layers' outputs for a batch of "
              f"{batch} images {floats * 4 * batch / 2 ** 20:,.1f} MiB\n")
    fig, axes = plt.subplots(len(tables), 2, figsize=(11, 1.2 + 0.42 * sum(len(t) for t in tables.values())),
                             gridspec_kw={"height_ratios": [len(t) for t in tables.values()]}, squeeze=False)
    parts = []
    for (name, rows), (ax_p, ax_a) in zip(tables.items(), axes):
        labels = [f"{i + 1}: {layer}" for i, (layer, *_) in enumerate(rows)]
        for ax, column, colour, what in ((ax_p, 2, "#0969da", "parameters"),
                                         (ax_a, 3, "#bf8700", "activations (floats per image)")):
            values = [r[column] for r in rows]
            y = np.arange(len(rows))[::-1]
            ax.barh(y, [max(v, 0.5) for v in values], color=[colour if v else "#d0d7de" for v in values])
            for yy, v in zip(y, values):
                ax.text(max(v, 1) * 1.15, yy, f"{v:,}", va="center", fontsize=7)
            ax.set_xscale("log")
            ax.set_xlim(0.5, max(values) * 40)
            ax.set_yticks(y)
            ax.set_yticklabels(labels if column == 2 else [], fontsize=8)
            ax.set_title(f"{name}: {what} (log scale)", fontsize=9)
        params, floats = [r[2] for r in rows], [r[3] for r in rows]
        top_p = int(np.argmax(params))
        top_a = [i + 1 for i, v in enumerate(floats) if v == max(floats)]
        most = f"layer {top_a[0]} outputs" if len(top_a) == 1 else \
            f"layers {', '.join(map(str, top_a[:-1]))} and {top_a[-1]} each output"
        parts.append(f"{name}: layer {top_p + 1} holds {params[top_p] / sum(params):.0%} of the {sum(params):,} "
                     f"parameters, {most} the most ({max(floats):,} floats per image)")
    fig._convcourse_tables = tables
    return caption(fig, "; ".join(parts) + ".")


def _your_layers(functions: dict):
    """:class:`~autograder.course.training.Layers` with each of ``functions`` that passes its public cases
    (the exercise of its name), the reference's elsewhere; prints a note for each given function that does
    not pass yet. ``None`` (or a stand-in) means "not given"."""
    from . import training
    from .notebook import check
    from ..sandbox.runtime.stubs import is_stub

    unknown = sorted(set(functions) - set(training.LAYER_NAMES))
    if unknown:
        raise ValueError(f"unknown layer {', '.join(unknown)}; expected some of {', '.join(training.LAYER_NAMES)}")
    passing = {}
    for name in training.LAYER_NAMES:
        fn = functions.get(name)
        if fn is None or isinstance(fn, StandIn):
            continue
        try:
            ok = callable(fn) and not is_stub(fn) and check(fn, exercise=name, hidden=0, show=False).passed
        except Exception:  # noqa: BLE001 - any failure means "not ready yet"
            ok = False
        if ok:
            passing[name] = fn
        else:
            print(f"(Your {name} does not pass its public cases yet, so the network uses the reference's.)")
    return training.Layers.with_yours(**passing)


def train_digits(epochs: int = 30, seed: int = 0, data=None, **functions):
    """Train notebook 8's CNN on scikit-learn's 8x8 digits with the student's layers where they work.

    ``functions`` are the student's ``convolve``, ``pool``, ``global_average_pool``, ``convolve_backward`` and
    ``pool_backward`` (any of them; ``None`` for one not written): each that passes its public cases runs,
    the reference's runs for the others (the :class:`~autograder.course.training.Layers` stays inside this
    call, so no lesson global holds a reference function). Prints which function ran for each layer, the
    loss every 10 epochs, the test accuracy and the time; a layer that breaks inside the network
    (:class:`~autograder.course.training.LayerError`) is reported and the run repeated with the reference's
    layers. Returns the :class:`~autograder.course.training.History`. ``data`` as :func:`training.train`'s.
    """
    from . import training

    layers = _your_layers(functions)
    data = training.load_digits_split() if data is None else data
    print(f"Layers: {layers.describe()}")
    print(f"{len(data.x_train):,} training and {len(data.x_test):,} test digits of "
          f"{data.x_train.shape[1]}x{data.x_train.shape[2]} pixels, {epochs} epochs")

    def progress(epoch, loss, accuracy):
        if epoch == 0 or (epoch + 1) % 10 == 0 or epoch + 1 == epochs:
            print(f"  epoch {epoch + 1:>3}: loss {loss:.3f}, training accuracy {accuracy:.1%}")

    try:
        history = training.train(layers, epochs=epochs, seed=seed, data=data, on_epoch=progress)
    except training.LayerError as exc:
        print(f"{exc}\nTraining again with the reference's layers.")
        layers = training.Layers.reference()
        print(f"Layers: {layers.describe()}")
        history = training.train(layers, epochs=epochs, seed=seed, data=data, on_epoch=progress)
    right, total = int(np.trace(history.confusion)), int(history.confusion.sum())
    print(f"Test accuracy {history.test_accuracy:.1%} ({right} of {total} digits); "
          f"training and testing took {history.seconds:.1f} s")
    return history


def _describe_layers(history) -> str:
    return ", ".join(f"{name}: {who}" for name, who in history.layers.items())


def training_curves(history):
    """The training loss and accuracy of each epoch of a :class:`~autograder.course.training.History`,
    with its test accuracy."""
    plt = _plt()
    epochs = np.arange(1, len(history.loss) + 1)
    fig, (ax_l, ax_a) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax_l.semilogy(epochs, history.loss, "o-", ms=3, color=_WINDOW)
    ax_l.set_xlabel("epoch")
    ax_l.set_ylabel("mean training loss (log scale)")
    ax_a.plot(epochs, np.array(history.accuracy) * 100, "o-", ms=3, color="#0969da", label="training")
    ax_a.axhline(history.test_accuracy * 100, color="#1a7f37", ls="--", label="test, after the last epoch")
    ax_a.set_xlabel("epoch")
    ax_a.set_ylabel("accuracy (%)")
    ax_a.legend(fontsize=8, loc="lower right")
    fig.suptitle(_describe_layers(history), fontsize=8)
    n_test = int(history.confusion.sum())
    return caption(fig, f"The loss fell from {history.loss[0]:.2f} to {history.loss[-1]:.3f} in {len(epochs)} epochs; "
                        f"training accuracy {history.accuracy[-1]:.1%} in the last one, test accuracy "
                        f"{history.test_accuracy:.1%} on {n_test} digits it never trained on.")


def confusion_matrix(history):
    """The test digits of a :class:`~autograder.course.training.History` by true and predicted class."""
    plt = _plt()
    confusion = np.asarray(history.confusion)
    fig, ax = plt.subplots(figsize=(5.4, 5.0))
    ax.imshow(np.log1p(confusion), cmap="Blues")
    for (t, p), n in np.ndenumerate(confusion):
        if n:
            ax.text(p, t, str(n), ha="center", va="center", fontsize=8,
                    color="white" if n > confusion.max() / 2 else ("black" if t == p else _WINDOW))
    ax.set_xticks(range(confusion.shape[1]))
    ax.set_yticks(range(confusion.shape[0]))
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit")
    right, total = int(np.trace(confusion)), int(confusion.sum())
    off = confusion - np.diag(np.diag(confusion))
    pairs = sorted(((int(off[t, p]), int(t), int(p)) for t, p in np.argwhere(off)), key=lambda x: (-x[0], x[1], x[2]))
    if not pairs:
        worst = "no test digit was read wrong"
    elif pairs[0][0] == 1:   # no mistake repeats: list them (the first few)
        shown = ", ".join(f"{t} as {p}" for _, t, p in pairs[:6])
        worst = f"no mistake happens twice: {shown}" + (f" and {len(pairs) - 6} more" if len(pairs) > 6 else "")
    else:
        n, t, p = pairs[0]
        ties = sum(1 for m, *_ in pairs if m == n) - 1
        others = f" (as often as {ties} other pair{'s' if ties > 1 else ''})" if ties else ""
        worst = f"the most frequent mistake: {t} read as {p}, {n} times{others}"
    return caption(fig, f"{right} of {total} test digits are on the diagonal (read right); {worst}.")


def _cancelling(kernels: np.ndarray) -> np.ndarray:
    """Which filters of ``kernels (kh, kw, 1, n)`` have weights that largely cancel: |sum| < sum |w| / 2."""
    k = np.asarray(kernels, dtype=np.float64)[:, :, 0, :]
    return np.abs(k.sum(axis=(0, 1))) < np.abs(k).sum(axis=(0, 1)) / 2


def learned_filters(history):
    """The first layer's learned kernels of a :class:`~autograder.course.training.History`, one colour scale."""
    plt = _plt()
    kernels = np.asarray(history.kernels, dtype=np.float64)
    n = kernels.shape[3]
    cols = min(n, 8)
    rows = math.ceil(n / cols)
    lim = float(np.abs(kernels).max()) or 1.0
    fig, axes = plt.subplots(rows, cols, figsize=(1.5 * cols, 1.6 * rows + 0.6), squeeze=False)
    for f, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if f < n:
            ax.imshow(kernels[:, :, 0, f], cmap="coolwarm", vmin=-lim, vmax=lim)
            ax.set_title(f"filter {f}", fontsize=8)
    cancel = _cancelling(kernels)
    return caption(fig, f"The {n} learned {kernels.shape[0]}x{kernels.shape[1]} filters (red positive, blue negative, "
                        f"one scale, |w| up to {lim:.2f}): in {int(cancel.sum())} of them the weights largely cancel "
                        "(|sum| < half of sum |w|): they answer a difference of brightness more than brightness.")


def _shift_words(shift) -> str:
    dy, dx = shift
    parts = [f"{abs(dy)} pixel{'s' if abs(dy) > 1 else ''} {'down' if dy > 0 else 'up'}" if dy else "",
             f"{abs(dx)} pixel{'s' if abs(dx) > 1 else ''} {'right' if dx > 0 else 'left'}" if dx else ""]
    return " and ".join(p for p in parts if p) or "not at all"


def _moved(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``a`` moved ``dy`` rows down and ``dx`` columns right on its first two axes, zeros coming in."""
    out = np.zeros_like(a)
    h, w = a.shape[:2]
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        a[max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out


def shift_equivariance(kernels=None, convolve=None, pool=None, shift=(0, 1), image=None):
    """A test digit and the digit moved by ``shift``, through ``convolve`` and through convolve -> ReLU ->
    2x2 max pool (:func:`~autograder.course.training.shift_demo`), with ``kernels (3, 3, 1, n)`` (e.g. the
    learned ones; default two edge filters). ``convolve`` and ``pool``: the student's, each used once it
    passes its public cases, else the reference's. The caption gives the measured numbers."""
    from matplotlib.patches import Rectangle

    from . import training

    plt = _plt()
    chosen = dict(convolve=convolve, pool=pool)
    layers = _your_layers(chosen)
    demo = training.shift_demo(layers, image=image, kernels=kernels, shift=shift)
    channel = int(np.argmax(np.abs(demo.conv).sum(axis=(0, 1))))
    moved = _moved(demo.conv, *demo.shift)
    diff = np.abs(demo.conv_shifted - moved)[:, :, channel]
    lim = float(max(np.abs(demo.conv[:, :, channel]).max(), np.abs(demo.conv_shifted[:, :, channel]).max())) or 1.0
    plim = float(max(demo.pooled[:, :, channel].max(), demo.pooled_shifted[:, :, channel].max())) or 1.0
    signed = {"cmap": "RdBu_r", "vmin": -lim, "vmax": lim}
    panels = [("digit", demo.image, {"cmap": "gray_r"}),
              (f"moved {_shift_words(demo.shift)}", demo.shifted, {"cmap": "gray_r"}),
              (f"conv, filter {channel}", demo.conv[:, :, channel], signed),
              ("conv of the moved digit", demo.conv_shifted[:, :, channel], signed),
              ("|conv moved - conv of moved|", diff, {"cmap": "Reds", "vmin": 0, "vmax": lim}),
              ("pooled", demo.pooled[:, :, channel], {"cmap": "Greens", "vmin": 0, "vmax": plim}),
              ("pooled, moved digit", demo.pooled_shifted[:, :, channel], {"cmap": "Greens", "vmin": 0, "vmax": plim})]
    fig, axes = plt.subplots(1, len(panels), figsize=(2.1 * len(panels), 2.9))
    for ax, (title, img, style) in zip(axes, panels):
        ax.imshow(img, **style)
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    rows, cols = np.nonzero(demo.interior)
    if len(rows):   # the interior: where the shifted image's map depends only on pixels both images share
        axes[4].add_patch(Rectangle((cols.min() - 0.5, rows.min() - 0.5), cols.max() - cols.min() + 1,
                                    rows.max() - rows.min() + 1, fill=False, ec="#0969da", lw=1.5))
    fig.suptitle(", ".join(f"{name}: {layers.source(name)}" for name in chosen), fontsize=8)
    fig._convcourse_demo = demo
    fewer = "fewer" if demo.pooled_changed < demo.conv_changed else "no fewer"
    return caption(fig, f"Moved {_shift_words(demo.shift)}: inside the blue box the conv maps just moved (largest "
                        f"difference {demo.equivariance_error:.1g}); {demo.conv_changed:.0%} of the conv outputs "
                        f"changed value, {fewer} of the pooled ones ({demo.pooled_changed:.0%}; relative change "
                        f"{demo.conv_relative_change:.2f} before pooling, {demo.pooled_relative_change:.2f} after).")
