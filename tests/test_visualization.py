"""Attribution maps and figures: clipping bounds, signed limits, masks, returned figures."""

import matplotlib

matplotlib.use("Agg")  # no display in CI; set before any figure is drawn

import matplotlib.pyplot as plt
import numpy as np
import pytest
import tensorflow as tf
from matplotlib.figure import Figure

from ig_tutorial import (
    VISUALIZATION_MODES,
    attribution_mask,
    convergence_study,
    integrated_gradients,
    integrated_gradients_over_baselines,
    plot_attribution_grid,
    plot_averaged_attributions,
    plot_convergence,
    plot_feature_attributions,
    plot_images,
    plot_img_attributions,
    plot_sequence_attributions,
    visualize_attributions,
)
from ig_tutorial.plotting.attribution_maps import DEFAULT_COLORMAPS, attribution_map


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def attributions(rng):
    values = rng.normal(size=(10, 10, 3))
    values[0, 0] = 1000.0  # one outlier pixel, positive in every channel
    values[9, 9] = -500.0  # and a negative one
    return values


def test_absolute_mode_is_the_tutorial_mask_clipped_at_the_percentile(attributions):
    amap = attribution_map(attributions, "absolute", clip_percentile=95.0)
    mask = attribution_mask(attributions)
    assert amap.vmin == 0.0
    assert amap.vmax == pytest.approx(np.percentile(mask, 95.0))
    np.testing.assert_allclose(amap.values, np.minimum(mask, amap.vmax))
    assert amap.values.max() == pytest.approx(amap.vmax)
    assert amap.vmax < 100  # the outlier no longer sets the scale


def test_no_clipping_at_100_percent(attributions):
    amap = attribution_map(attributions, "absolute", clip_percentile=100.0)
    assert amap.vmax == pytest.approx(3000.0)
    np.testing.assert_allclose(amap.values, attribution_mask(attributions))


def test_signed_limits_are_symmetric(attributions):
    amap = attribution_map(attributions, "signed", clip_percentile=90.0)
    signed = attributions.sum(axis=-1)
    assert amap.vmin == -amap.vmax
    assert amap.vmax == pytest.approx(np.percentile(np.abs(signed), 90.0))
    np.testing.assert_allclose(amap.values, np.clip(signed, -amap.vmax, amap.vmax))
    assert amap.values[0, 0] == amap.vmax and amap.values[9, 9] == amap.vmin


def test_positive_and_negative_masks_split_the_signed_map(attributions):
    signed = attributions.sum(axis=-1)
    positive = attribution_map(attributions, "positive", clip_percentile=100.0)
    negative = attribution_map(attributions, "negative", clip_percentile=100.0)
    assert np.all(positive.values >= 0) and np.all(negative.values >= 0)
    np.testing.assert_array_equal(positive.values == 0, signed <= 0)
    np.testing.assert_array_equal(negative.values == 0, signed >= 0)
    np.testing.assert_allclose(positive.values - negative.values, signed)
    # Clipping percentiles are taken over the pixels of that sign only.
    clipped = attribution_map(attributions, "positive", clip_percentile=50.0)
    assert clipped.vmax == pytest.approx(np.percentile(signed[signed > 0], 50.0))


def test_an_all_zero_map_gets_a_usable_scale():
    amap = attribution_map(np.zeros((3, 3, 3)), "signed")
    assert (amap.vmin, amap.vmax) == (-1.0, 1.0)
    assert attribution_map(np.zeros((3, 3, 3)), "negative").vmax == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "abs"}, "mode must be one of"),
        ({"clip_percentile": 0}, r"clip_percentile must be in \(0, 100\]"),
        ({"clip_percentile": 101}, r"clip_percentile must be in \(0, 100\]"),
    ],
)
def test_map_validation(attributions, kwargs, message):
    with pytest.raises(ValueError, match=message):
        attribution_map(attributions, **kwargs)


