"""The dispatcher worker: snapshot the database, solve, write the rounds back."""
