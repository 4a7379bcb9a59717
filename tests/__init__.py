"""Tests of UniFi Scanner."""
