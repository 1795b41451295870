"""The improvement backlog: one list per organisation of what to fix, worst and easiest first,
fed by audit findings and by what the surveys keep saying.

May import: audits, analytics, events, core, models, extensions.
"""
