"""gcexport."""
