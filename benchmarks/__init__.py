"""Benchmarks for zaisei at national scale (issue 7).

``python -m benchmarks generate`` writes synthetic source folders in exactly
the ``sources/`` format; ``python -m benchmarks run`` builds them, serves them
with our endpoint and with the engines people would pick instead, and prints
one table measured in one run. Nothing here is a project dependency: the
comparison engines are installed by ``python -m benchmarks setup``.
"""
