"""Simulation: the engine, its policies, metrics and report, scenarios' worlds, the MDRP
format and the team-size search. Built on planning and geography."""
