"""A finding's tally is the same whatever order its entries come in, and tallies merge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.unifi_scanner.scanner.models import LogEntry, Source
from custom_components.unifi_scanner.scanner.subjects import admin_name, site_actor
from custom_components.unifi_scanner.scanner.tally import Tally, collection_key, merged

if TYPE_CHECKING:
    import random

BASE_MS = 1_735_689_600_000


def _entry(number: int, source: Source, offset: int, name: str | None, admin: str) -> LogEntry:
    time_ms = BASE_MS + offset
    return LogEntry(
        source=source,
        id=f"{number:04d}",
        key=f"EVT_{number % 3}",
        time_ms=time_ms,
        message="m",
        device_name=name,
        client_name=name and name.upper(),
        client_mac=f"aa:00:00:00:00:{number % 4:02d}",
        raw={"admin": admin},
    )


entries = st.lists(
    st.tuples(
        st.sampled_from(list(Source)),
        st.integers(0, 5),  # few distinct times: ties are the point
        st.none() | st.sampled_from(["ap-1", "ap-2"]),
        st.sampled_from(["", "root", "admin", "ops", "guest"]),
    ),
    min_size=1,
    max_size=25,
).map(lambda rows: [_entry(n, *row) for n, row in enumerate(rows)])


def _summary(tally: Tally) -> tuple[object, ...]:
    return (
        tally.count,
        tally.first,
        tally.last,
        tally.keys,
        tally.clients(),
        tally.sole_admin(),
        tally.device_name,
        tally.client_name,
    )


def _sole(admins: set[str]) -> str | None:
    return next(iter(admins)) if len(admins) == 1 else None


def _expected(items: list[LogEntry]) -> tuple[object, ...]:
    ordered = sorted(items, key=collection_key)
    newest = max(entry.time_ms for entry in items)
    named = [entry for entry in ordered if entry.device_name]
    return (
        len(items),
        ordered[0],  # the first in collection order
        next(entry for entry in ordered if entry.time_ms == newest),  # first of the newest ms
        {entry.key for entry in items},
        str(len({site_actor(entry) for entry in items} - {""})),
        _sole({admin_name(entry) for entry in items} - {""}),
        named[-1].device_name if named else None,  # the last in collection order with one
        named[-1].client_name if named else None,
    )


@settings(max_examples=200, deadline=None)
@given(entries, st.randoms(use_true_random=False))
def test_any_order_gives_the_tally_of_collection_order(
    items: list[LogEntry], rnd: random.Random
) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    tally = Tally(shuffled[0], site=True, admins=True)
    for entry in shuffled[1:]:
        tally.add(entry)
    assert _summary(tally) == _expected(items)


@settings(max_examples=200, deadline=None)
@given(entries, st.integers(1, 24))
def test_merged_parts_equal_one_tally(items: list[LogEntry], cut: int) -> None:
    parts = [items[:cut], items[cut:]]
    tallies = []
    for part in parts:
        if part:
            tally = Tally(part[0], site=True, admins=True)
            for entry in part[1:]:
                tally.add(entry)
            tallies.append(tally)
    first = _summary(tallies[0])
    total = merged(tallies)
    assert total is not None
    assert _summary(total) == _expected(items)
    assert _summary(tallies[0]) == first  # merging copies: the parts are left as they were
    assert merged([]) is None
