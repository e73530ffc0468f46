"""python -m lib.lectures: the registry's summary, claims per lecture and per verdict."""
from lib.lectures import summary

print(summary())
