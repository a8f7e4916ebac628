"""The lessons' pictures: each has a caption, and the numbers it shows are the reference's."""

from __future__ import annotations

import math
import re

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from autograder import figures as F  # noqa: E402
from autograder import reference as R  # noqa: E402
from autograder.reference import examples as E  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _titles(fig) -> str:
    return " | ".join(ax.get_title() for ax in fig.axes)


def _all_figures():
    from autograder.course import training as T

    d = T.load_digits_split()   # one epoch on a few digits: what the pictures of a training run show
    history = F.train_digits(epochs=1, data=T.Digits(d.x_train[:40], d.y_train[:40], d.x_test[:20], d.y_test[:20]))
    rgb = F.sample_photo_rgb(32)
    bank = np.zeros((3, 3, 3, 2))
    bank[1, 1, :, 0] = [1, 0, -1]
    bank[..., 1] = 1 / 27
    return {
        "classic_example": F.classic_example(E.CLASSIC_IMAGE, E.VERTICAL_EDGE),
        "sliding_window": F.sliding_window(E.CLASSIC_IMAGE, E.VERTICAL_EDGE, 2, 1),
        "feature_maps": F.feature_maps(F.sample_photo(64), F.KERNELS, R.convolve_grayscale_valid),
        "zero_padding": F.zero_padding(6, 4, "same"),
        "dilated_taps": F.dilated_taps(3, (1, 2)),
        "stride_grid": F.stride_grid(7, 3, (2, 2)),
        "channels_picture": F.channels_picture(rgb, bank, R.convolve),
        "pooling": F.pooling(E.POOL_SPOT_THE_MISTAKE, (2, 2), (2, 2), "max"),
        "downsampling": F.downsampling(F.sample_photo(32), F.reference_stand_in("pool")),
        "cnn_shapes": F.cnn_shapes(E.small_cnn_table()),
        "transpose_scatter": F.transpose_scatter(np.array([[1.0, 2.0], [3.0, 4.0]]), np.ones((3, 3))),
        "speed_plot": F.speed_plot(R.convolve_grayscale_valid, "convolve_grayscale_valid", sizes=(8, 16), batch=2,
                                   repeats=1),
        # notebook 7
        "step_size_errors": F.step_size_errors(),
        "kernel_gradient": F.kernel_gradient(E.CLASSIC_IMAGE, np.ones((3, 3)), 1, 2),
        "image_gradient": F.image_gradient(np.ones((3, 3)), E.VERTICAL_EDGE, 1, 1),
        "pool_gradient": F.pool_gradient(E.POOL_EXAMPLE, np.arange(1.0, 5.0).reshape(2, 2), (3, 3), (1, 1)),
        "gradient_check": F.gradient_check(R.pool_backward, R.numerical_gradient, "pooling"),
        "learn_kernel": F.learn_kernel(R.convolve_backward, R.convolve, steps=20),
        # notebook 8
        "receptive_field_growth": F.receptive_field_growth(RF_STACKS, F.reference_stand_in("receptive_field")),
        "architecture_costs": F.architecture_costs(),
        "training_curves": F.training_curves(history),
        "confusion_matrix": F.confusion_matrix(history),
        "learned_filters": F.learned_filters(history),
        "shift_equivariance": F.shift_equivariance(history.kernels),
    }


def test_every_figure_has_a_one_line_caption():
    figs = _all_figures()
    assert set(figs) == {n for n in F.__all__ if n not in ("sample_photo", "sample_photo_rgb", "slider",
                                                         "yours_or_reference", "caption", "KERNELS",
                                                         "reference_stand_in", "answered", "small_cnn_table",
                                                         "einsum_speeds", "train_digits")}
    for name, fig in figs.items():
        caption = getattr(fig, "_convcourse_caption", "")
        assert caption and "\n" not in caption, name
        assert any(t.get_text() == caption for t in fig.texts), name


def test_the_sliding_window_shows_the_reference_sum():
    fig = F.sliding_window(E.CLASSIC_IMAGE, E.VERTICAL_EDGE, 2, 1)
    want = R.convolve_grayscale_valid(E.CLASSIC_IMAGE[None], E.VERTICAL_EDGE)[0, 2, 1]
    assert re.search(rf"output\[2, 1\] = sum of the 9 products = {want:g}\b", fig._convcourse_caption)
    with pytest.raises(ValueError, match="outside the 3x3 output"):
        F.sliding_window(E.CLASSIC_IMAGE, E.VERTICAL_EDGE, 3, 0)


def test_padding_pictures_put_the_extra_zero_after():
    assert "zeros: 1 before, 2 after -> output 6x6" in _titles(F.zero_padding(6, 4, "same"))
    assert "zeros: 1 before, 1 after -> output 5x5" in _titles(F.zero_padding(5, 3, "same"))
    assert "zeros: 0 before, 0 after -> output 3x3" in _titles(F.zero_padding(5, 3, "valid"))


