"""One finding per subject of a plain rule, for at most ``SUBJECTS_PER_RULE`` subjects.

A log can name any number of subjects: alerts from a hundred thousand internet addresses,
failed sign-ins to as many made-up accounts, a broken gateway inventing device MACs. One tally
each would make memory grow with the log and bury the report under findings nobody reads.
So the subjects seen first (entries arrive newest first: the most recently active ones) get
findings of their own, and the entries of all the others add up to one more finding per rule,
about "other devices" (or clients, accounts, addresses), with their count, first and last time
and how many subjects they were. Its subject stays the same from report to report, so it can
be muted and acknowledged like any other.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Final

from .subjects import SUBJECT_KEYS, site_key
from .tally import ALL, Tally, finding
from .wording import render_template

if TYPE_CHECKING:
    from collections.abc import Container

    from .catalogue import Rule
    from .models import LogEntry
    from .subjects import Ranked

SUBJECTS_PER_RULE: Final = 200
"""Subjects of one rule that get findings of their own in one analysis."""
OTHERS_COUNTED: Final = 10_000
"""Other subjects counted one by one; from there on, the finding says "at least" this many."""

# What the other subjects of a rule are called, by the rule's subject (one, many).
_KINDS: Final = {
    "device": ("device", "devices"),
    "gateway": ("device", "devices"),
    "client": ("client", "clients"),
    "admin": ("account", "accounts"),
    "ip": ("address", "addresses"),
}
# What an others finding adds to its rule's own words (the rules' template language, with the
# kind's two forms put in first): after the title, then after the explanation.
_MORE: Final = "(and {more|# more %s|# more %s})"
_MORE_UNCOUNTED: Final = "(and at least {more} more %s)"
_TOGETHER: Final = (
    "This rule matched more than {kept} %s in this period: those seen last have findings of "
    "their own, and this one counts %s together ({count|# event|# events}); the text above is "
    "about the last of them."
)
_OTHERS: Final = "{others|the # other|the # others}"
_OTHERS_UNCOUNTED: Final = "at least {others} others"


class Distinct:
    """How many distinct values were seen: by hash, one by one up to ``OTHERS_COUNTED``.

    Past that many, ``more`` tells that the count is a lower bound ("at least").
    """

    __slots__ = ("_hashes", "more")

    def __init__(self) -> None:
        """Start with none seen."""
        self._hashes: set[int] = set()
        self.more = False

    def add(self, value: str) -> int:
        """Count ``value`` unless it was seen, or the count is full; return its hash.

        The hash is returned so that a caller keeping it too shares the one int object.
        """
        key = hash(value)
        if len(self._hashes) < OTHERS_COUNTED:
            self._hashes.add(key)
        elif key not in self._hashes:
            self.more = True
        return key

    def __len__(self) -> int:
        """Return how many were counted."""
        return len(self._hashes)


class Others:
    """The entries of a rule's subjects beyond its own findings: one tally, subjects counted."""

    __slots__ = ("seen", "tally")

    def __init__(self, entry: LogEntry, subject: str) -> None:
        """Start with the first entry of the first subject past the kept ones."""
        self.tally = Tally(entry)
        self.seen = Distinct()
        self.seen.add(subject)

    def add(self, entry: LogEntry, subject: str) -> None:
        """Count one more entry, and its subject while they are still counted."""
        self.tally.add(entry)
        self.seen.add(subject)


class BySubject:
    """One tally per subject of a plain rule: the default way a rule becomes findings."""

    __slots__ = ("_key", "_site", "others", "rule", "tallies")

    def __init__(self, rule: Rule) -> None:
        """Group ``rule``'s entries by the subject it names."""
        self.rule = rule
        self._site = rule.subject == "site"
        self._key = site_key if self._site else SUBJECT_KEYS[rule.subject]
        self.tallies: dict[str, Tally] = {}
        self.others: Others | None = None

    def add(self, _rule: Rule, entry: LogEntry) -> None:
        """Count one entry for its subject, or with the others once the subjects are many."""
        subject = self._key(entry)
        tally = self.tallies.get(subject)
        if tally is not None:
            tally.add(entry)
        elif len(self.tallies) < SUBJECTS_PER_RULE:
            self.tallies[subject] = Tally(entry, site=self._site)
        elif self.others is None:
            self.others = Others(entry, subject)
        else:
            self.others.add(entry, subject)

    def findings(self, since_ms: float = ALL, *, leave_out: Container[str] = ()) -> list[Ranked]:
        """One finding per subject whose newest entry is at ``since_ms`` or later.

        Subjects in ``leave_out`` have none: an aggregation reports them its own way.
        """
        rule = self.rule
        ranked = [
            finding(rule, tally)
            for subject, tally in self.tallies.items()
            if tally.last.time_ms >= since_ms and subject not in leave_out
        ]
        others = self.others
        if others is not None and others.tally.last.time_ms >= since_ms:
            ranked.append(
                as_others(finding(rule, others.tally), len(others.seen), kind=rule.subject)
            )
        return ranked


def newest_first(tally: Tally) -> tuple[int, str, str]:
    """Order tallies by their newest entry, newest first (ties in collection order)."""
    last = tally.last
    return -last.time_ms, last.source, last.id


def as_others(last: Ranked, subjects: int, *, kind: str) -> Ranked:
    """Make the finding about the last of ``subjects`` others say how many there were.

    ``last`` is built from all their entries together; ``kind`` is the subject whose word the
    others are called by (``_KINDS``). From ``OTHERS_COUNTED`` on, the number is "at least".
    """
    time_ms, own = last
    one, many = _KINDS[kind]
    counted = subjects < OTHERS_COUNTED
    numbers = {
        "more": str(subjects - 1),
        "others": str(subjects),
        "kept": str(SUBJECTS_PER_RULE),
        "count": str(own.count),
    }
    if counted:
        more = render_template(_MORE % (one, many), numbers) if subjects > 1 else ""
    else:
        more = render_template(_MORE_UNCOUNTED % many, numbers)
    together = render_template(
        _TOGETHER % (many, _OTHERS if counted else _OTHERS_UNCOUNTED), numbers
    )
    return time_ms, replace(
        own,
        title=f"{own.title} {more}".rstrip(),
        explanation=f"{own.explanation} {together}",
        subject_name=f"other {many}",
        subject_mac=None,
        subject_ip=None,
        others=True,
    )
