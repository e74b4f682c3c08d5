"""Benchmarks: index build, search CPU, HTTP throughput and memory on real Swedish text."""
