"""The benchmark suite run by `python -m bench.run` from a source checkout (not part of the installed package, never in the tests)."""
