"""Analyses of benchmarks and proxies."""
