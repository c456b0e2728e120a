"""Business logic: functions that take a session and plain values, free of HTTP."""
