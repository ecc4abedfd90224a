"""The benchmark suite run by `gcexport bench` (not part of the installed package, never in the tests)."""
