"""Plan, state, executors, quarantine and progress: the only package that knows every stage.

Not built yet: see the build issue.
"""
