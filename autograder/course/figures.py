"""The lessons' pictures (matplotlib) and the sliding-window widget (ipywidgets).

Every picture is computed from its inputs with the reference (never drawn from typed numbers) and carries
a one-line caption that says what to see. Each function returns its ``Figure``; end the notebook line with
``;`` so that Jupyter shows it once.
"""

from __future__ import annotations

import math

import numpy as np

from .. import reference as R

__all__ = ["sample_photo", "classic_example", "sliding_window", "slider", "feature_maps", "zero_padding",
           "receptive_field", "stride_grid", "channels_picture", "pooling", "cnn_shapes", "transpose_scatter",
           "speed_plot", "yours_or_reference", "caption", "sample_photo_rgb", "KERNELS"]

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


def yours_or_reference(fn, name: str | None = None):
    """``fn`` once it passes its exercise's public cases, else the reference's function of that name (with
    a printed note): the lessons' pictures use the student's own function as soon as it works."""
    from .notebook import check
    from ..sandbox.runtime.stubs import is_stub

    name = name or getattr(fn, "__name__", "")
    ref = getattr(R, name)
    try:
        ok = not is_stub(fn) and check(fn, exercise=name, hidden=0, show=False).passed
    except Exception:  # noqa: BLE001 - any failure means "not ready yet"
        ok = False
    if not ok:
        print(f"(Your {name} does not pass its public cases yet, so this uses the reference's.)")
        return ref
    return fn


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
    products = window * kernel
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
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"{n}x{n}, k={k}, padding={padding!r}, stride={stride}\n"
                 f"zeros: {g.before} before, {g.after} after -> output {g.out}x{g.out}", fontsize=9)
    return caption(fig, "Blue: the image; the zeros around it let the red kernel centre on edge pixels.")


def receptive_field(k: int = 3, dilations=(1, 2, 3)):
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


# ---------------------------------------------------------------------------------- lesson 5


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
    return caption(fig, f"Height of a box: spatial size; width: channels. Pooling halves the size for free; "
                         f"{total:,} parameters in all.")


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


def speed_plot(fn, name: str, sizes=(16, 32, 64, 128), batch: int = 8, repeats: int = 3):
    """Time ``fn`` against the reference on square images of growing size (both single-threaded).

    Returns the figure; its caption gives the slowdown at the largest size.
    """
    import time

    from ..reference import single_threaded

    plt = _plt()
    ref = getattr(R, name)
    rng = np.random.default_rng(0)
    mine, theirs = [], []
    for n in sizes:
        images = rng.standard_normal((batch, n, n))
        kernel = rng.standard_normal((3, 3))
        times = {"you": [], "reference": []}
        for _ in range(repeats):
            with single_threaded():
                for label, f in (("reference", ref), ("you", fn)):
                    t0 = time.perf_counter()
                    f(images, kernel)
                    times[label].append(time.perf_counter() - t0)
        mine.append(min(times["you"]))
        theirs.append(min(times["reference"]))
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.loglog(sizes, np.array(mine) * 1e3, "o-", color=_WINDOW, label="your function")
    ax.loglog(sizes, np.array(theirs) * 1e3, "s-", color="#57606a", label="Numba reference")
    ax.set_xlabel("image side n (pixels), batch of %d" % batch)
    ax.set_ylabel("time (ms, best of %d)" % repeats)
    ax.legend()
    return caption(fig, f"At n={sizes[-1]} yours takes {mine[-1] / theirs[-1]:.1f}x the reference's time; "
                         "parallel lines mean the same growth (both ~ n squared).")
