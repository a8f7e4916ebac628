"""Notebook 08's training engine: a CNN trained with layer functions that are passed in."""

from __future__ import annotations

import numpy as np
import pytest

from autograder import reference as R
from autograder.course import training as T
from autograder.course.training import LayerError, Layers


@pytest.fixture(scope="module")
def digits() -> T.Digits:
    return T.load_digits_split()


@pytest.fixture(scope="module")
def few(digits) -> T.Digits:
    """40 training and 20 test images: a run of an epoch or two takes a fraction of a second."""
    return T.Digits(digits.x_train[:40], digits.y_train[:40], digits.x_test[:20], digits.y_test[:20])


def numpy_convolve(images, kernels, padding="same", stride=(1, 1)):
    """A student-style 'same' convolution at stride 1 (odd kernels), written independently of the reference."""
    kh, kw = kernels.shape[:2]
    x = np.pad(images, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))   # (m, h, w, c, kh, kw)
    return np.einsum("mhwcij,ijcn->mhwn", windows, kernels)


def test_the_split_is_fixed_stratified_and_scaled(digits):
    assert digits.x_train.shape == (1347, 8, 8, 1) and digits.x_test.shape == (450, 8, 8, 1)
    assert digits.x_train.dtype == np.float32 and 0 <= digits.x_train.min() and digits.x_train.max() == 1
    tested, total = np.bincount(digits.y_test, minlength=10), np.bincount(np.r_[digits.y_train, digits.y_test])
    assert np.abs(tested - total / 4).max() <= 1   # stratified: a quarter of every digit is tested
    again = T.load_digits_split()
    assert np.array_equal(again.x_test, digits.x_test) and np.array_equal(again.y_train, digits.y_train)


@pytest.mark.slow
def test_the_reference_layers_reach_95_percent_on_the_test_digits(digits):
    history = T.train(Layers.reference(), data=digits)
    assert history.test_accuracy >= 0.95, history.test_accuracy
    assert len(history.loss) == len(history.accuracy) == 30
    assert history.loss[-1] < history.loss[0] / 5 and history.accuracy[-1] > 0.95
    assert history.confusion.shape == (10, 10) and history.confusion.dtype.kind == "i"
    assert history.confusion.sum() == 450 and history.confusion.sum(axis=1).tolist() == np.bincount(
        digits.y_test).tolist()
    assert np.trace(history.confusion) / 450 == pytest.approx(history.test_accuracy)
    assert history.kernels.shape == (3, 3, 1, 16) and history.kernels.dtype == np.float32
    assert history.seconds > 0
    assert history.layers == {name: T.REFERENCE for name in T.LAYER_NAMES}


def test_a_run_is_fixed_by_its_seed(few):
    a, b, c = (T.train(Layers.reference(), epochs=2, seed=s, data=few) for s in (3, 3, 4))
    assert a.loss == b.loss and np.array_equal(a.kernels, b.kernels)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert a.loss != c.loss


def _tiny_problem(seed=1):
    """A float64 network with (2, 3) channels, random biases (so every ReLU has both signs) and 3 images."""
    rng = np.random.default_rng(seed)
    params = T.init_params((2, 3), seed=seed, dtype=np.float64)
    for key in ("b1", "b2", "b"):
        params[key] = rng.normal(0, 0.3, params[key].shape)
    images = rng.standard_normal((3, 6, 6, 1))
    return params, images, np.array([0, 7, 3])


def _numerical_gradients(layers, params, images, labels):
    def loss_with(key):
        def f(value):
            return T.loss_and_gradients(layers, {**params, key: value}, images, labels)[0]
        return f

    return {key: R.numerical_gradient(loss_with(key), params[key]) for key in params}


def test_the_whole_network_s_gradients_agree_with_central_differences():
    params, images, labels = _tiny_problem()
    layers = Layers.reference()
    loss, grads = T.loss_and_gradients(layers, params, images, labels)
    assert np.isfinite(loss) and loss > 0
    numeric = _numerical_gradients(layers, params, images, labels)
    assert set(grads) == set(numeric) == {"k1", "b1", "k2", "b2", "w", "b"}
    for key, g in grads.items():
        assert g.shape == params[key].shape and g.dtype == np.float64, key
        scale = np.abs(numeric[key]).max()
        assert scale > 1e-4, key                       # the check sees this parameter at all
        np.testing.assert_allclose(g, numeric[key], rtol=1e-5, atol=1e-7 * max(scale, 1), err_msg=key)


