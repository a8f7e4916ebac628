"""The training engine of notebook 08, "A CNN from your own layers".

A small CNN is trained on scikit-learn's bundled 8x8 digits with convolution and pooling functions that
are passed in: the student's own once they pass their checks, else the reference's (:class:`Layers`)::

    conv 3x3 'same' (1 -> n1) -> ReLU -> max pool 2x2/2 -> conv 3x3 'same' (n1 -> n2) -> ReLU
    -> global average pool -> dense (n2 -> 10) -> softmax cross-entropy

The dense layer, ReLU, softmax and the backward pass of global average pooling are NumPy here (they are
not exercises). Arrays follow SPEC §1: batch-first, channels-last, cross-correlation, Keras 'same'.
Every passed-in call is checked (:class:`LayerError` names the function, the network layer and what was
expected), so a broken exercise fails here with a sentence, not with a traceback from deep inside.

>>> history = train(Layers.reference())               # doctest: +SKIP
>>> history.test_accuracy                             # doctest: +SKIP
0.9888888888888889
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = ["LAYER_NAMES", "YOURS", "REFERENCE", "Layers", "LayerError", "Digits", "History", "ShiftDemo",
           "EDGE_KERNELS", "load_digits_split", "init_params", "loss_and_gradients", "predict", "train", "shift_demo"]

YOURS = "yours"
REFERENCE = "the reference"

POOL = ((2, 2), (2, 2), "max")   # kernel_shape, stride, mode of the network's pooling layer
SAME, UNIT = "same", (1, 1)
N_CLASSES = 10


class LayerError(ValueError):
    """A passed-in layer function raised, or returned something other than what the network needs."""


@dataclass(frozen=True)
class Layers:
    """The five layer functions the network runs, each the student's or the reference's.

    Each is called positionally with SPEC §2's leading parameters only (no ``dilation``, no ``pool``
    ``padding``), so functions written before those parameters were added work too:
    ``convolve(images, kernels, 'same', (1, 1))``,
    ``convolve_backward(d_out, images, kernels, 'same', (1, 1)) -> (d_images, d_kernels, d_bias)``,
    ``pool(images, (2, 2), (2, 2), 'max')``, ``pool_backward(d_out, images, (2, 2), (2, 2), 'max')``,
    ``global_average_pool(images) -> (m, c)``.
    """

    convolve: Callable
    pool: Callable
    global_average_pool: Callable
    convolve_backward: Callable
    pool_backward: Callable

    @classmethod
    def reference(cls) -> Layers:
        """All five from :mod:`autograder.reference`."""
        from .. import reference as R

        return cls(**{name: getattr(R, name) for name in LAYER_NAMES})

    @classmethod
    def with_yours(cls, **functions: Callable) -> Layers:
        """The reference's layers with the given ones replaced, e.g. ``Layers.with_yours(pool=pool)``."""
        unknown = sorted(set(functions) - set(LAYER_NAMES))
        if unknown:
            raise ValueError(f"Layers.with_yours: unknown layer {', '.join(unknown)}; "
                             f"expected some of {', '.join(LAYER_NAMES)}")
        for name, fn in functions.items():
            if not callable(fn):
                raise ValueError(f"Layers.with_yours: {name} must be a function; got {type(fn).__name__}")
        return dataclasses.replace(cls.reference(), **functions)

    def source(self, name: str) -> str:
        """``'the reference'`` if layer ``name`` is the reference's own function, else ``'yours'``."""
        from .. import reference as R

        return REFERENCE if getattr(self, name) is getattr(R, name) else YOURS

    @property
    def sources(self) -> dict[str, str]:
        """Which function runs for each layer: ``{'convolve': 'yours', 'pool': 'the reference', ...}``."""
        return {name: self.source(name) for name in LAYER_NAMES}

    def describe(self) -> str:
        """One line for the notebook: ``'convolve: yours, pool: the reference, ...'``."""
        return ", ".join(f"{name}: {who}" for name, who in self.sources.items())


