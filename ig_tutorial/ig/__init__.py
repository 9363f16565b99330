"""The Integrated Gradients core, one concept a module, in the order of the data flow.

image + model -> baseline -> path -> gradients (the one seam, :mod:`~ig_tutorial.ig.gradients`)
-> integral -> attributions. ``docs/architecture.md`` maps every module and draws the road from
:func:`~ig_tutorial.ig.integrated_gradients.integrated_gradients` to the gradient tape. Nothing
here imports :mod:`ig_tutorial.plotting` or :mod:`ig_tutorial.running` (a test checks).
"""
