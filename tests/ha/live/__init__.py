"""The live-alerts benchmark: the real integration and a console in a process of its own."""
