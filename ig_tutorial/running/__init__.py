"""Running the tutorial: notebook set-up, executing notebooks in batch, and the command line.

- :mod:`~ig_tutorial.running.notebook_setup` — what every notebook does first (seeds,
  determinism, the figures folder);
- :mod:`~ig_tutorial.running.runner` — executing the notebooks with papermill (``ig-tutorial
  run``); needs the ``[run]`` extra;
- :mod:`~ig_tutorial.running.colab_forms` — the ``parameters`` cells' Colab forms (``# @param``):
  reading them, typing values into a cell as a learner would;
- :mod:`~ig_tutorial.running.cli` — the ``ig-tutorial`` command.

Machinery around the lesson: nothing in :mod:`ig_tutorial.ig` imports it.
"""