#: The passed-in functions, in the order the forward and backward passes first call them (the fields of
#: :class:`Layers`: the exercises' function names are spelled once, in their exercise modules).
LAYER_NAMES = tuple(f.name for f in dataclasses.fields(Layers))
_CONV, _POOL, _GAP, _CONV_BACKWARD, _POOL_BACKWARD = LAYER_NAMES


# --- checked calls of the passed-in functions -------------------------------------------------------


def _show(arg) -> str:
    if isinstance(arg, np.ndarray):
        return f"an array {arg.shape} {arg.dtype}"
    return repr(arg)


def _who(layers: Layers, name: str) -> str:
    whose = "your" if layers.source(name) == YOURS else "the reference's"
    return f"{whose} {name}"


def _call(layers: Layers, name: str, where: str, *args):
    who = _who(layers, name)
    try:
        return getattr(layers, name)(*args)
    except Exception as exc:
        raise LayerError(f"{who} raised {type(exc).__name__} in the network's {where}: {exc}\n"
                         f"  called as {name}({', '.join(map(_show, args))})") from exc


def _checked(value, expected: tuple, dtype, who: str, what: str, where: str, meaning: str) -> np.ndarray:
    """``value`` as a ``dtype`` array of shape ``expected``, or a LayerError saying what was wrong."""
    head = f"{who} returned {what}"
    tail = f" in the network's {where}; expected an ndarray of shape {expected} = {meaning}"
    if not isinstance(value, np.ndarray):
        raise LayerError(f"{head} as {type(value).__name__}{tail}")
    if value.shape != expected:
        raise LayerError(f"{head} with shape {value.shape}{tail}")
    if value.dtype.kind not in "biuf":
        raise LayerError(f"{head} of dtype {value.dtype}{tail}, of real numbers")
    out = value.astype(dtype, copy=False)
    if not np.isfinite(out).all():
        raise LayerError(f"{head} with NaN or infinite values{tail}, all finite")
    return out


def _forward(layers: Layers, name: str, where: str, expected: tuple, meaning: str, *args) -> np.ndarray:
    out = _call(layers, name, where, *args)
    return _checked(out, expected, args[0].dtype, _who(layers, name), "its result", where, meaning)


def _conv(layers, where, images, kernels):
    m, h, w, _ = images.shape
    return _forward(layers, _CONV, where, (m, h, w, kernels.shape[3]),
                    "(m, h, w, nc) for 'same' padding at stride (1, 1)", images, kernels, SAME, UNIT)


