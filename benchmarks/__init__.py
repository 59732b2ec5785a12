"""Benchmarks: scripts that print tables measured side by side in one run (not tests)."""
