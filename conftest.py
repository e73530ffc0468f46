"""Tests are deterministic wherever they run: the offline dataset and the smoke budget."""
import os

os.environ.setdefault("COURSE_DATA", "offline")
os.environ.setdefault("COURSE_BUDGET", "smoke")
