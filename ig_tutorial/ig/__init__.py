"""The Integrated Gradients core, one concept a module, in the order of the data flow.

image + model -> baseline -> path -> gradients -> integral -> attributions:

- :mod:`~ig_tutorial.ig.baselines` — the baseline ``x'``, the "absence of signal";
- :mod:`~ig_tutorial.ig.targets` — which class to explain;
- :mod:`~ig_tutorial.ig.paths` — the straight line from ``x'`` to ``x``, and the blur path;
- :mod:`~ig_tutorial.ig.gradients` — **the one seam**: the only module that calls the model,
  one compiled gradient, batch by batch;
- :mod:`~ig_tutorial.ig.batching` — how many path points go into one model call;
- :mod:`~ig_tutorial.ig.integration_rules` — quadrature rules as data;
- :mod:`~ig_tutorial.ig.path_integral` — what every path shares: its checked ends, their
  scores, the result;
- :mod:`~ig_tutorial.ig.integrated_gradients` — :func:`integrated_gradients`, fixed steps;
- :mod:`~ig_tutorial.ig.adaptive_steps` — ``m_steps="auto"``;
- :mod:`~ig_tutorial.ig.results` — result types, completeness and L2 error;
- :mod:`~ig_tutorial.ig.path_methods` — IG along any sampled path, and Blur IG;
- :mod:`~ig_tutorial.ig.ensembles` — averages over baselines and over noise (SmoothGrad);
- :mod:`~ig_tutorial.ig.convergence` — rules and step counts against a reference;
- :mod:`~ig_tutorial.ig.pixel_maps` — one value per pixel, and where a map is clipped;
- :mod:`~ig_tutorial.ig.map_metrics` — how alike two maps are (rank correlation, SSIM);
- :mod:`~ig_tutorial.ig.sanity_checks` — the model randomisation test.
- :mod:`~ig_tutorial.ig.model_split` — a Keras model cut at a layer (used by the seam);
- :mod:`~ig_tutorial.ig.layer_attribution` — IG at a layer's output;
- :mod:`~ig_tutorial.ig.token_attribution` — one number per token, at the embedding.

Nothing here imports :mod:`ig_tutorial.plotting` or :mod:`ig_tutorial.running` (a test checks).
"""
