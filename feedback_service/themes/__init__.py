"""Themes: what customers talk about at a touchpoint, found in its comments by a job and stored.

``clustering`` is the method, pure (TF-IDF and NMF from scikit-learn, nothing downloaded),
``store`` replaces a touchpoint's stored themes and counts any period's figures from them
(``touchpoint_themes`` for the API and console, ``top_themes`` for the journey report), and
``jobs`` are the worker's: one touchpoint's refresh and the sweep that finds those due.

May import: core, models, extensions, config.
"""
