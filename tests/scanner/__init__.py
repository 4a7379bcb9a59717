"""Tests of the pure scanner package."""
