"""One package per statutory procedure: its case hooks, imports, read models and rules.

Procedures import the generic runtime; the runtime never imports them. The app registers each
procedure's :class:`~workflows.procedure.Procedure` with its runtime at start.
"""
