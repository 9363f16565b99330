"""Running the tutorial: notebook set-up, executing the notebooks in batch, the command line.

Machinery around the lesson: nothing in :mod:`ig_tutorial.ig` imports it.
"""
