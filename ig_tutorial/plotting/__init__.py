"""Figures: the last step of the data flow, attributions -> picture.

- :mod:`~ig_tutorial.plotting.tutorial_figures` — the TensorFlow tutorial's figures;
- :mod:`~ig_tutorial.plotting.attribution_maps` — visualization modes, grids, averaged results;
- :mod:`~ig_tutorial.plotting.convergence_plots` — the integral's error against the steps;
- :mod:`~ig_tutorial.plotting.feature_attributions` — bar charts for tabular models.
"""
