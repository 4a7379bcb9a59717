"""UniFi Scanner's pure core: gateway client, models, analysis engine and reports.

Nothing in this package imports Home Assistant; the integration, the CLI and the benchmark share it.
"""
