"""briefing — shared code for the IS territorial-collapse briefing (Syria and Iraq, Oct–Nov 2017).

Notebooks stay thin: they call into this package, which loads and validates the curated
data, geocodes places, draws figures and assembles the HTML/PDF briefing. Every path is
resolved from the project root (see :mod:`briefing.paths`), never from the working directory.
"""
__version__ = "0.1.0"