def test_map_needs_channels():
    with pytest.raises(ValueError, match=r"shape \(height, width, channels\), got \(4, 4\)"):
        attribution_map(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"shape \(height, width, channels\), got \(4, 4\)"):
        attribution_mask(np.zeros((4, 4)))


def test_the_mask_keeps_the_attributions_dtype(attributions):
    mask = attribution_mask(tf.constant(attributions, tf.float32))
    assert mask.dtype == np.float32 and mask.shape == (10, 10)
    np.testing.assert_allclose(mask, np.abs(attributions).sum(axis=-1), rtol=1e-6)


@pytest.mark.parametrize("mode", VISUALIZATION_MODES)
@pytest.mark.parametrize("overlay", [False, True])
def test_visualize_returns_a_figure_with_the_mode_colormap(attributions, rng, mode, overlay):
    image = rng.uniform(size=(10, 10, 3))
    fig = visualize_attributions(attributions, image, mode=mode, overlay=overlay)
    assert isinstance(fig, Figure)
    shown = fig.axes[0].images[-1]
    assert shown.get_cmap().name == DEFAULT_COLORMAPS[mode]
    assert len(fig.axes[0].images) == (2 if overlay else 1)
    low, high = shown.get_clim()
    if mode == "signed":
        assert low == -high


def test_visualize_into_given_axes(attributions):
    fig, ax = plt.subplots()
    assert visualize_attributions(attributions, ax=ax, cmap="magma", colorbar=False) is fig
    assert ax.images[0].get_cmap().name == "magma"


def test_overlay_needs_the_image(attributions):
    with pytest.raises(ValueError, match="overlay=True needs the image"):
        visualize_attributions(attributions, overlay=True)


def test_grid_has_one_titled_panel_per_entry(attributions, rng):
    image = rng.uniform(size=(10, 10, 3))
    fig = plot_attribution_grid({"a": attributions, "b": -attributions}, image, mode="signed")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["Image", "a", "b"]
    with pytest.raises(ValueError, match="panels is empty"):
        plot_attribution_grid({})


def test_averaged_attributions_figure_ends_with_the_spread(linear_model, rng):
    image = tf.constant(rng.uniform(size=(4, 5, 3)), tf.float32)
    averaged = integrated_gradients_over_baselines(
        linear_model, image, 0, ["uniform"] * 3, m_steps=2
    )
    fig = plot_averaged_attributions(averaged, image, max_members=2)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["Image", "uniform (seed 0)", "uniform (seed 1)", "mean of 3", "std across 3"]


def test_convergence_plot_is_log_log(conv_net, small_image):
    study = convergence_study(conv_net, small_image, 0, methods=("trapezoid",), steps=(4, 8))
    auto = integrated_gradients(conv_net, small_image, 0, m_steps="auto")
    fig = plot_convergence(study, auto, tolerance=0.01)
    left, right = fig.axes
    assert left.get_xscale() == right.get_xscale() == "log"
    assert left.get_yscale() == right.get_yscale() == "log"
    labels = [line.get_label() for line in right.get_lines()]
    assert "riemann_trapezoid" in labels and "auto: L2 vs reference" in labels
    assert isinstance(plot_convergence(auto=auto, x="steps"), Figure)


def test_convergence_plot_validation(conv_net, small_image):
    fixed = integrated_gradients(conv_net, small_image, 0, m_steps=4)
    with pytest.raises(ValueError, match="give a convergence study"):
        plot_convergence()
    with pytest.raises(ValueError, match="computed with a fixed m_steps"):
        plot_convergence(auto=fixed)