def test_shape_and_pool_pictures_carry_computed_numbers():
    assert "sum: 5x5" in _titles(F.transpose_scatter(np.ones((2, 2)), np.ones((3, 3)), stride=2))
    assert "output 3x3" in _titles(F.stride_grid(7, 3, (2, 2)))
    assert "taps over 5x5" in _titles(F.dilated_taps(3, (2,)))
    total = sum(p for *_, p in E.small_cnn_table())
    assert f"{total:,} parameters in all" in F.cnn_shapes(E.small_cnn_table())._convcourse_caption
    texts = [t.get_text() for t in F.pooling(E.POOL_SPOT_THE_MISTAKE, (2, 2), (2, 2), "max").axes[1].texts]
    assert texts == ["4", "3", "4", "5"]          # the right answer, not the printed [[3, 2], [4, 5]]


def test_the_photograph_ships_with_matplotlib():
    photo = F.sample_photo(64)
    assert photo.shape == (64, 64) and photo.dtype == np.float64 and 0 <= photo.min() < photo.max() <= 1
    assert F.sample_photo_rgb(32).shape == (32, 32, 3)


def test_yours_or_reference_picks_a_working_function_only(capsys):
    def convolve_grayscale_valid(images, kernel):
        """Not written yet."""

    stand_in = F.yours_or_reference(convolve_grayscale_valid)
    assert isinstance(stand_in, F.StandIn) and stand_in is not R.convolve_grayscale_valid
    assert "does not pass its public cases yet" in capsys.readouterr().out
    cell = {"conv": stand_in, "x": E.CLASSIC_IMAGE[None], "k": E.VERTICAL_EDGE}
    exec(compile("y = conv(x, k)", "<cell>", "exec"), cell)   # noqa: S102 - a lesson cell's top level
    assert np.array_equal(cell["y"], R.convolve_grayscale_valid(cell["x"], cell["k"]))

    def mine(images, kernel):   # its own work: one that calls the reference is a borrowed answer
        oh, ow = images.shape[1] - kernel.shape[0] + 1, images.shape[2] - kernel.shape[1] + 1
        out = np.zeros((images.shape[0], oh, ow))
        for a, b in np.ndindex(*kernel.shape):
            out += kernel[a, b] * images[:, a:a + oh, b:b + ow]
        return out

    assert F.yours_or_reference(mine, name="convolve_grayscale_valid") is mine


def test_the_slider_visits_every_output_position():
    pytest.importorskip("ipywidgets", reason="the course extra (make setup installs it)")
    widget = F.slider(E.CLASSIC_IMAGE, E.VERTICAL_EDGE)
    slider = widget.children[0]
    assert (slider.min, slider.max, slider.value) == (0, 8, 0)


def test_the_stand_in_answers_lesson_cells_but_no_function():
    """A cell's top level (and the figures) may call the reference's stand-in; a function may not: not the
    student's, not a lambda, not the grader calling one that was set to the stand-in."""
    stand_in = F.reference_stand_in("convolve_grayscale_valid")
    cell = {"s": stand_in, "x": E.CLASSIC_IMAGE[None], "k": E.VERTICAL_EDGE}
    exec(compile("y = s(x, k)\nys = [s(x, k) for _ in range(2)]\n", "<cell>", "exec"), cell)   # noqa: S102
    assert np.array_equal(cell["y"], R.convolve_grayscale_valid(cell["x"], cell["k"])) and len(cell["ys"]) == 2
    exec(compile("def convolve_grayscale_valid(images, kernel):\n    return s(images, kernel)\n"   # noqa: S102
                 "f = lambda images, kernel: s(images, kernel)\n", "<cell>", "exec"), cell)
    for fn in (cell["convolve_grayscale_valid"], cell["f"]):
        with pytest.raises(RuntimeError, match="a function may not call it"):
            fn(cell["x"], cell["k"])
    # the student's function calling the stand-in fails its check, so the lessons keep the stand-in
    assert isinstance(F.yours_or_reference(cell["convolve_grayscale_valid"]), F.StandIn)
    from autograder import autograde, check

    assert check(cell["convolve_grayscale_valid"], show=False).result.passed == 0
    # the stand-in handed over as the student's function is not run for them either
    assert autograde("convolve_grayscale_valid", stand_in).report.result.passed == 0
    assert F.feature_maps(F.sample_photo(32), {"Sobel x": F.KERNELS["Sobel x"]}, convolve=stand_in)
    assert "reference_" in stand_in.__name__ and "convolve_grayscale_valid" in repr(stand_in)


def test_answered_gates_the_pictures_of_a_by_hand_answer(capsys):
    assert not F.answered("correlate_by_hand", output_00=..., output_full=...)
    assert "it draws once your answers pass" in capsys.readouterr().out
    right = R.convolve_grayscale_valid(E.CLASSIC_IMAGE[None], E.VERTICAL_EDGE)[0]
    assert not F.answered("correlate_by_hand", output_00=float(right[0, 0]), output_full=(-right).tolist())
    assert F.answered("correlate_by_hand", output_00=float(right[0, 0]), output_full=right.tolist())
    assert capsys.readouterr().out.count("it draws once") == 1


def test_stride_two_same_padding_is_not_stride_ones():
    """8x8, k=3, stride 2: 'same' pads 0 before and 1 after (stride 1 pads 1 and 1); the caption says both."""
    fig = F.zero_padding(8, 3, "same", stride=2)
    assert "zeros: 0 before, 1 after -> output 4x4" in _titles(fig)
    assert "Zeros: 0 before, 1 after (stride 1: 1 and 1)" in fig._convcourse_caption


