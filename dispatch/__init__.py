"""Pure optimisation and geography, in three layers: `geo` (street network, travel times),
`planning` (the dispatcher) and `sim` (the simulator); each reads only the ones before it.

Nothing here imports the web framework or the database layer: plain data in, plain data out.
"""
