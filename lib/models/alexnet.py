"""AlexNet (Krizhevsky, Sutskever & Hinton, 2012)."""