def test_the_sliding_window_shows_no_negative_zero():
    for i, j in np.ndindex(3, 3):
        assert "-0)" not in F.sliding_window(E.CLASSIC_IMAGE, E.VERTICAL_EDGE, i, j)._convcourse_caption


def test_the_speed_plot_says_which_function_ran_and_claims_only_what_it_measured():
    def ax_labels(fig):
        return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]

    stand_in = F.speed_plot(F.reference_stand_in("convolve_grayscale_valid"), "convolve_grayscale_valid",
                            sizes=(8, 16), batch=2, repeats=1)
    assert "your function" not in ax_labels(stand_in) and "does not pass yet" in ax_labels(stand_in)[0]
    mine = F.speed_plot(lambda i, k: R.convolve_grayscale_valid(i, k) * 1.0, "convolve_grayscale_valid",
                        sizes=(8, 16), batch=2, repeats=1)
    assert ax_labels(mine)[0] == "your function"
    times = mine._convcourse_times
    slope = math.log(times["fn"][-1] / times["fn"][-2]) / math.log(2)
    assert f"yours {slope:.1f}" in mine._convcourse_caption and "parallel" not in mine._convcourse_caption


def test_einsum_speeds_times_what_the_lesson_explains(capsys):
    def taps(images, kernel):
        return R.convolve_grayscale_valid(images, kernel)

    ratios = F.einsum_speeds(taps, "convolve_grayscale_valid", repeats=1)
    assert set(ratios) == {"einsum on the view", "einsum on the view, optimize=True", "loop over the kernel's taps"}
    assert all(r > 0 for r in ratios.values())
    out = capsys.readouterr().out
    assert all(label in out for label in ratios) and "x the reference" in out
    x, k = np.random.default_rng(0).standard_normal((2, 9, 8)), np.random.default_rng(1).standard_normal((3, 2))
    for optimize in (False, True):
        assert np.allclose(F._einsum_view(x, k, optimize), R.convolve_grayscale_valid(x, k))


def test_the_strided_convolution_picture_shows_pool_and_convolutions():
    fig = F.downsampling(F.sample_photo(32), F.reference_stand_in("pool"))
    titles = _titles(fig)
    assert "2x2 max pool, stride 2: 16x16" in titles and "3x3 blur, stride 2: 16x16" in titles
    assert "3x3 Sobel x, stride 2: 16x16" in titles and fig._convcourse_caption.startswith("Each output is 16x16")


def test_worked_example_inputs_are_copies():
    from autograder.course import worked_examples as W

    image = W.example("classic image")
    image[0, 0] = 99
    assert E.CLASSIC_IMAGE[0, 0] != 99 and np.array_equal(W.example("classic image"), E.CLASSIC_IMAGE)
    with pytest.raises(ValueError, match="no worked example 'nope'"):
        W.example("nope")
    assert np.array_equal(W.spot_the_mistake_answer(), [[4, 3], [4, 5]])
    excluded, counted = W.padded_average_of_ones()
    assert np.all(excluded == 1) and counted[1, 1] == 1 and np.isclose(counted[0, 0], 4 / 9)


# ------------------------------------------------------------------------------ notebook 7: gradients


def test_the_step_size_picture_states_the_errors_it_measured_at_the_default_step():
    """The caption's three errors at eps=1e-6, recomputed here for f(x) = sum(w * tanh(x)), seed 0: the
    central difference in float64 beats the forward one, and float32 is far worse than both."""
    fig = F.step_size_errors()
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(50), rng.uniform(0.5, 2.0, 50)
    exact = w[0] * (1 - np.tanh(x[0]) ** 2)
    e = np.zeros(50)
    e[0] = 1e-6
    f = lambda v: np.sum(w.astype(v.dtype) * np.tanh(v))   # noqa: E731
    central = abs((f(x + e) - f(x - e)) / 2e-6 - exact)
    forward = abs((f(x + e) - f(x)) / 1e-6 - exact)
    x32, e32 = x.astype(np.float32), e.astype(np.float32)
    single = abs(float(f(x32 + e32) - f(x32 - e32)) / 2e-6 - exact)
    text = fig._convcourse_caption
    assert f"error is {central:.0e} (central), {forward:.0e} (forward), {single:.0e} (central in float32)" in text
    assert central < forward < single
    # below float32's spacing x + eps is x: the float32 estimate is 0, its error the whole derivative
    errors = fig._convcourse_errors
    assert np.isclose(errors["central, float32"][0], abs(exact))
    assert [line.get_color() for line in fig.axes[0].get_lines()][2] == "#1a7f37"   # "the green curve"


