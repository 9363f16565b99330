"""The course kit: exercises with self-checks in the notebooks, and student and instructor sets.

- :mod:`~ig_tutorial.course.self_checks` — what the notebooks' self-check cells call: a pass
  line, or an :class:`AssertionError` whose message is the hint;
- :mod:`~ig_tutorial.course.markup` — finding exercises in a notebook by nbgrader's markup and
  checking it against nbgrader's metadata schema;
- :mod:`~ig_tutorial.course.export` — writing the student set (solutions replaced by stubs) and
  the instructor set (``ig-tutorial course``); needs the ``[run]`` extra.

Machinery around the lesson, except the self-checks, which the notebooks import from
:mod:`ig_tutorial`. ``docs/instructors.md`` is the instructor's guide.
"""
