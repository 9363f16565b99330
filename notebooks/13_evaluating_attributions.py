# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 13. Evaluating attributions: is a map faithful?
#
# [![Open In Colab][badge]][colab]
#
# Notebooks 6 to 9 drew Integrated Gradients next to SmoothGrad-IG, Blur IG and other
# baselines and said which map *looks* better; notebook 11 asked whether a map depends on the
# model at all. Neither asks whether a map is **faithful**: whether the pixels it ranks first
# are the ones the model's score depends on. This notebook measures that, by asking the model
# itself: remove the pixels in the map's order and watch the score fall. It then scores eleven
# methods on an equal budget of model calls, two of them new (Guided IG and IDGI), and ends
# with what such scores cannot tell.
#
# [badge]: https://colab.research.google.com/assets/colab-badge.svg
# [colab]: https://colab.research.google.com/github/ig-tutorial/ig-tutorial/blob/v0.1.0/notebooks/13_evaluating_attributions.ipynb

# %% [markdown]
# ## Learning objectives
#
# *Estimated time: 30 minutes.*
#
# After this notebook you can:
#
# - Explain the deletion and insertion metrics (Petsiuk et al., 2018) and compute one by hand.
# - Read a deletion or insertion curve and the area that scores it.
# - Compare attribution methods fairly: the same image, target, score and number of model calls.
# - Say what Guided IG and IDGI change in Integrated Gradients.
# - Name what the metrics themselves are biased by (the substrate that replaces the pixels) and
#   why a good score does not replace the sanity checks of notebook 11.

# %% [markdown]
# On Colab, the next cell installs the `ig_tutorial` package (TensorFlow, `tf_keras` and
# `tensorflow-hub` are preinstalled and kept). Elsewhere it does nothing.

# %%
import subprocess
import sys

if "google.colab" in sys.modules:
    package = "git+https://github.com/ig-tutorial/ig-tutorial@v0.1.0"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", package], check=True)

# %% [markdown]
# ## Parameters
#
# Named as in every notebook (explained in [notebook 1](01_setup_and_classification.ipynb)). The
# notebook explains the first image of `IMAGES`. Every path method gets `M_STEPS // 4` steps:
# the metrics need the order of the pixels, not a small completeness error, and eleven methods
# must fit in a lesson. `PIXELS_PER_STEP` is how many pixels each step of a curve deletes or
# inserts: RISE's reference uses one image row (224), eight rows give the same areas to about
# 0.01 at an eighth of the forward passes (measured in `docs/benchmarks.md`).

# %% tags=["parameters"]
MODEL = "https://tfhub.dev/google/imagenet/inception_v1/classification/4"  # @param ["https://tfhub.dev/google/imagenet/inception_v1/classification/4", "efficientnet-lite0"] {allow-input: true}
IMAGES = {"Fireboat": "Fireboat", "Giant Panda": "Giant Panda"}
TARGETS = {"Fireboat": "fireboat", "Giant Panda": "giant panda"}
M_STEPS = 240  # @param {type:"slider", min:16, max:512, step:16}
CMAP = "inferno"  # @param ["inferno", "magma", "viridis", "gray", "hot"]
OUTPUT_DIR = "outputs"
TOLERANCE = 0.01  # @param {type:"slider", min:0.005, max:0.1, step:0.005}
PIXELS_PER_STEP = 1792

# %% tags=["nbval-ignore-output"]
import numpy as np

from ig_tutorial import (
    check_curve_area,
    check_deleted_pixels,
    compared_methods,
    deletion_and_insertion,
    deletion_curve,
    guided_integrated_gradients,
    idgi,
    integrated_gradients,
    load_model,
    plot_attribution_grid,
    plot_perturbation_curves,
    plot_scores_against_steps,
    random_map,
    read_image,
    resolve_target,
    save_figure,
    score_methods,
    scores_table,
    setup_notebook,
    target_scores,
)

