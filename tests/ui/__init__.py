"""Browser walk of the real Home Assistant frontend with the integration (see scripts/test-ui).

Nothing here is collected by pytest: the walk needs Chromium and a running Home Assistant.
"""
