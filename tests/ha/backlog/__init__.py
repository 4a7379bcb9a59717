"""A day's backlog through the real integration: the structure test and the benchmark."""
