"""Runnable benchmark scripts (``python -m benchmarks.<name>``).

Each one warms up, times repeats, reports the median, and prints one JSON line per
configuration, with the competitor measured in the same run so the figure is a ratio.
"""
