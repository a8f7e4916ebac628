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
    }


def test_every_figure_has_a_one_line_caption():
    figs = _all_figures()
    assert set(figs) == {n for n in F.__all__ if n not in ("sample_photo", "sample_photo_rgb", "slider",
                                                         "yours_or_reference", "caption", "KERNELS",
                                                         "reference_stand_in", "answered", "small_cnn_table",
                                                         "einsum_speeds")}
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