def test_the_gradient_check_catches_a_wrong_backward_layer():
    def pool_backward_spread(d_out, images, kernel_shape, stride, mode="max"):
        # the mistake of spreading a max pool's gradient like an average's
        return R.pool_backward(d_out, images, kernel_shape, stride, "avg")

    params, images, labels = _tiny_problem()
    layers = Layers.with_yours(pool_backward=pool_backward_spread)
    _, grads = T.loss_and_gradients(layers, params, images, labels)
    numeric = _numerical_gradients(layers, params, images, labels)
    assert not np.allclose(grads["k1"], numeric["k1"], rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(grads["w"], numeric["w"], rtol=1e-5, atol=1e-8)   # layers after the pool are fine


def test_layers_say_which_functions_are_yours():
    ref = Layers.reference()
    assert ref.sources == {name: T.REFERENCE for name in T.LAYER_NAMES}
    mixed = Layers.with_yours(convolve=numpy_convolve)
    assert mixed.sources["convolve"] == T.YOURS and mixed.source("pool") == T.REFERENCE
    assert mixed.describe().startswith("convolve: yours, pool: the reference")
    wrapped = Layers.with_yours(pool=lambda *args: R.pool(*args))   # a student's function that calls the reference
    assert wrapped.source("pool") == T.YOURS
    with pytest.raises(ValueError, match="unknown layer convolution; expected some of convolve, pool"):
        Layers.with_yours(convolution=numpy_convolve)
    with pytest.raises(ValueError, match="pool must be a function; got int"):
        Layers.with_yours(pool=3)


def test_a_run_with_your_convolve_records_it_and_matches_the_reference(few):
    yours = T.train(Layers.with_yours(convolve=numpy_convolve), epochs=2, data=few)
    ref = T.train(Layers.reference(), epochs=2, data=few)
    assert yours.layers["convolve"] == T.YOURS and yours.layers["pool_backward"] == T.REFERENCE
    np.testing.assert_allclose(yours.loss, ref.loss, rtol=1e-4)


def _valid_convolve(images, kernels, padding="same", stride=(1, 1)):
    return R.convolve(images, kernels, "valid", stride)


def _raises(images, kernels, padding="same", stride=(1, 1)):
    raise IndexError("index 8 is out of bounds for axis 1 with size 8")


def _gap_keepdims(images):
    return images.mean(axis=(1, 2), keepdims=True)


def _nan_pool(images, kernel_shape, stride, mode="max"):
    return np.full_like(R.pool(images, kernel_shape, stride, mode), np.nan)


def _two_gradients(d_out, images, kernels, padding="same", stride=(1, 1)):
    return R.convolve_backward(d_out, images, kernels, padding, stride)[:2]


def _transposed_kernel_gradient(d_out, images, kernels, padding="same", stride=(1, 1)):
    d_images, d_kernels, d_bias = R.convolve_backward(d_out, images, kernels, padding, stride)
    return d_images, d_kernels.transpose(0, 1, 3, 2), d_bias


BROKEN = [
    ("convolve", _valid_convolve,
     r"your convolve returned its result with shape \(8, 6, 6, 16\) in the network's first convolution; "
     r"expected an ndarray of shape \(8, 8, 8, 16\) = \(m, h, w, nc\) for 'same' padding at stride \(1, 1\)"),
    ("convolve", _raises, r"your convolve raised IndexError in the network's first convolution: index 8 is out"),
    ("convolve", lambda images, kernels, padding, stride: None,
     r"your convolve returned its result as NoneType in the network's first convolution; expected an ndarray"),
    ("global_average_pool", _gap_keepdims,
     r"your global_average_pool returned its result with shape \(8, 1, 1, 32\) in the network's global average "
     r"pooling; expected an ndarray of shape \(8, 32\) = \(m, c\)"),
    ("pool", _nan_pool, r"your pool returned its result with NaN or infinite values in the network's max pooling"),
    ("convolve_backward", _two_gradients,
     r"your convolve_backward returned 2 values in the network's second convolution; expected a tuple of 3 "
     r"arrays \(d_images, d_kernels, d_bias\)"),
    ("convolve_backward", _transposed_kernel_gradient,
     r"your convolve_backward returned d_kernels with shape \(3, 3, 32, 16\) in the network's second "
     r"convolution; expected an ndarray of shape \(3, 3, 16, 32\) = kernels.shape"),
    ("pool_backward", lambda d_out, images, k, s, mode: d_out,
     r"your pool_backward returned its result with shape \(8, 4, 4, 16\) in the network's max pooling; "
     r"expected an ndarray of shape \(8, 8, 8, 16\) = images.shape"),
]


@pytest.mark.parametrize("name, broken, message", BROKEN, ids=[f"{b[0]}-{i}" for i, b in enumerate(BROKEN)])
def test_a_broken_layer_is_named_with_what_was_expected(few, name, broken, message):
    with pytest.raises(LayerError, match=message) as info:
        T.train(Layers.with_yours(**{name: broken}), epochs=1, batch_size=8, data=few)
    # raised where the network called the layer, not from deep inside numpy or the optimiser
    assert info.traceback[-1].path.name == "training.py"
    assert info.traceback[-1].name in ("_call", "_checked", "_conv_backward")


def test_a_layer_s_own_exception_is_kept_as_the_cause(few):
    with pytest.raises(LayerError, match=r"called as convolve\(an array \(8, 8, 8, 1\) float32, an array "
                                         r"\(3, 3, 1, 16\) float32, 'same', \(1, 1\)\)") as info:
        T.train(Layers.with_yours(convolve=_raises), epochs=1, batch_size=8, data=few)
    assert isinstance(info.value.__cause__, IndexError)


@pytest.mark.parametrize("shift", [(0, 1), (1, 0), (0, -1), (-1, 1), (2, 3)])
def test_convolution_commutes_with_a_shift_away_from_the_border(digits, shift):
    rng = np.random.default_rng(sum(shift) + 10)
    image = digits.x_test[5, :, :, 0]
    for kernels in (T.EDGE_KERNELS, rng.standard_normal((3, 3, 1, 4)), rng.standard_normal((2, 4, 1, 3))):
        demo = T.shift_demo(Layers.reference(), image, kernels, shift)
        assert demo.interior.sum() > 0 and not demo.interior.all()
        assert demo.equivariance_error <= 1e-12
        # the same, computed here: the shifted image's map at p is the image's map at p - shift
        dy, dx = shift
        ys, xs = np.nonzero(demo.interior)
        np.testing.assert_allclose(demo.conv_shifted[ys, xs], demo.conv[ys - dy, xs - dx], rtol=0, atol=1e-12)
        assert np.array_equal(demo.shifted[max(dy, 0):, max(dx, 0):][:8 - abs(dy), :8 - abs(dx)],
                              image[max(-dy, 0):, max(-dx, 0):][:8 - abs(dy), :8 - abs(dx)])


def test_pooling_is_only_nearly_invariant_to_a_shift():
    demo = T.shift_demo()
    assert demo.shift == (0, 1) and demo.image.shape == (8, 8) and demo.conv.shape == (8, 8, 2)
    assert demo.pooled.shape == demo.pooled_shifted.shape == (4, 4, 2)
    assert 0 < demo.pooled_changed < demo.conv_changed <= 1
    assert 0 < demo.pooled_relative_change < demo.conv_relative_change
    yours = T.shift_demo(Layers.with_yours(convolve=numpy_convolve))
    assert yours.equivariance_error <= 1e-12
    np.testing.assert_allclose(yours.conv, demo.conv, atol=1e-12)
    assert yours.pooled_changed == demo.pooled_changed


def test_the_shift_demo_names_a_bad_image():
    with pytest.raises(ValueError, match=r"image must have shape \(h, w\) or \(h, w, 1\); got \(2, 8, 8\)"):
        T.shift_demo(image=np.zeros((2, 8, 8)))
