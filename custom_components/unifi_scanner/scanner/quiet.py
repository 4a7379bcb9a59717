"""Mutes: "I know, stop telling me" for one finding, one subject of a rule, or a whole rule.

A muted finding is still analysed and listed (under "Muted", with the reason and the expiry) but
never counted, notified, announced or held against the Problem sensor. Mutes expire by
themselves; ``split_muted`` tells which ended, so the report can say so once.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from .sanitize import clean

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .models import Finding

FINDING_ID_RE: Final = re.compile(r"^[a-z][a-z0-9_]*\.[0-9a-f]{10}$")
REASON_MAX: Final = 200
SUBJECT_MAX: Final = 100
_MAC_RE = re.compile(r"^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$")
# Groups of one or two letters or digits between colons or dashes: meant as a MAC address.
_MAC_LIKE_RE = re.compile(r"^[0-9a-z]{1,2}(?:[:-][0-9a-z]{1,2}){3,}$")


def normalize_subject(text: str) -> str:
    """Return a subject as findings carry it (MAC with colons, canonical IP, name lower-case).

    Raises:
        ValueError: the text looks like a MAC address but is not one.

    """
    value = clean(text, max_len=SUBJECT_MAX).lower()
    if _MAC_RE.match(value):
        digits = re.sub(r"[:-]", "", value)
        return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    if _MAC_LIKE_RE.match(value):
        msg = f"{value!r} is not a MAC address"
        raise ValueError(msg)
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Mute:
    """One mute: a finding id, or a rule with an optional subject; ``until`` None is forever."""

    rule_id: str
    subject: str | None = None
    finding_id: str | None = None
    until: datetime | None = None
    reason: str | None = None
    created: datetime

    @property
    def key(self) -> tuple[str, str | None, str | None]:
        """What the mute silences; a new mute of the same key replaces the old one."""
        return (self.rule_id, self.subject, self.finding_id)

    def matches(self, finding: Finding) -> bool:
        """Whether this mute silences ``finding``."""
        if self.finding_id is not None:
            return finding.finding_id == self.finding_id
        if finding.rule_id != self.rule_id:
            return False
        return self.subject is None or self.subject in _subjects(finding)

    def active(self, now: datetime) -> bool:
        """Whether the mute still holds at ``now``."""
        return self.until is None or now < self.until

    def to_dict(self) -> dict[str, Any]:
        """Serialise for the Store and for ``list_mutes`` (times ISO-8601 UTC)."""
        return {
            "rule_id": self.rule_id,
            "subject": self.subject,
            "finding_id": self.finding_id,
            "until": self.until.isoformat() if self.until else None,
            "reason": self.reason,
            "created": self.created.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Mute:
        """Rebuild from ``to_dict`` output; raise ``ValueError`` on anything malformed."""
        if not isinstance(data, dict) or not isinstance(data.get("rule_id"), str):
            msg = "a mute needs a rule_id"
            raise ValueError(msg)  # noqa: TRY004 - one error type for "unusable state"
        finding_id = data.get("finding_id")
        if finding_id is not None and not FINDING_ID_RE.match(str(finding_id)):
            msg = "malformed finding_id"
            raise ValueError(msg)
        return cls(
            rule_id=data["rule_id"],
            subject=_optional_text(data.get("subject")),
            finding_id=finding_id,
            until=_time(data.get("until")) if data.get("until") is not None else None,
            reason=_optional_text(data.get("reason")),
            created=_time(data.get("created")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Quieting:
    """What the user has said about findings: what to mute, and what was dealt with."""

    mutes: tuple[Mute, ...] = ()
    acknowledged: frozenset[str] = frozenset()


NOTHING_QUIET: Final = Quieting()


@dataclass(frozen=True, slots=True, kw_only=True)
class MutedFinding:
    """A finding that a mute silences, with that mute (for its reason and expiry)."""

    finding: Finding
    mute: Mute


def split_muted(
    findings: Iterable[Finding], mutes: Iterable[Mute], now: datetime
) -> tuple[tuple[Finding, ...], tuple[MutedFinding, ...], tuple[Mute, ...]]:
    """Split findings into (kept, muted) by the mutes active at ``now``; also return the ended.

    The first matching mute wins, most specific first: a finding id, then a subject, then a
    whole rule.
    """
    active: list[Mute] = []
    ended: list[Mute] = []
    for mute in mutes:
        (active if mute.active(now) else ended).append(mute)
    if not active:  # the usual case, at every live announcement: nothing to match
        return tuple(findings), (), tuple(ended)
    active.sort(key=lambda mute: (mute.finding_id is None, mute.subject is None))
    kept: list[Finding] = []
    muted: list[MutedFinding] = []
    for finding in findings:
        silencer = next((mute for mute in active if mute.matches(finding)), None)
        if silencer is None:
            kept.append(finding)
        else:
            muted.append(MutedFinding(finding=finding, mute=silencer))
    return tuple(kept), tuple(muted), tuple(ended)


def _subjects(finding: Finding) -> set[str]:
    """Every name a mute's subject may use for the finding's subject."""
    return {
        value.strip().lower()
        for value in (finding.subject_mac, finding.subject_ip, finding.subject_name)
        if value
    }


def _optional_text(value: Any) -> str | None:
    return None if value is None else clean(value, max_len=REASON_MAX) or None


def _time(value: Any) -> datetime:
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        msg = "a mute's time has no time zone"
        raise ValueError(msg)
    return moment.astimezone(UTC)
