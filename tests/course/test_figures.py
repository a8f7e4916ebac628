"""The lessons' pictures: each has a caption, and the numbers it shows are the reference's."""

from __future__ import annotations

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
        "receptive_field": F.receptive_field(3, (1, 2)),
        "stride_grid": F.stride_grid(7, 3, (2, 2)),
        "channels_picture": F.channels_picture(rgb, bank, R.convolve),
        "pooling": F.pooling(E.POOL_SPOT_THE_MISTAKE, (2, 2), (2, 2), "max"),
        "cnn_shapes": F.cnn_shapes(E.small_cnn_table()),
        "transpose_scatter": F.transpose_scatter(np.array([[1.0, 2.0], [3.0, 4.0]]), np.ones((3, 3))),
        "speed_plot": F.speed_plot(R.convolve_grayscale_valid, "convolve_grayscale_valid", sizes=(8, 16), batch=2,
                                   repeats=1),
    }


def test_every_figure_has_a_one_line_caption():
    figs = _all_figures()
    assert set(figs) == {n for n in F.__all__ if n not in ("sample_photo", "sample_photo_rgb", "slider",
                                                         "yours_or_reference", "caption", "KERNELS")}
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
    assert "taps over 5x5" in _titles(F.receptive_field(3, (2,)))
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

    assert F.yours_or_reference(convolve_grayscale_valid) is R.convolve_grayscale_valid
    assert "does not pass its public cases yet" in capsys.readouterr().out

    def mine(images, kernel):
        return R.convolve_grayscale_valid(images, kernel) * 1.0

    assert F.yours_or_reference(mine, name="convolve_grayscale_valid") is mine


def test_the_slider_visits_every_output_position():
    pytest.importorskip("ipywidgets", reason="the course extra (make setup installs it)")
    widget = F.slider(E.CLASSIC_IMAGE, E.VERTICAL_EDGE)
    slider = widget.children[0]
    assert (slider.min, slider.max, slider.value) == (0, 8, 0)
