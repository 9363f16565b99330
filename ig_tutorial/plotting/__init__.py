"""Figures: the last step of the data flow, attributions -> picture.

One module per topic, each taught in the notebooks its docstring names;
:mod:`~ig_tutorial.plotting.tutorial_figures` also holds the helpers every figure shares
(``docs/architecture.md`` maps the modules).
"""
