"""Customers: one person across every touchpoint and channel, so nobody repeats their story.

``identity`` finds or makes the customer an answer names; ``timeline`` lists
customers and shows one's history, answers and follow-ups alike.

May import: core, models, extensions.
"""
