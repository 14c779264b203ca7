"""OMS benchmarks: each figure measured beside the limit it is compared with, in the same run
on the same machine. ``python -m bench --help``."""
