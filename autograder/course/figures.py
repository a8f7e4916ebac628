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
           "reference_stand_in", "answered", "caption", "sample_photo_rgb", "KERNELS"]

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
