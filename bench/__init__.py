"""Benchmarks and generated test material: bench/generate.py (issues), bench/run.py (timings)."""