def test_kernel_gradient_sums_the_block_each_tap_met():
    """d_kernels[i, j] in the caption is the sum of the block image[i:i + 3, j:j + 3] times d_out, for every
    tap, with d_out all ones (the lesson's case) and with a non-uniform one; it is the reference's."""
    d_random = np.random.default_rng(3).integers(-2, 3, (3, 3)).astype(float)
    for d_out in (np.ones((3, 3)), d_random):
        want = R.convolve_backward(d_out[None, :, :, None], E.CLASSIC_IMAGE[None, :, :, None],
                                   E.VERTICAL_EDGE[:, :, None, None], "valid")[1][:, :, 0, 0]
        for i, j in np.ndindex(3, 3):
            value = np.sum(E.CLASSIC_IMAGE[i:i + 3, j:j + 3] * d_out)
            assert value == want[i, j]
            fig = F.kernel_gradient(E.CLASSIC_IMAGE, d_out, i, j)
            assert f"d_kernels[{i}, {j}] = sum of the 9 products = {value + 0.0:g}:" in fig._convcourse_caption
            assert [t.get_text() for t in fig.axes[2].texts] == [f"{v + 0.0:g}" for v in
                                                                 (E.CLASSIC_IMAGE[i:i + 3, j:j + 3] * d_out).ravel()]
            import matplotlib.pyplot as plt

            plt.close(fig)
    with pytest.raises(ValueError, match="outside the 3x3 kernel"):
        F.kernel_gradient(E.CLASSIC_IMAGE, np.ones((3, 3)), 3, 0)
    with pytest.raises(ValueError, match="d_out is 2x2"):
        F.kernel_gradient(E.CLASSIC_IMAGE, np.ones((2, 2)), 0, 0)


def test_image_gradient_is_the_scatter_of_the_kernel_and_counts_the_outputs_that_read_each_pixel():
    fig = F.image_gradient(np.ones((3, 3)), E.VERTICAL_EDGE, 1, 2)
    scatter = np.zeros((5, 5))
    for y, x in np.ndindex(3, 3):
        scatter[y:y + 3, x:x + 3] += E.VERTICAL_EDGE
    assert [float(t.get_text()) for t in fig.axes[2].texts] == scatter.ravel().tolist()
    reads = np.zeros((5, 5))
    for y, x in np.ndindex(3, 3):
        reads[y:y + 3, x:x + 3] += 1
    most = tuple(int(v) for v in np.unravel_index(np.argmax(reads), reads.shape))
    assert (most, reads.max(), reads[0, 0]) == ((2, 2), 9, 1)
    assert (f"pixel {most} was read by {reads.max():g} outputs and adds {reads.max():g} stamps, pixel (0, 0) "
            f"{reads[0, 0]:g}.") in fig._convcourse_caption
    # stride 2: the stamps are the transposed convolution of d_out (notebook 6)
    d_out = np.array([[1.0, 2.0], [3.0, 4.0]])
    fig = F.image_gradient(d_out, E.VERTICAL_EDGE, 0, 1, stride=2)
    want = R.convolve_transpose(d_out[None, :, :, None], E.VERTICAL_EDGE[:, :, None, None], "valid", (2, 2))
    assert [float(t.get_text()) for t in fig.axes[2].texts] == want[0, :, :, 0].ravel().tolist()
    with pytest.raises(ValueError, match="outside the 2x2 d_out"):
        F.image_gradient(d_out, E.VERTICAL_EDGE, 2, 0)


def _first_max_winners(x, ks, st):
    """Each 'valid' window's first maximum (row-major), by plain loops: {(window), cell}."""
    oh, ow = (x.shape[0] - ks[0]) // st[0] + 1, (x.shape[1] - ks[1]) // st[1] + 1
    winners = {}
    for a, b in np.ndindex(oh, ow):
        best = None
        for r, c in np.ndindex(*ks):
            v = x[a * st[0] + r, b * st[1] + c]
            if best is None or v > best[0]:
                best = (v, (a * st[0] + r, b * st[1] + c))
        winners[a, b] = best[1]
    return winners


def test_pool_gradient_sends_each_window_to_its_first_maximum_and_adds_overlaps():
    d_out = np.arange(1.0, 5.0).reshape(2, 2)
    overlap = F.pool_gradient(E.POOL_EXAMPLE, d_out, (3, 3), (1, 1))
    winners = _first_max_winners(E.POOL_EXAMPLE, (3, 3), (1, 1))
    assert set(winners.values()) == {(1, 1)}                       # the 6 wins all four windows
    assert "cell (1, 1) wins 4 windows and gets the sum of their d_out, 10." in overlap._convcourse_caption
    assert d_out.sum() == 10 and overlap._convcourse_wins[1, 1] == 4 and overlap._convcourse_wins.sum() == 4
    # 2x2/2 on the pool example: two windows hold a tied maximum, and the first one (row-major) gets it
    tiles = F.pool_gradient(E.POOL_EXAMPLE, d_out, (2, 2), (2, 2))
    tied = sum(int(np.sum(E.POOL_EXAMPLE[a:a + 2, b:b + 2] == E.POOL_EXAMPLE[a:a + 2, b:b + 2].max()) > 1)
               for a in (0, 2) for b in (0, 2))
    assert tied == 2 and "2 windows hold a tied maximum: only the first in row-major order gets it" in \
        tiles._convcourse_caption and "wins" not in tiles._convcourse_caption
    want = np.zeros((4, 4))
    for (a, b), cell in _first_max_winners(E.POOL_EXAMPLE, (2, 2), (2, 2)).items():
        want[cell] += d_out[a, b]
    assert np.array_equal(np.argwhere(tiles._convcourse_wins), np.argwhere(want))
    shown = [float(t.get_text()) for t in tiles.axes[2].texts]
    assert shown == want.ravel().tolist()
    # 'same' average 3x3/2 on 4x4: the windows hold 9, 6, 6 and 4 real cells, each gets d_out / that
    avg = F.pool_gradient(E.POOL_EXAMPLE, d_out, (3, 3), (2, 2), "avg", "same")
    g = R.axis_geometry(4, 3, "same", 2)
    real = np.pad(np.ones((4, 4)), ((g.before, g.after),) * 2)
    counts = [int(real[a * 2:a * 2 + 3, b * 2:b * 2 + 3].sum()) for a, b in np.ndindex(2, 2)]
    assert counts == [9, 6, 6, 4]
    assert "its real cells (9, 6, 6 and 4 here; padded cells get none)" in avg._convcourse_caption
    with pytest.raises(ValueError, match="pooled shape"):
        F.pool_gradient(E.POOL_EXAMPLE, np.ones((3, 3)), (2, 2), (2, 2))


