"""The methods notebook 13 compares, the loop that scores them, its table and its figures."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import tensorflow as tf

from ig_tutorial.ig.faithfulness import deletion_and_insertion, random_map
from ig_tutorial.ig.method_comparison import (
    ENSEMBLE_MEMBERS,
    compared_methods,
    gradient_times_input,
    score_methods,
    scores_table,
)
from ig_tutorial.ig.sanity_checks import gradient_attributions, image_edges
from ig_tutorial.plotting.faithfulness_plots import (
    plot_perturbation_curves,
    plot_scores_against_steps,
)
from tests.toy_models import CallCounter, CountingLinearModel, SmallConvNet

STEPS = 8
#: The model the scores are computed on. Its softmax must stay well inside (0, 1) from the black
#: image to the image: where it rounds to exactly 1.0 in float32 (seed 5 did, on some CPUs), the
#: probability's gradient vanishes, IDGI's map is all zero and the scoring refuses it.
MODEL_SEED = 145


def assert_not_saturated(model, image):
    """Every class's probability in [1e-3, 0.999] on the straight line from black to the image."""
    path = tf.linspace(0.0, 1.0, 9)[:, None, None, None] * image[None]
    probabilities = tf.nn.softmax(model(path), axis=-1).numpy()
    assert 1e-3 <= probabilities.min() and probabilities.max() <= 0.999, probabilities


@pytest.fixture(scope="module")
def image():
    return tf.constant(np.random.default_rng(4).uniform(size=(8, 8, 3)), tf.float32)


@pytest.fixture(scope="module")
def model(image):
    model = SmallConvNet(num_classes=4, seed=MODEL_SEED)
    assert_not_saturated(model, image)
    return model


@pytest.fixture(scope="module")
def scored(model, image):
    return score_methods(model, image, "top-1", compared_methods(STEPS))


def test_eleven_methods_with_the_controls_last(model, image):
    methods = compared_methods(STEPS)
    names = list(methods)
    assert len(names) == 11
    assert names[-2:] == ["Random (control)", "Edges (control)"]
    assert {"Guided IG", "IDGI", "Blur IG", "SmoothGrad-IG", "IG, black baseline"} <= set(names)
    for name, method in methods.items():
        attributions = np.asarray(method(model, image, 1))
        assert attributions.shape == (8, 8, 3), name
        assert np.all(np.isfinite(attributions)), name


