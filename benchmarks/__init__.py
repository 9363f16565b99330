"""Benchmarks of Integrated Gradients implementations (run ``python -m benchmarks.run_benchmark``).

Not part of the installed package and not a timed test: the scripts here print and write figures
that are reported in ``docs/benchmarks.md``.
"""