def test_refinement_plot_shows_nodes_by_round_intervals_and_cost(conv_net, small_image):
    from ig_tutorial import plot_refinement

    auto = integrated_gradients(conv_net, small_image, 0, m_steps="auto", tolerance=1e-4)
    fixed = integrated_gradients(conv_net, small_image, 0, m_steps=32)
    fig = plot_refinement(auto, fixed, title="small")
    curve, errors, cost = fig.axes[:3]
    assert curve.collections[0].get_offsets().shape == (auto.num_evaluations, 2)
    np.testing.assert_array_equal(curve.collections[0].get_array(), auto.refinement.node_rounds)
    assert errors.get_yscale() == "log"
    assert [patch.get_height() for patch in cost.patches] == [auto.num_evaluations, 33]
    assert [label.get_text() for label in cost.get_xticklabels()] == ["auto", "fixed 32"]
    assert fig._suptitle.get_text() == "small"
    with pytest.raises(ValueError, match="computed with a fixed m_steps"):
        plot_refinement(fixed)


def test_plot_completeness_vs_steps_draws_one_sorted_line_per_image(conv_net, small_image):
    from ig_tutorial import integrated_gradients, plot_completeness_vs_steps

    runs = [integrated_gradients(conv_net, small_image, 1, m_steps=m) for m in (16, 2, 8)]
    figure = plot_completeness_vs_steps({"a": runs, "b": runs[:2]}, tolerance=0.05)
    ax = figure.axes[0]
    lines = [line for line in ax.get_lines() if line.get_label() in ("a", "b")]
    assert [line.get_label() for line in lines] == ["a", "b"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [3, 9, 17])
    expected = sorted(runs, key=lambda r: r.num_evaluations)
    np.testing.assert_allclose(
        lines[0].get_ydata(), [r.relative_completeness_error for r in expected]
    )
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert any(line.get_label() == "5%" for line in ax.get_lines())


def test_tutorial_figure_can_clip_its_mask_and_stays_faithful_by_default():
    from ig_tutorial import plot_img_attributions

    image = np.full((8, 8, 3), 0.5, np.float32)
    attributions = np.zeros((8, 8, 3), np.float32)
    attributions[..., 0] = np.linspace(0.0, 1.0, 64).reshape(8, 8)
    attributions[0, 0, 0] = 1000.0  # one outlier would paint the rest of the mask black
    faithful = plot_img_attributions(image, 0 * image, attributions)
    clipped = plot_img_attributions(image, 0 * image, attributions, clip_percentile=90)
    tutorial_mask = np.asarray(faithful.axes[2].images[0].get_array())
    clipped_mask = np.asarray(clipped.axes[2].images[0].get_array())
    assert tutorial_mask.max() == 1000.0  # the tutorial's own scaling, untouched
    assert clipped_mask.max() == pytest.approx(np.percentile(tutorial_mask, 90))
    # Below the clip nothing changes; the outlier no longer sets the colour scale.
    assert clipped_mask[4, 4] == tutorial_mask[4, 4]
    with pytest.raises(ValueError, match=r"clip_percentile must be in \(0, 100\]"):
        plot_img_attributions(image, 0 * image, attributions, clip_percentile=0)


def test_grayscale_images_are_drawn_in_grey(rng):
    # matplotlib refuses an (8, 8, 1) array; a one-channel digit is drawn as a grey picture.
    digit = rng.uniform(size=(8, 8, 1))
    figure = plot_img_attributions(digit, 0 * digit, rng.normal(size=(8, 8, 1)))
    original = figure.axes[1].images[0]
    assert original.get_array().shape == (8, 8) and original.get_cmap().name == "gray"
    grid = plot_attribution_grid({"signed": rng.normal(size=(8, 8, 1))}, digit, mode="signed")
    assert grid.axes[0].images[0].get_array().shape == (8, 8)
    assert plot_images({"digit": digit}).axes[0].images[0].get_cmap().name == "gray"
    plt.close("all")


