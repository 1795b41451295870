"""The demo organisation: the online shoe shop from the articles this product comes from.

May import: every feature, core, models, extensions (it seeds through the features' own functions).
"""