def test_every_path_method_gets_the_same_budget_of_gradient_evaluations(image):
    """steps + 1 evaluations (the ensembles: ENSEMBLE_MEMBERS x (steps / members + 1)), give or
    take the two ends' forward pass; the gradient methods take one."""
    budget = {}
    for name, method in compared_methods(STEPS).items():
        model = CallCounter(CountingLinearModel(height=8, width=8, num_classes=3, seed=1))
        method(model, image, 1)
        budget[name] = int(model.images_seen.numpy())
    members = ENSEMBLE_MEMBERS * (STEPS // ENSEMBLE_MEMBERS + 1)
    assert budget["Gradient"] == budget["Gradient x input"] == 1
    assert budget["Random (control)"] == budget["Edges (control)"] == 0
    for name in ("IG, black baseline", "IG, blurred baseline", "Blur IG", "IDGI", "Guided IG"):
        assert STEPS <= budget[name] <= STEPS + 3, (name, budget[name])
    for name in (f"IG, {ENSEMBLE_MEMBERS} uniform baselines", "SmoothGrad-IG"):
        assert members <= budget[name] <= members + 2 * ENSEMBLE_MEMBERS, (name, budget[name])


def test_gradient_times_input_is_the_gradient_of_the_probability_times_the_image(image):
    model = CountingLinearModel(height=8, width=8, num_classes=3, seed=1)
    expected = gradient_attributions(model, image, 2, output="probability") * image.numpy()
    np.testing.assert_allclose(gradient_times_input(model, image, 2), expected, rtol=1e-6)


def test_the_controls_ignore_the_model(image):
    methods = compared_methods(STEPS, seed=3)
    first, second = SmallConvNet(num_classes=4, seed=1), SmallConvNet(num_classes=4, seed=2)
    for name in ("Random (control)", "Edges (control)"):
        np.testing.assert_array_equal(
            methods[name](first, image, 0), methods[name](second, image, 3)
        )
    np.testing.assert_allclose(
        methods["Random (control)"](first, image, 0).sum(axis=-1), random_map(image, 3), rtol=1e-6
    )
    np.testing.assert_array_equal(
        methods["Edges (control)"](first, image, 0), image_edges(first, image, 0)
    )


def test_scores_are_the_curves_of_each_map(model, image, scored):
    assert [score.method for score in scored] == list(compared_methods(STEPS))
    for score in scored[:3]:
        target = int(tf.argmax(model(image[None])[0]))
        deletion, insertion = deletion_and_insertion(model, image, target, score.attributions)
        np.testing.assert_allclose(score.deletion.probabilities, deletion.probabilities, rtol=1e-6)
        assert score.insertion.auc == pytest.approx(insertion.auc, rel=1e-6)
        assert score.seconds >= 0 and score.scoring_seconds >= 0
        assert score.area("deletion") == score.deletion.auc
        assert score.area("insertion") == score.insertion.auc
        with pytest.raises(ValueError, match=r"metric must be one of .*got 'SIC'"):
            score.area("SIC")  # the information curves are the benchmark's


def test_the_table_marks_the_best_of_each_column(scored):
    table = scores_table(scored)
    lines = table.splitlines()
    assert len(lines) == len(scored) + 1 and lines[0].rstrip().endswith("seconds")
    best_deletion = min(scored, key=lambda score: score.deletion.auc)
    best_insertion = max(scored, key=lambda score: score.insertion.auc)
    row = next(line for line in lines if line.startswith(best_deletion.method + " "))
    assert f"{best_deletion.deletion.auc:>16.3f}*" in row
    row = next(line for line in lines if line.startswith(best_insertion.method + " "))
    assert f"{best_insertion.insertion.auc:>16.3f}*" in row
    assert sum(line.count("*") for line in lines) >= 2
    assert "seconds" not in scores_table(scored, seconds=False)
    assert "insertion" not in scores_table(scored, ("deletion",))


def test_the_curves_figure_draws_one_line_per_method_and_panel(scored):
    figure = plot_perturbation_curves(scored, title="toy")
    deletion, insertion = figure.axes
    assert len(deletion.lines) == len(insertion.lines) == len(scored)
    styles = [line.get_linestyle() for line in deletion.lines]
    assert styles[-2:] == ["--", ":"] and set(styles[:-2]) == {"-"}  # the controls, told apart
    plt.close(figure)
    with pytest.raises(ValueError, match="scores is empty"):
        plot_perturbation_curves([])


def test_the_steps_figure_checks_its_lengths():
    figure = plot_scores_against_steps([4, 8, "auto"], [0.3, 0.2, 0.2], [0.5, 0.6, 0.6])
    assert [tick.get_text() for tick in figure.axes[0].get_xticklabels()] == ["4", "8", "auto"]
    plt.close(figure)
    with pytest.raises(ValueError, match="got 3, 2, 3."):
        plot_scores_against_steps([4, 8, 16], [0.3, 0.2], [0.5, 0.6, 0.7])
    figure = plot_scores_against_steps(
        [4, 8], [0.3, 0.2], [0.5, 0.6], completeness_errors=[0.2, 0.01]
    )
    assert len(figure.axes) == 2 and figure.axes[1].get_yscale() == "log"
    plt.close(figure)
    with pytest.raises(ValueError, match="got 2, 2, 2 and 1"):
        plot_scores_against_steps([4, 8], [0.3, 0.2], [0.5, 0.6], completeness_errors=[0.2])


def test_a_bad_step_count_is_refused():
    with pytest.raises(ValueError, match="steps"):
        compared_methods(0)
