"""Geography: street networks, snapping, travel-time matrices, paths and drawing.

Imports nothing of planning or simulation (tests/test_layers.py)."""
