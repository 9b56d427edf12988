"""Synthetic population for the demo and the benchmarks: region tree, households, persons, incomes.

The generation core (`tree`, `population`, `idnumbers`, `names`, `generate`) is plain numpy/polars and
never imports Django, so it runs in the benchmark scripts and the engine tests without settings. Every
name, ID number and phone number is made up; calibration sources are in docs/synthetic.md.
"""
