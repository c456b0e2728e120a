"""The deterministic demo alliance used by `chaud seed --demo` and `chaud serve --demo`."""