def test_feature_attributions_show_the_largest_first(rng):
    names = [f"feature {i}" for i in range(6)]
    values = np.array([0.1, -0.5, 0.02, 0.3, -0.01, 0.0])
    figure = plot_feature_attributions({"sample": values, "twice": 2 * values}, names, top_k=3)
    assert [ax.get_title() for ax in figure.axes] == ["sample", "twice"]
    labels = [tick.get_text() for tick in figure.axes[0].get_yticklabels()]
    assert labels == ["feature 0", "feature 3", "feature 1"]  # barh draws the first at the bottom
    widths = [bar.get_width() for bar in figure.axes[0].patches]
    assert widths == pytest.approx([0.1, 0.3, -0.5])
    plt.close(figure)


@pytest.mark.parametrize(
    ("panels", "kwargs", "message"),
    [
        ({}, {}, "panels is empty"),
        ({"a": np.zeros(5)}, {}, r"shape \(5,\); expected \(6,\), one per name"),
        ({"a": np.zeros(6)}, {"top_k": 0}, "top_k must be a positive integer, got 0"),
    ],
)
def test_feature_attributions_validation(panels, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_feature_attributions(panels, [str(i) for i in range(6)], **kwargs)


def test_sequence_attributions_draw_each_channel_over_time_and_shade_the_window(rng):
    sequence, attributions = rng.normal(size=(40, 2)), rng.normal(size=(40, 2))
    figure = plot_sequence_attributions(
        sequence, attributions, channel_names=["x", "y"], window=slice(15, 21), title="t"
    )
    top, bottom = figure.axes
    assert (top.get_title(), bottom.get_title()) == ("input", "attribution")
    assert figure._suptitle.get_text() == "t"
    assert [line.get_label() for line in top.get_lines()] == ["x", "y"]
    np.testing.assert_array_equal(top.get_lines()[1].get_ydata(), sequence[:, 1])
    np.testing.assert_array_equal(bottom.get_lines()[0].get_ydata(), attributions[:, 0])
    for ax in (top, bottom):
        (span,) = ax.patches
        assert span.get_x() == 14.5 and span.get_width() == 6  # steps 15 to 20
    one_channel = plot_sequence_attributions(sequence[:, 0], attributions[:, 0])
    assert [line.get_label() for line in one_channel.axes[0].get_lines()] == ["channel 0"]
    plt.close("all")


@pytest.mark.parametrize(
    ("sequence", "kwargs", "message"),
    [
        (np.zeros((5, 2)), {}, r"sequence \(5, 2\) and attributions \(5, 3\) must have one shape"),
        (np.zeros((5, 3)), {"channel_names": ["a"]}, "1 names for 3 channels"),
    ],
)
def test_sequence_attributions_validation(sequence, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_sequence_attributions(sequence, np.zeros((5, 3)), **kwargs)


def test_randomization_figures_have_a_row_per_method_and_a_column_per_step(rng):
    from types import SimpleNamespace

    from ig_tutorial import plot_randomization_maps, plot_rank_correlations

    check = SimpleNamespace(
        steps=("original", "logits"),
        attributions={name: [rng.normal(size=(6, 6, 3)) for _ in range(2)] for name in "ab"},
        rank_correlations={"a": [1.0, 0.25], "b": [1.0, 0.5]},
        signed_rank_correlations={"a": [1.0, -0.25], "b": [1.0, 0.0]},
        threshold=0.4,
    )
    image = tf.constant(rng.uniform(size=(6, 6, 3)), tf.float32)
    maps = plot_randomization_maps(check, image, cmap="magma")
    titles = [ax.get_title() for ax in maps.axes]
    assert titles == [
        "Image", "original\n|rank| 1.00", "logits\n|rank| 0.25",
        "Image", "original\n|rank| 1.00", "logits\n|rank| 0.50",
    ]  # fmt: skip
    assert [text.get_text() for ax in maps.axes for text in ax.texts] == ["a", "b"]
    assert maps.axes[1].images[0].get_cmap().name == "magma"
    left, right = plot_rank_correlations(check).axes
    assert [line.get_label() for line in left.get_lines()][:3] == ["a", "b", "threshold"]
    np.testing.assert_array_equal(right.get_lines()[0].get_ydata(), [1.0, -0.25])