def _pool(layers, where, images):
    m, h, w, c = images.shape
    return _forward(layers, _POOL, where, (m, h // 2, w // 2, c),
                    "(m, h // 2, w // 2, c) for 2x2 windows at stride (2, 2)", images, *POOL)


def _gap(layers, where, images):
    return _forward(layers, _GAP, where, (images.shape[0], images.shape[3]), "(m, c)", images)


def _pool_backward(layers, where, d_out, images):
    return _forward(layers, _POOL_BACKWARD, where, images.shape, "images.shape", d_out, images, *POOL)


def _conv_backward(layers, where, d_out, images, kernels):
    name = _CONV_BACKWARD
    who = _who(layers, name)
    out = _call(layers, name, where, d_out, images, kernels, SAME, UNIT)
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        got = f"{len(out)} values" if isinstance(out, (tuple, list)) else type(out).__name__
        raise LayerError(f"{who} returned {got} in the network's {where}; expected a tuple of 3 arrays "
                         "(d_images, d_kernels, d_bias)")
    parts = [("d_images", images.shape, "images.shape"), ("d_kernels", kernels.shape, "kernels.shape"),
             ("d_bias", (kernels.shape[3],), "(nc,)")]
    return tuple(_checked(v, shape, images.dtype, who, what, where, meaning)
                 for v, (what, shape, meaning) in zip(out, parts))


# --- the data -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Digits:
    """A train/test split of the 8x8 digits.

    Attributes
    ----------
    x_train, x_test : ndarray, shape (n, 8, 8, 1), float32
        Pixel intensities scaled from 0..16 to 0..1.
    y_train, y_test : ndarray, shape (n,), int64
        The digit, 0 to 9.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits_split(test_size: float = 0.25, split_seed: int = 0) -> Digits:
    """scikit-learn's bundled 8x8 digits (1797 images, no download), split stratified by class.

    The split is fixed by ``split_seed`` (not by :func:`train`'s ``seed``): 1347 training and 450 test
    images at the defaults.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=test_size, random_state=split_seed,
                                                        stratify=y)
    return Digits(x_train, y_train, x_test, y_test)


# --- the network --------------------------------------------------------------------------------------


def init_params(channels: tuple[int, int] = (16, 32), seed: int = 0, dtype=np.float32) -> dict[str, np.ndarray]:
    """He-initialised weights of the network, zero biases.

    Returns
    -------
    dict of ndarray, all of ``dtype``
        ``k1 (3, 3, 1, n1)``, ``b1 (n1,)``, ``k2 (3, 3, n1, n2)``, ``b2 (n2,)``, ``w (n2, 10)``, ``b (10,)``.
    """
    return _init(np.random.default_rng(seed), channels, dtype)


def _init(rng: np.random.Generator, channels, dtype) -> dict[str, np.ndarray]:
    n1, n2 = channels

    def he(shape, fan_in):
        return (rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(dtype)

    return {"k1": he((3, 3, 1, n1), 9), "b1": np.zeros(n1, dtype), "k2": he((3, 3, n1, n2), 9 * n1),
            "b2": np.zeros(n2, dtype), "w": he((n2, N_CLASSES), n2), "b": np.zeros(N_CLASSES, dtype)}


def _logits(layers: Layers, p: dict, x: np.ndarray) -> tuple[np.ndarray, dict]:
    z1 = _conv(layers, "first convolution", x, p["k1"]) + p["b1"]
    a1 = np.maximum(z1, 0)
    p1 = _pool(layers, "max pooling", a1)
    z2 = _conv(layers, "second convolution", p1, p["k2"]) + p["b2"]
    a2 = np.maximum(z2, 0)
    g = _gap(layers, "global average pooling", a2)
    cache = {"x": x, "z1": z1, "a1": a1, "p1": p1, "z2": z2, "g": g}
    return g @ p["w"] + p["b"], cache


def _softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy over the batch and its gradient with respect to the logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)   # exp cannot overflow
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    m = len(labels)
    loss = -float(log_probs[np.arange(m), labels].sum()) / m
    d_logits = np.exp(log_probs)
    d_logits[np.arange(m), labels] -= 1
    return loss, d_logits / m


def _backward(layers: Layers, p: dict, c: dict, d_logits: np.ndarray) -> dict[str, np.ndarray]:
    grads = {"w": c["g"].T @ d_logits, "b": d_logits.sum(axis=0)}
    d_g = d_logits @ p["w"].T
    h, w = c["z2"].shape[1:3]
    d_a2 = np.broadcast_to(d_g[:, None, None, :] / (h * w), c["z2"].shape)   # each position had weight 1/(h w)
    d_z2 = d_a2 * (c["z2"] > 0)
    d_p1, grads["k2"], grads["b2"] = _conv_backward(layers, "second convolution", d_z2, c["p1"], p["k2"])
    d_a1 = _pool_backward(layers, "max pooling", d_p1, c["a1"])
    d_z1 = d_a1 * (c["z1"] > 0)
    _, grads["k1"], grads["b1"] = _conv_backward(layers, "first convolution", d_z1, c["x"], p["k1"])
    return grads


def loss_and_gradients(layers: Layers, params: dict[str, np.ndarray], images: np.ndarray,
                       labels: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """The mean softmax cross-entropy of a batch and its gradient with respect to every parameter.

    Parameters
    ----------
    layers : Layers
    params : dict of ndarray
        As :func:`init_params` returns them.
    images : ndarray, shape (m, h, w, 1)
        ``h`` and ``w`` even; float32 or float64 (the dtype the layers compute in).
    labels : ndarray, shape (m,), int

    Returns
    -------
    loss : float
    grads : dict of ndarray
        One per parameter, same keys, shapes and dtype.
    """
    logits, cache = _logits(layers, params, images)
    loss, d_logits = _softmax_cross_entropy(logits, labels)
    return loss, _backward(layers, params, cache, d_logits.astype(images.dtype))


def predict(layers: Layers, params: dict[str, np.ndarray], images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """The predicted digit of each image: ``(m, h, w, 1)`` to ``(m,)`` int64."""
    chunks = [_logits(layers, params, images[i:i + batch_size])[0].argmax(axis=1)
              for i in range(0, len(images), batch_size)]
    return np.concatenate(chunks).astype(np.int64)


# --- training -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """What a training run did.

    Attributes
    ----------
    loss : list of float
        Mean training loss of each epoch (averaged over its batches while training).
    accuracy : list of float
        Training accuracy of each epoch, over the same batches.
    test_accuracy : float
        On the held-out test images after the last epoch.
    confusion : ndarray, shape (10, 10), int64
        ``confusion[true, predicted]`` counts of the test images.
    kernels : ndarray, shape (3, 3, 1, n1), float32
        The first layer's learned kernels.
    seconds : float
        Wall-clock time of the training and the test evaluation.
    layers : dict of str
        Which function ran for each layer, ``'yours'`` or ``'the reference'`` (:attr:`Layers.sources`).
    params : dict of ndarray
        Every learned parameter, as :func:`init_params` lays them out.
    """

    loss: list[float]
    accuracy: list[float]
    test_accuracy: float
    confusion: np.ndarray
    kernels: np.ndarray
    seconds: float
    layers: dict[str, str]
    params: dict[str, np.ndarray]


class _Adam:
    """Adam (Kingma & Ba) on a dict of arrays, updated in place."""

    def __init__(self, params: dict, beta1=0.9, beta2=0.999, eps=1e-8):
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.beta1, self.beta2, self.eps, self.t = beta1, beta2, eps, 0

    def step(self, params: dict, grads: dict, lr: float) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        scale = lr * math.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for k, g in grads.items():
            self.m[k] = b1 * self.m[k] + (1 - b1) * g
            self.v[k] = b2 * self.v[k] + (1 - b2) * g * g
            params[k] -= (scale * self.m[k] / (np.sqrt(self.v[k]) + self.eps)).astype(params[k].dtype)


def _learning_rate(base: float, epoch: int, epochs: int) -> float:
    # cosine decay: large steps early, small ones to settle at the end
    return base * 0.5 * (1 + math.cos(math.pi * epoch / epochs))


def _epoch(layers: Layers, params: dict, adam: _Adam, data: Digits, order: np.ndarray, batch_size: int,
           lr: float) -> tuple[float, float]:
    """One pass over the training images in ``order``; returns its mean loss and accuracy."""
    total_loss, correct = 0.0, 0
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size]
        x, y = data.x_train[idx], data.y_train[idx]
        logits, cache = _logits(layers, params, x)
        loss, d_logits = _softmax_cross_entropy(logits, y)
        adam.step(params, _backward(layers, params, cache, d_logits), lr)
        total_loss += loss * len(idx)
        correct += int((logits.argmax(axis=1) == y).sum())
    return total_loss / len(order), correct / len(order)


def train(layers: Layers | None = None, epochs: int = 30, seed: int = 0, channels: tuple[int, int] = (16, 32),
          batch_size: int = 32, learning_rate: float = 0.01, data: Digits | None = None,
          on_epoch: Callable[[int, float, float], None] | None = None) -> History:
    """Train the network with Adam on the 8x8 digits and test it.

    Parameters
    ----------
    layers : Layers, optional
        The layer functions; default :meth:`Layers.reference`.
    epochs : int, optional
    seed : int, optional
        Fixes the initial weights and the order of the batches: the same seed and layers give the same run.
    channels : (int, int), optional
        ``(n1, n2)``, the filters of the two convolutions.
    batch_size : int, optional
    learning_rate : float, optional
        Adam's step size at the start, decayed along a cosine to 0 at the end.
    data : Digits, optional
        Default :func:`load_digits_split`; a smaller one makes a quick run.
    on_epoch : callable, optional
        ``on_epoch(epoch, loss, accuracy)`` after each epoch (a progress bar).

    Returns
    -------
    History

    Raises
    ------
    LayerError
        When a layer function raises or returns a wrong shape, dtype or non-finite values.
    """
    layers = Layers.reference() if layers is None else layers
    data = load_digits_split() if data is None else data
    rng = np.random.default_rng(seed)
    params = _init(rng, channels, np.float32)
    adam = _Adam(params)
    losses, accuracies = [], []
    start = time.perf_counter()
    # The products here are tiny: a second BLAS thread costs more than it gives (2-5x slower measured,
    # and erratic on a busy machine), so BLAS runs on one thread for the run and is restored after.
    with threadpool_limits(limits=1, user_api="blas"):
        for epoch in range(epochs):
            loss, accuracy = _epoch(layers, params, adam, data, rng.permutation(len(data.x_train)), batch_size,
                                    _learning_rate(learning_rate, epoch, epochs))
            losses.append(loss)
            accuracies.append(accuracy)
            if on_epoch is not None:
                on_epoch(epoch, loss, accuracy)
        predicted = predict(layers, params, data.x_test)
    seconds = time.perf_counter() - start
    confusion = np.zeros((N_CLASSES, N_CLASSES), dtype=np.int64)
    np.add.at(confusion, (data.y_test, predicted), 1)
    return History(loss=losses, accuracy=accuracies, test_accuracy=float((predicted == data.y_test).mean()),
                   confusion=confusion, kernels=params["k1"].copy(), seconds=seconds, layers=layers.sources,
                   params=params)


# --- the shift demo -----------------------------------------------------------------------------------


#: The demo's default filters when no learned kernels are given: a vertical and a horizontal edge.
EDGE_KERNELS = np.stack([np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]]),
                         np.array([[1.0, 2, 1], [0, 0, 0], [-1, -2, -1]])], axis=-1)[:, :, None, :]


@dataclass(frozen=True)
class ShiftDemo:
    """Convolution commutes with a shift; conv -> ReLU -> max pool only nearly ignores it.

    Attributes
    ----------
    image, shifted : ndarray, shape (h, w)
        The image and the image moved by ``shift`` pixels (content moved down/right for positive
        values, zeros coming in).
    conv, conv_shifted : ndarray, shape (h, w, nc)
        ``convolve`` of each, 'same' padding.
    interior : ndarray, shape (h, w), bool
        Where ``conv_shifted`` depends only on pixels that both images share: away from the border.
    equivariance_error : float
        ``max |conv_shifted - shift(conv)|`` over ``interior``: 0 up to rounding.
    pooled, pooled_shifted : ndarray, shape (h // 2, w // 2, nc)
        ``pool(relu(conv))`` of each (the network's first block), 2x2 max at stride 2.
    conv_changed, pooled_changed : float
        Fraction of outputs (all positions) that differ between the image and the shifted image, before
        and after pooling; a value differs when it moves by more than ``1e-6`` of the largest output.
    conv_relative_change, pooled_relative_change : float
        ``||after - before|| / ||before||`` over all positions, before and after pooling.
    """

    image: np.ndarray
    shifted: np.ndarray
    shift: tuple[int, int]
    conv: np.ndarray
    conv_shifted: np.ndarray
    interior: np.ndarray
    equivariance_error: float
    pooled: np.ndarray
    pooled_shifted: np.ndarray
    conv_changed: float
    pooled_changed: float
    conv_relative_change: float
    pooled_relative_change: float


def _shifted(a: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """``a`` moved by ``(dy, dx)`` on its first two axes, zeros filling in (no wrap-around)."""
    out = np.zeros_like(a)
    h, w = a.shape[:2]
    out[max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = a[max(-dy, 0):h - max(dy, 0),
                                                                   max(-dx, 0):w - max(dx, 0)]
    return out


def _interior(n: int, k: int, d: int) -> np.ndarray:
    """Output positions of one axis whose 'same' window lies on pixels the image and its shift share."""
    before = (k - 1) // 2            # stride 1 'same': the extra zero goes after
    after = k - 1 - before
    pos = np.arange(n)
    return (pos - before >= max(d, 0)) & (pos + after <= n - 1 + min(d, 0))


def _changes(before: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    diff = np.abs(after - before)
    scale = max(float(np.abs(before).max()), float(np.abs(after).max()), np.finfo(np.float64).tiny)
    norm = float(np.linalg.norm(before))
    return float((diff > 1e-6 * scale).mean()), float(np.linalg.norm(diff)) / norm if norm else math.inf


def shift_demo(layers: Layers | None = None, image=None, kernels=None, shift: tuple[int, int] = (0, 1)) -> ShiftDemo:
    """Measure shift equivariance of ``convolve`` and the approximate invariance of conv -> ReLU -> pool.

    Parameters
    ----------
    layers : Layers, optional
        Its ``convolve`` and ``pool`` are used; default :meth:`Layers.reference`.
    image : array_like, shape (h, w) or (h, w, 1), optional
        ``h`` and ``w`` even; default the first test digit. Computed in float64.
    kernels : array_like, shape (kh, kw, 1, nc), optional
        E.g. :attr:`History.kernels`; default :data:`EDGE_KERNELS`.
    shift : (int, int), optional
        ``(dy, dx)`` pixels; default one pixel to the right.

    Returns
    -------
    ShiftDemo
    """
    layers = Layers.reference() if layers is None else layers
    if image is None:
        image = load_digits_split().x_test[0]
    img = np.asarray(image, dtype=np.float64)
    img = img[..., 0] if img.ndim == 3 and img.shape[2] == 1 else img
    if img.ndim != 2:
        raise ValueError(f"shift_demo: image must have shape (h, w) or (h, w, 1); got {np.shape(image)}")
    k = np.asarray(EDGE_KERNELS if kernels is None else kernels, dtype=np.float64)
    if k.ndim != 4 or k.shape[2] != 1:
        raise ValueError(f"shift_demo: kernels must have shape (kh, kw, 1, nc); got {k.shape}")
    dy, dx = shift
    moved = _shifted(img, dy, dx)
    conv, conv_s = (_conv(layers, "shift demo", a[None, :, :, None], k)[0] for a in (img, moved))
    interior = _interior(img.shape[0], k.shape[0], dy)[:, None] & _interior(img.shape[1], k.shape[1], dx)[None, :]
    error = np.abs(conv_s - _shifted(conv, dy, dx))[interior]
    pooled, pooled_s = (_pool(layers, "shift demo", np.maximum(c, 0)[None])[0] for c in (conv, conv_s))
    conv_changed, conv_rel = _changes(conv, conv_s)
    pooled_changed, pooled_rel = _changes(pooled, pooled_s)
    return ShiftDemo(image=img, shifted=moved, shift=(dy, dx), conv=conv, conv_shifted=conv_s, interior=interior,
                     equivariance_error=float(error.max()) if error.size else 0.0, pooled=pooled,
                     pooled_shifted=pooled_s, conv_changed=conv_changed, pooled_changed=pooled_changed,
                     conv_relative_change=conv_rel, pooled_relative_change=pooled_rel)
