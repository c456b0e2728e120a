"""The live kitchen ticket board: websocket endpoint, fan-out across workers, the screen."""
