"""Pure optimisation and geography: street network, travel times, dispatcher, simulator.

Nothing here imports the web framework or the database layer: plain data in, plain data out.
"""
