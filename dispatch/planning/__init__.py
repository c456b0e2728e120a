"""Planning: the problem and plan types, the rules of a round, the compiled search, the
OR-Tools model and the solve entry point.

Reads geography only; imports nothing of the simulator (tests/test_layers.py)."""
