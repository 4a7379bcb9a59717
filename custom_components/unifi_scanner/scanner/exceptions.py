"""The scanner's exception tree: three families under one base.

Callers catch at the depth they care about: ``ScannerConnectionError`` for "try again later",
``ScannerAuthenticationError`` for "the credentials need attention", ``ScannerResponseError`` for
"the gateway answered something we cannot use".
"""

from __future__ import annotations


class ScannerError(Exception):
    """Base of every error the scanner package raises."""


class ScannerConnectionError(ScannerError):
    """The gateway could not be reached or the connection broke."""


class ScannerTimeoutError(ScannerConnectionError):
    """The gateway did not answer within the request timeout."""


class ScannerResponseError(ScannerError):
    """The gateway answered, but not with something usable."""


class ScannerAuthenticationError(ScannerResponseError):
    """The gateway rejected the credentials."""


class ScannerMfaRequiredError(ScannerAuthenticationError):
    """The account needs a second factor; a local account without MFA is required."""


class ScannerApiKeyUnsupportedError(ScannerAuthenticationError):
    """The gateway is a self-hosted Network application, which has no API keys."""


class ScannerRateLimitError(ScannerResponseError):
    """The gateway's login limit was reached; logging in again now would make it worse."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        """Keep the gateway's ``Retry-After`` hint (seconds) when it sent one."""
        super().__init__(message)
        self.retry_after = retry_after


class ScannerUnsupportedError(ScannerResponseError):
    """The endpoint does not exist on this Network version (HTTP 404)."""


class ScannerStreamRefusedError(ScannerResponseError):
    """The gateway (or a proxy before it) will not open the event stream for these credentials.

    Unlike a stream that was lost, retrying soon would not help: the live path polls instead.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        """Keep the HTTP status the upgrade was answered with, for diagnostics."""
        super().__init__(message)
        self.status = status


class RuleError(ScannerError):
    """The rule catalogue is invalid; raised at load time, never mid-scan."""