def test_gradient_check_says_who_ran_and_reports_the_error_it_measured(capsys):
    stand_in = F.gradient_check(F.reference_stand_in("pool_backward"), F.reference_stand_in("numerical_gradient"),
                                "pooling", kernel_shape=(3, 3), stride=(2, 2))
    out = capsys.readouterr().out
    assert "pool_backward: the reference's (stand-in); numerical_gradient: the reference's (stand-in)" in out
    err = stand_in._convcourse_errors["d_images"]
    assert err < 1e-6 and f"largest relative error {err:.1e}, so every point is on the diagonal" in \
        stand_in._convcourse_caption and "the reference's (stand-in) against" in stand_in._convcourse_caption
    assert f"d_images   largest difference {err:.1e}" in out

    def pool_backward(d_out, images, kernel_shape, stride, mode="max", padding="valid"):   # twice too big
        return 2 * R.pool_backward(d_out, images, kernel_shape, stride, mode, padding)

    wrong = F.gradient_check(pool_backward, R.numerical_gradient, "pooling", mode="avg", padding="same")
    assert np.isclose(wrong._convcourse_errors["d_images"], 1.0)
    assert "yours against" in wrong._convcourse_caption and "off the diagonal" in wrong._convcourse_caption
    assert "pool_backward: yours; numerical_gradient: yours" in capsys.readouterr().out

    def convolve_backward(d_out, images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
        d_images, d_kernels, d_bias = R.convolve_backward(d_out, images, kernels, padding, stride, dilation)
        return d_images, d_kernels[::-1, ::-1], d_bias                 # d_kernels flipped

    conv = F.gradient_check(convolve_backward, R.numerical_gradient, "convolution", stride=(2, 2), dilation=(2, 1))
    errors = conv._convcourse_errors
    assert set(errors) == {"d_images", "d_kernels", "d_bias"}
    assert errors["d_images"] < 1e-6 and errors["d_bias"] < 1e-6 and errors["d_kernels"] > 0.1
    assert f"largest relative error {max(errors.values()):.1e}" in conv._convcourse_caption
    right = F.gradient_check(R.convolve_backward, R.numerical_gradient, "convolution", padding="valid")
    assert max(right._convcourse_errors.values()) < 1e-6
    assert sum(int(n) for n in re.findall(r"\((\d+) values\)", capsys.readouterr().out)[-3:]) == \
        int(right._convcourse_caption.split()[0]) == 2 * 6 * 7 * 2 + 3 * 3 * 2 * 3 + 3
    with pytest.raises(ValueError, match="layer must be 'pooling' or 'convolution'"):
        F.gradient_check(R.pool_backward, R.numerical_gradient, "dense")


def test_learn_kernel_recovers_the_hidden_kernel_and_its_caption_is_what_it_measured():
    fig = F.learn_kernel(F.reference_stand_in("convolve_backward"), F.reference_stand_in("convolve"))
    h = fig._convcourse_history
    losses, steps = h["losses"], h["steps"]
    assert len(losses) == steps + 1 and losses[-1] < 1e-7 <= losses[-2] and losses[-1] < losses[0]
    assert all(b <= a for a, b in zip(losses, losses[1:]))        # gradient descent: the loss never grows
    error = np.max(np.abs(h["kernel"] - F.KERNELS["Sobel x"]))
    assert error == h["error"] < 1e-2 and abs(h["bias"]) < 1e-3
    half = len(losses) // 2
    cut = 1 - (losses[-1] / losses[half]) ** (1 / (len(losses) - 1 - half))
    assert (f"{steps} steps (learning rate 0.1) took the loss from {losses[0]:.2g} to {losses[-1]:.1g}, each step "
            f"of the last half cutting it by {cut:.0%}; the learned kernel is the hidden Sobel x to within "
            f"{error:.0e}.") == fig._convcourse_caption
    assert "the reference's (stand-in)" in fig.axes[0].get_title()
    # the learned kernel shown is the one learned, rounded
    assert [float(t.get_text()) for t in fig.axes[2].texts] == np.round(h["kernel"], 2).ravel().tolist()
    # a capped run says the steps it took; too large a learning rate says so instead of claiming a fit
    capped = F.learn_kernel(R.convolve_backward, R.convolve, steps=5)
    assert capped._convcourse_history["steps"] == 5 and capped._convcourse_caption.startswith("5 steps")
    assert "loss, convolve_backward: yours" in capped.axes[0].get_title()
    wild = F.learn_kernel(R.convolve_backward, R.convolve, lr=0.5)
    assert wild._convcourse_history["diverged"] and "is too large" in wild._convcourse_caption
    assert wild._convcourse_history["losses"][-1] > 1e3 * wild._convcourse_history["losses"][0]


def test_the_curvatures_notebook_7_quotes_predict_the_pace_and_the_largest_learning_rate():
    """The prose's claims, measured: the flattest curvature gives the loss's cut per step, steps converge
    below 2 / the largest curvature and diverge above it, whatever the hidden kernel."""
    c = F.kernel_curvatures()
    assert c.shape == (10,) and np.all(np.diff(c) >= 0) and c[0] > 0
    for lr in (0.1, 0.17):
        h = F.learn_kernel(R.convolve_backward, R.convolve, lr=lr)._convcourse_history
        predicted = 1 - (1 - lr * c[0]) ** 2
        assert not h["diverged"] and abs(h["cut"] - predicted) < 0.1 * predicted, (lr, h["cut"], predicted)
    limit = 2 / c[-1]
    assert F.learn_kernel(R.convolve_backward, R.convolve, lr=0.95 * limit, steps=400)._convcourse_history["losses"][-1] < 1e-3
    for hidden in ("Sobel x", "Sobel y"):
        assert F.learn_kernel(R.convolve_backward, R.convolve, hidden=hidden, lr=1.1 * limit)._convcourse_history["diverged"]
    assert F.learn_kernel(R.convolve_backward, R.convolve, lr=0.3)._convcourse_history["diverged"]


# ------------------------------------------------------------------- notebook 8: a CNN from your layers


@pytest.fixture(scope="module")
def few_digits():
    """60 training and 40 test digits: a training run of an epoch or two takes a fraction of a second."""
    from autograder.course import training as T

    d = T.load_digits_split()
    return T.Digits(d.x_train[:60], d.y_train[:60], d.x_test[:40], d.y_test[:40])


#: The lesson's three stacks of (kernel, stride, dilation).
RF_STACKS = {"three 3x3": [(3, 1, 1)] * 3, "3x3, dilations 1, 2, 4": [(3, 1, 1), (3, 1, 2), (3, 1, 4)],
             "3x3 with 2x2/2 pools": [(3, 1, 1), (2, 2, 1), (3, 1, 1), (2, 2, 1), (3, 1, 1)]}


def _dependencies(layers) -> set:
    """The input pixels one output of ``layers`` reads, by following each tap (sets, not counts)."""
    seen = {0}
    for k, s, d in reversed(layers):
        seen = {p * s + j * d for p in seen for j in range(k)}
    return seen


def test_the_receptive_field_picture_measures_what_each_output_sees():
    fig = F.receptive_field_growth(RF_STACKS, F.reference_stand_in("receptive_field"))
    spans = fig._convcourse_spans
    for name, layers in RF_STACKS.items():
        for depth in range(1, len(layers) + 1):
            counts = F._paths_to_input(layers[:depth])
            pixels = _dependencies(layers[:depth])
            assert set(np.flatnonzero(counts)) == pixels and min(pixels) == 0
            assert len(counts) == max(pixels) + 1 == R.receptive_field(layers[:depth])[0]
            assert counts.sum() == math.prod(k for k, _, _ in layers[:depth])   # one path per choice of taps
        assert spans[name] == R.receptive_field(layers)[0]
    seen = ", ".join(str(spans[name]) for name in RF_STACKS)
    assert fig._convcourse_caption.endswith(f"the last layers see {seen} pixels.") and seen == "7, 15, 18"
    assert "the reference's receptive_field: size 7, jump 1" in _titles(fig) and "size 18, jump 4" in _titles(fig)
    assert "your receptive_field: size 15, jump 1" in _titles(F.receptive_field_growth(RF_STACKS, R.receptive_field))
    # the lesson's prose: dilations 1, 2, 4 leave no hole, each of those layers adds twice what the one before
    # did, and after each 2x2/2 pool a 3x3 layer adds twice as many pixels as before
    assert F._paths_to_input(RF_STACKS["3x3, dilations 1, 2, 4"]).all()
    added = [R.receptive_field(RF_STACKS["3x3, dilations 1, 2, 4"][:i + 1])[0] -
             R.receptive_field(RF_STACKS["3x3, dilations 1, 2, 4"][:i])[0] for i in range(3)]
    assert added[1] == 2 * added[0] and added[2] == 2 * added[1]
    pools = RF_STACKS["3x3 with 2x2/2 pools"]
    convs = [R.receptive_field(pools[:i + 1])[0] - R.receptive_field(pools[:i])[0] for i in (0, 2, 4)]
    assert convs[1] == 2 * convs[0] and convs[2] == 2 * convs[1]
    assert not F._paths_to_input([(3, 1, 2), (3, 1, 2)]).all()   # dilations 2, 2 do leave holes


def test_the_receptive_field_picture_says_when_the_function_disagrees():
    fig = F.receptive_field_growth(RF_STACKS, lambda layers: (len(layers), 1))
    assert "Your receptive_field disagrees for three 3x3, 3x3, dilations 1, 2, 4, 3x3 with 2x2/2 pools." \
        in fig._convcourse_caption
    assert "disagrees" not in F.receptive_field_growth(RF_STACKS, R.receptive_field)._convcourse_caption


def test_the_architecture_costs_are_the_exercise_s_answers_and_the_caption_what_they_show(capsys):
    from autograder.exercises import registry
    from autograder.grading.cases import expected, public_cases

    fig = F.architecture_costs(batch=32)
    out = capsys.readouterr().out
    lenet, vgg = E.architecture_table(E.LENET5, E.LENET5_INPUT), E.architecture_table(E.VGG_BLOCK, E.VGG_BLOCK_INPUT)
    answers = {c.function: expected(c) for c in public_cases(registry.get("architecture_tracking"))}
    for prefix, table in (("lenet", lenet), ("vgg", vgg)):
        assert answers[f"{prefix}_shapes"] == [r[1] for r in table]
        assert answers[f"{prefix}_params"] == [r[2] for r in table]
        assert answers[f"{prefix}_activations"] == [math.prod(r[1]) for r in table] == [r[3] for r in table]
    # independently: LeNet-5's counts, and the VGG block's
    assert [r[2] for r in lenet] == [5 * 5 * 6 + 6, 0, 5 * 5 * 6 * 16 + 16, 0, 0, 400 * 120 + 120, 120 * 84 + 84,
                                     84 * 10 + 10]
    assert [r[1] for r in vgg] == [(112, 112, 128), (112, 112, 128), (56, 56, 128)]
    assert [r[2] for r in vgg] == [3 * 3 * 64 * 128 + 128, 3 * 3 * 128 * 128 + 128, 0]
    text = fig._convcourse_caption
    assert (f"LeNet-5: layer 6 holds {48120 / sum(r[2] for r in lenet):.0%} of the {sum(r[2] for r in lenet):,} "
            f"parameters, layer 1 outputs the most ({28 * 28 * 6:,} floats per image)") in text
    assert max(r[2] for r in lenet) == lenet[5][2] and max(r[3] for r in lenet) == lenet[0][3]
    assert (f"VGG-16 block 2: layer 2 holds {147584 / 221440:.0%} of the 221,440 parameters, layers 1 and 2 each "
            f"output the most ({112 * 112 * 128:,} floats per image).") in text
    floats = sum(r[3] for r in vgg)
    assert f"a batch of 32 images {floats * 4 * 32 / 2 ** 20:,.1f} MiB" in out
    assert f"{'x'.join(map(str, lenet[3][1]))}" in out and f"{lenet[0][3] * 4 / 1024:,.1f}" in out


def _gap(images):
    return images.mean(axis=(1, 2))


def _gap_breaks_on_32_channels(images):
    if images.shape[-1] == 32:   # passes every public case, fails in the network's second block
        raise IndexError("32 channels")
    return images.mean(axis=(1, 2))


def _stub(images):
    """Not written yet."""


def test_train_digits_runs_the_layers_that_pass_and_says_which(capsys, few_digits):
    from autograder.course import training as T

    history = F.train_digits(epochs=2, data=few_digits, global_average_pool=_gap, pool=_stub, convolve=None)
    out = capsys.readouterr().out
    assert history.layers == {**{n: T.REFERENCE for n in T.LAYER_NAMES}, "global_average_pool": T.YOURS}
    assert ("Layers: convolve: the reference, pool: the reference, global_average_pool: yours, convolve_backward: "
            "the reference, pool_backward: the reference") in out
    assert "(Your pool does not pass its public cases yet, so the network uses the reference's.)" in out
    assert "convolve does not pass" not in out                     # not given: no note
    assert "60 training and 40 test digits of 8x8 pixels, 2 epochs" in out
    right = int(np.trace(history.confusion))
    assert f"Test accuracy {history.test_accuracy:.1%} ({right} of 40 digits)" in out
    assert len(history.loss) == 2 and f"epoch   2: loss {history.loss[1]:.3f}" in out
    reference = T.train(T.Layers.reference(), epochs=2, data=few_digits)
    np.testing.assert_allclose(history.loss, reference.loss, rtol=1e-5)
    with pytest.raises(ValueError, match="unknown layer dense"):
        F.train_digits(epochs=1, data=few_digits, dense=_gap)


def test_train_digits_falls_back_to_the_reference_when_a_layer_breaks_in_the_network(capsys, few_digits):
    from autograder.course import training as T

    history = F.train_digits(epochs=1, data=few_digits, global_average_pool=_gap_breaks_on_32_channels)
    out = capsys.readouterr().out
    assert "global_average_pool: yours" in out
    assert "your global_average_pool raised IndexError in the network's global average pooling" in out
    assert "Training again with the reference's layers." in out
    assert history.layers == {n: T.REFERENCE for n in T.LAYER_NAMES}


def test_the_training_pictures_state_what_the_run_measured(few_digits):
    import dataclasses

    from autograder.course import training as T

    history = T.train(T.Layers.reference(), epochs=3, data=few_digits)
    curves = F.training_curves(history)
    assert curves._convcourse_caption == (
        f"The loss fell from {history.loss[0]:.2f} to {history.loss[-1]:.3f} in 3 epochs; training accuracy "
        f"{history.accuracy[-1]:.1%} in the last one, test accuracy {history.test_accuracy:.1%} on 40 digits it "
        "never trained on.")
    assert curves.axes[1].get_lines()[1].get_ydata()[0] == pytest.approx(history.test_accuracy * 100)
    assert "convolve: the reference" in curves.get_suptitle()

    def confusion_caption(matrix):
        return F.confusion_matrix(dataclasses.replace(history, confusion=np.array(matrix)))._convcourse_caption

    eye = np.diag([4] * 10)
    assert confusion_caption(eye) == ("40 of 40 test digits are on the diagonal (read right); no test digit was "
                                      "read wrong.")
    once = eye.copy()
    once[3, 5] = once[7, 1] = 1
    assert confusion_caption(once).endswith("no mistake happens twice: 3 as 5, 7 as 1.")
    twice = once.copy()
    twice[9, 4] = 2
    assert confusion_caption(twice) == ("40 of 44 test digits are on the diagonal (read right); the most frequent "
                                        "mistake: 9 read as 4, 2 times.")
    twice[2, 8] = 2
    assert confusion_caption(twice).endswith("the most frequent mistake: 2 read as 8, 2 times (as often as 1 other "
                                             "pair).")
    right = int(np.trace(history.confusion))
    assert F.confusion_matrix(history)._convcourse_caption.startswith(f"{right} of 40 test digits are on the diagonal")

    k = history.kernels[:, :, 0, :].astype(np.float64)
    cancelling = sum(abs(k[..., f].sum()) < np.abs(k[..., f]).sum() / 2 for f in range(k.shape[-1]))
    filters = F.learned_filters(history)
    assert (f"in {cancelling} of them the weights largely cancel" in filters._convcourse_caption
            and f"|w| up to {np.abs(k).max():.2f}" in filters._convcourse_caption)
    assert sum(1 for ax in filters.axes if ax.images) == 16


def _convolve_same_3x3(images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    """A student's convolve that is right only for the network's case ('same', stride 1, odd kernels)."""
    kh, kw = kernels.shape[:2]
    x = np.pad(images, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    return np.einsum("mhwcij,ijcn->mhwn", windows, kernels)


def _model_answer(notebook: str, name: str):
    from pathlib import Path

    namespace = {}
    path = Path(__file__).resolve().parents[2] / "solutions" / f"{notebook}.py"
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - the course's own model answers
    return namespace[name]


def test_the_shift_picture_states_the_measured_equivariance_and_pooling_change(capsys):
    from autograder.course import training as T

    fig = F.shift_equivariance()
    demo = fig._convcourse_demo
    want = T.shift_demo()
    assert demo.conv_changed == want.conv_changed and demo.pooled_changed == want.pooled_changed
    assert demo.equivariance_error <= 1e-12
    assert fig._convcourse_caption == (
        f"Moved 1 pixel right: inside the blue box the conv maps just moved (largest difference "
        f"{demo.equivariance_error:.1g}); {demo.conv_changed:.0%} of the conv outputs changed value, fewer of the "
        f"pooled ones ({demo.pooled_changed:.0%}; relative change {demo.conv_relative_change:.2f} before pooling, "
        f"{demo.pooled_relative_change:.2f} after).")
    assert demo.pooled_changed < demo.conv_changed
    # the |difference| panel is zero inside the box, and the box is the interior
    diff = fig.axes[4].images[0].get_array()
    assert np.all(np.asarray(diff)[demo.interior] <= 1e-12)
    box = fig.axes[4].patches[0]
    rows, cols = np.nonzero(demo.interior)
    assert (box.get_x(), box.get_y(), box.get_width(), box.get_height()) == (
        cols.min() - 0.5, rows.min() - 0.5, cols.max() - cols.min() + 1, rows.max() - rows.min() + 1)
    # a student's convolve that passes its public cases? this one does not ('same' only at stride 1): noted
    learned = np.random.default_rng(0).standard_normal((3, 3, 1, 4))
    mine = F.shift_equivariance(learned, convolve=_convolve_same_3x3, shift=(1, 0))
    assert "(Your convolve does not pass its public cases yet" in capsys.readouterr().out
    assert mine._convcourse_caption.startswith("Moved 1 pixel down: ")
    assert mine.get_suptitle() == "convolve: the reference, pool: the reference"
    ok = F.shift_equivariance(learned, pool=_model_answer("04_pooling", "pool"))   # notebook 4's model answer
    assert ok.get_suptitle() == "convolve: the reference, pool: yours"
    assert "fewer" in ok._convcourse_caption or "no fewer" in ok._convcourse_caption
