"""Request and response bodies of the API (tables live in api.models)."""
