"""Home Assistant tests: the integration against the gateway simulator."""
