"""Tests are deterministic wherever they run: the offline dataset and the smoke budget.

OpenMP threads sleep instead of spinning while they wait (read when torch starts, so set here,
before any test imports it; notebook kernels inherit it): on a CPU shared with other
processes, spinning threads that wait for a descheduled peer made training 7-10 times slower.
"""
import os

os.environ.setdefault("COURSE_DATA", "offline")
os.environ.setdefault("COURSE_BUDGET", "smoke")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