output_dir = setup_notebook(OUTPUT_DIR)

# %% tags=["nbval-ignore-output"]
model = load_model(MODEL)

# %%
title, source = next(iter(IMAGES.items()))
image = read_image(source, size=model.input_size)
target = resolve_target(model, image, TARGETS[title])
print(f"{title}: {model.predict_top_k(image)[0][1]} (target {TARGETS[title]}, class {target})")

# %% [markdown]
# ## Deleting what the map ranks first
#
# Start from the map of [notebook 6](06_visualization.ipynb): Integrated Gradients from the
# black baseline, attributing the target's probability. Add the three colour channels of each
# pixel to get one number per pixel, and rank the pixels by it, largest first: the pixels that
# raised the probability most come first, those that lowered it come last.
#
# If the map is faithful, deleting its first pixels (setting them to black) should hurt the
# model's confidence far more than deleting as many pixels at random.

# %%
ig = integrated_gradients(model, image, target, m_steps=M_STEPS // 4)
print(ig.completeness_report())

# %% [markdown]
# ### Exercise 13.1: delete the top 10%
#
# Make `deleted`: a copy of `image` in which the 10% of the pixels with the largest channel
# sum of `ig.attributions` are black (all three channels 0), every other pixel unchanged.

# %% nbgrader={"grade": false, "grade_id": "ex13_1", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: one number per pixel is a sum over the last axis; np.argsort sorts ascending, and
# np.unravel_index turns positions in the flattened map back into (row, column) pairs.
deleted = None
### BEGIN SOLUTION
per_pixel = np.asarray(ig.attributions).sum(axis=-1)
count = int(0.1 * per_pixel.size)
rows, columns = np.unravel_index(np.argsort(-per_pixel, axis=None)[:count], per_pixel.shape)
deleted = np.array(image)
deleted[rows, columns, :] = 0.0
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex13_1_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_deleted_pixels(deleted, image, ig.attributions, fraction=0.1)

# %% [markdown]
# The same number of pixels chosen at random, for comparison:

# %%
random_order = random_map(image, seed=0)  # one random value a pixel
at_random = random_order >= np.quantile(random_order, 0.9)
pictures = {
    "the image": image,
    "IG's top 10% deleted": deleted,
    "10% at random deleted": np.where(at_random[..., None], 0.0, image),
}
probabilities = target_scores(model(np.stack(list(pictures.values()))), target, "probability")
for name, probability in zip(pictures, probabilities.numpy(), strict=True):
    print(f"{name:>22}: P({TARGETS[title]}) = {probability:.3f}")

# %% [markdown]
# ## Deletion and insertion curves
#
# Petsiuk, Das & Saenko (2018, "RISE", BMVC, arXiv:1806.07421) turn that experiment into a
# curve. **Deletion** removes the ranked pixels `PIXELS_PER_STEP` at a time, from the image down
# to an all-black one, and records the target's probability after each step. **Insertion** goes
# the other way: it starts from a blurred copy of the image (no object left, colours kept) and
# puts the ranked pixels back, sharp. A faithful map makes the deletion curve fall early and
# the insertion curve rise early. Each curve is scored by the area under it, with the fraction
# of pixels from 0 to 1 on the x-axis: **lower is better for deletion, higher for insertion**.
# `deletion_and_insertion` computes both from one ranking, its forward passes in batches.

# %%
deletion, insertion = deletion_and_insertion(
    model, image, target, ig.attributions, step=PIXELS_PER_STEP
)
for curve in (deletion, insertion):
    print(
        f"{curve.kind:>9}: area {curve.auc:.3f}, probability {curve.probabilities[0]:.3f} -> "
        f"{curve.probabilities[-1]:.3f} over {len(curve.probabilities)} images"
    )

# %% [markdown]
# ### Exercise 13.2: the area under a curve
#
# The area is the trapezoid rule over the curve's points, divided by the number of steps so
# that the x-axis runs from 0 to 1: each inner point counts fully, the two ends half. Compute
# it from `deletion.probabilities` and store it in `area`.

# %% nbgrader={"grade": false, "grade_id": "ex13_2", "locked": false, "schema_version": 3, "solution": true, "task": false} tags=["hide-input"]
# Hint: with p the probabilities, (sum of all points - half of each end) / (number of steps).
area = None
### BEGIN SOLUTION
p = deletion.probabilities
area = (p.sum() - p[0] / 2 - p[-1] / 2) / (len(p) - 1)
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "ex13_2_check", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
check_curve_area(area, deletion)

# %% [markdown]
# ## Eleven methods on an equal budget
#
# `compared_methods` holds the methods of the earlier notebooks and two new ones, each a
# function `(model, image, target) -> map`, each with `M_STEPS // 4` steps (the two ensembles
# split them over 4 members), each attributing the same probability the curves record:
#
# - the plain **gradient** and **gradient x input** (one model call each);
# - **IG** from the black and from the blurred baseline, and averaged over 4 uniform-noise
#   baselines ([notebook 7](07_baselines.ipynb)); **SmoothGrad-IG** and **Blur IG**
#   ([notebook 9](09_toolkit.ipynb));
# - **Guided IG** (Kapishnikov et al., 2021, arXiv:2106.09788): instead of the straight line
#   it walks an adaptive path from the baseline, moving at each step the pixels whose gradient
#   is smallest, so that the path avoids the regions where the gradient is large and noisy;
# - **IDGI** (Yang, Wang & Bilen, 2023, arXiv:2303.14242): IG's straight line, but at each step
#   the change of the score is given to the pixels along the gradient's direction only
#   (`g_i^2 / |g|^2` of it), which drops the part of `g * step` that does not change the score;
# - two controls that know nothing about the model: a **random** map and the image's **edges**
#   ([notebook 11](11_sanity_checks.ipynb)).
#
# `score_methods` computes each map, times it, and scores it by deletion and insertion.

# %%
methods = compared_methods(M_STEPS // 4)
scores = score_methods(model, image, target, methods, step=PIXELS_PER_STEP)
print(scores_table(scores, seconds=False))

# %% [markdown]
# A `*` marks the best of each column. What each map cost, in seconds on this machine (the
# gradient takes one model call; each path method `M_STEPS // 4 + 1`, Guided IG one call per
# step since each step depends on the last):

# %% tags=["nbval-ignore-output"]
print(", ".join(f"{score.method} {score.seconds:.1f} s" for score in scores))

# %%
figure = plot_perturbation_curves(scores, title=f"{title}: {TARGETS[title]}")
save_figure(figure, output_dir, "13_curves")

# %% [markdown]
# The maps themselves, each clipped at its 99th percentile (the signed sum over the channels is
# what the metrics rank; the drawn maps are absolute, as in notebook 6):

# %%
figure = plot_attribution_grid(
    {score.method: score.attributions for score in scores}, image, cmap=CMAP, ncols=4
)
save_figure(figure, output_dir, "13_maps")

# %% [markdown]
# ## Reading the table
#
# The numbers quoted here are those of the offline profile (coffee, `ig-tutorial run
# --offline`, 64 steps a method); the table above is what this run measured.
#
# **Deletion hardly separates the methods on this photo.** The espresso's probability
# collapses, from 0.83 to about 0.01, once some 5% of the pixels are black, whichever method
# ranked them: every attribution method scores between 0.015 and 0.022, and only IDGI (0.041)
# and the two controls (0.050 random, 0.063 edges) are visibly worse. A few black patches
# on the cup are enough to break this model's espresso.
#
# **Insertion separates them.** IDGI comes first by far (0.68: with a third of its pixels
# back in the blurred photo the model is as sure as on the photo itself), then the edge
# control (0.49) and the random control (0.33); IG from black scores 0.19, and the gradient,
# gradient x input, SmoothGrad-IG and Guided IG score less. That two controls which know
# nothing about the model beat most methods is a bias of the metric, not a virtue of the
# controls: pixels sprinkled over a blurred photo, at random or along its edges, bring back
# its detail everywhere at once (more on this below).
#
# **Better than IG from black, on this photo:** on deletion only Guided IG ties it (0.015);
# on insertion IDGI (0.68), Blur IG (0.25), IG averaged over uniform baselines (0.25) and IG
# from the blurred baseline (0.24). One photo is not a verdict: the benchmark below repeats
# this on twelve.

# %% [markdown]
# ## Completeness of the two new methods
#
# Both are path methods, so their attributions should add up to `F(x) - F(x')`. IDGI does so
# by construction: each step hands out exactly the score change of that step. Guided IG sums
# gradient times step along its path, like IG, and nothing keeps that sum close to the score
# change when the path is walked in few, large steps through the region where the probability
# rises fast:

# %%
guided = guided_integrated_gradients(model, image, target, steps=M_STEPS // 4)
important = idgi(model, image, target, m_steps=M_STEPS // 4)
for name, result in {"Guided IG": guided, "IDGI": important, "IG": ig}.items():
    print(f"{name:>9}: {result.completeness_report()}")

# %% [markdown]
# At 64 steps on the offline profile, Guided IG's attributions add up to 3.84 for a score
# change of 0.83: a completeness error of 361% (the PAIR `saliency` package's Guided IG gives
# the same attributions to float rounding; the tests check it). The excess piles up early on
# its path, where the probability rises fast and each step moves a quarter of the pixels at
# once. IDGI is complete by construction, and IG is within 1.5%. Note what completeness does
# *not* say: it checks the integral, not whether the map ranks the pixels as the model uses
# them. Guided IG, far from complete, ties IG on deletion here.

# %% [markdown]
# ## How the scores move with the number of steps
#
# IG's map changes with `m_steps` until the integral has converged
# ([notebook 8](08_integration_rules_and_steps.ipynb)). Does its faithfulness? The same
# deletion and insertion areas for IG from black at `M_STEPS // 8` to `M_STEPS` fixed steps
# and with `m_steps="auto"` (tolerance `TOLERANCE`):

# %%
settings = [M_STEPS // 8, M_STEPS // 4, M_STEPS // 2, M_STEPS, "auto"]
by_steps = {M_STEPS // 4: (ig, deletion, insertion)}  # computed above
for m_steps in settings:
    if m_steps not in by_steps:
        result = integrated_gradients(model, image, target, m_steps=m_steps, tolerance=TOLERANCE)
        by_steps[m_steps] = (
            result,
            *deletion_and_insertion(
                model, image, target, result.attributions, step=PIXELS_PER_STEP
            ),
        )
    result, *curves = by_steps[m_steps]
    print(
        f"m_steps {m_steps!s:>5}: {result.num_evaluations:4d} evaluations, completeness error "
        f"{result.relative_completeness_error:6.2%}, deletion {curves[0].auc:.3f}, "
        f"insertion {curves[1].auc:.3f}"
    )

# %%
figure = plot_scores_against_steps(
    settings,
    [by_steps[m_steps][1].auc for m_steps in settings],
    [by_steps[m_steps][2].auc for m_steps in settings],
    completeness_errors=[by_steps[m_steps][0].relative_completeness_error for m_steps in settings],
    title=f"IG from black on {title}",
)
save_figure(figure, output_dir, "13_steps")

# %% [markdown]
# On the offline profile IG's areas hardly move with the step count: deletion 0.015 at every
# setting, from 32 steps (completeness error 16%) to 256 (0.12%), insertion 0.184 to 0.191,
# and `"auto"` (104 evaluations, 0.04%) the same. The *order* of the pixels, which is all the
# metrics read, settles long before the integral has converged: for ranking pixels a few dozen
# steps are enough, for trusting the attributions' sizes they are not.

# %% [markdown]
# ## What the metrics cannot tell
#
# **The substrate takes sides.** Deletion replaces pixels by black. IG from the black baseline
# gives each pixel credit in proportion to `x - x'`, its distance from black, so it is built to
# rank the pixels whose *blackening* changes the score: the metric asks the question that
# baseline answers. With a blurred substrate the ranking of the methods can change:

# %%
for score in scores[2:4]:
    blurred = deletion_curve(
        model, image, target, score.attributions, step=PIXELS_PER_STEP, substrate="blur"
    )
    print(
        f"{score.method:>22}: deletion to black {score.deletion.auc:.3f}, "
        f"to blurred {blurred.auc:.3f}"
    )

# %% [markdown]
# With a blurred substrate IG from black loses its lead: its deletion area rises from 0.015 to
# 0.17 on the offline profile, while IG from the blurred baseline stays low (0.022 to 0.031).
# Each baseline does best on the deletion whose substrate is itself. Choosing the substrate
# chooses the winner, so report it with the scores, and prefer a method that does well with
# both.
#
# **A good score is not a sanity check.** The edge control ignores the model, yet its areas
# are those of a map that ranks the object's outline first, which the model also uses: the
# metric rewards maps that follow the image's structure, whether or not they follow the model.
# Notebook 11's randomisation test asks the other question, whether a map changes when the
# model does. A method should pass both: faithful to this model, and dependent on it.
#
# **Pixels are not information.** Insertion counts pixels: a tenth of the pixels spread at
# random over the blurred photo restores its detail everywhere, and the model recognises the
# cup sooner than from a compact tenth on the cup itself. That is why the random and edge
# controls do so well on insertion here. Kapishnikov et al. (2019, XRAI) measure the curve
# against the *information* revealed instead, estimated by the image's compressed size: their
# performance information curves (SIC for the probability, AIC for the top-1 accuracy), which
# the benchmark (`benchmarks/information_curves.py`) reports beside these. And either
# way a half-deleted or half-inserted image is nothing the model was trained on: its score may
# change because the image is strange, not because the evidence is gone or back.
#
# **One image.** The table above is one photo and one target. Which method wins changes from
# photo to photo; `docs/benchmarks.md` has the same table over twelve.

# %% [markdown]
# ## Recap
#
# In this notebook you
#
# - deleted the pixels an IG map ranks first and saw the model's confidence fall faster than
#   for random pixels;
# - scored maps by the area under their deletion and insertion curves, and computed one area by
#   hand;
# - compared eleven methods on one budget of model calls, with two controls that know nothing;
# - met Guided IG and IDGI, and checked their completeness;
# - saw how the scores move with the number of steps, and what the metrics are biased by.

# %% [markdown]
# ## Where next
#
# Next: [14. Any model](14_any_model.ipynb), Integrated Gradients of sigmoid and regression heads,
# sequences and models of several inputs. To go further on evaluation:
#
# - Petsiuk, Das & Saenko, 2018, [RISE](https://arxiv.org/abs/1806.07421) (BMVC): deletion and
#   insertion.
# - Kapishnikov, Bolukbasi, Viégas & Terry, 2019, [XRAI](https://arxiv.org/abs/1906.02825)
#   (ICCV): performance information curves (AIC, SIC).
# - Kapishnikov et al., 2021, [Guided Integrated Gradients](https://arxiv.org/abs/2106.09788)
#   (CVPR); Yang, Wang & Bilen, 2023, [IDGI](https://arxiv.org/abs/2303.14242) (CVPR).
# - Hedström et al., 2023, [Quantus](https://jmlr.org/papers/v24/22-0142.html) (JMLR): some 30
#   metrics, and why they disagree.
# - The package's API reference (`docs/api.md`) and `docs/benchmarks.md`, where every method is
#   scored on twelve photos.
