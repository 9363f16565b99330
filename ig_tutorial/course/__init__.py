"""The course kit: the exercises' self-checks and markup, the student and instructor sets.

The notebooks import the self-checks from :mod:`ig_tutorial`; ``docs/instructors.md`` is the
instructor's guide.
"""
