"""Local stand-ins for the external systems, for tests, benchmarks and the demo."""
