"""The walk's steps: what a person does in the frontend, and what each page must then show.

Every text of the integration that the walk looks for is read from its translations/en.json,
so a wording change there cannot leave the walk checking stale text (the frontend's own words,
such as "Submit" or "Success!", are Home Assistant's English). Locators are Playwright's CSS,
text and role ones, which see inside the open shadow roots the frontend is built of.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

import yaml  # type: ignore[import-untyped]
from playwright.sync_api import (  # type: ignore[import-not-found,unused-ignore]
    TimeoutError as PlaywrightTimeoutError,
)

from .harness import LINK_BAIT, MARKER, ROOT, request

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from playwright.sync_api import (  # type: ignore[import-not-found,unused-ignore]
        Locator,
        Page,
        WebSocket,
    )

    from tests.simulator import GatewaySimulator

    from .harness import HomeAssistantProcess, Tokens

DOMAIN: Final = "unifi_scanner"
TRANSLATIONS: Final = ROOT / "custom_components" / DOMAIN / "translations" / "en.json"
ICONS: Final = ROOT / "custom_components" / DOMAIN / "icons.json"
WAIT_MS: Final = 20_000
"""How long any one thing may take to appear; the slowest (a gateway scan) takes about a second."""
NEW_SCAN_INTERVAL: Final = 90
# Elements that would mean gateway text became markup instead of text.
ACTIVE_ELEMENTS: Final = "script, img, svg, iframe, object, embed, form, input, video, audio"


class StepError(AssertionError):
    """What a step expected and did not see."""


@dataclass
class ServiceCalls:
    """Service calls the page made over its websocket, with their results.

    The frontend shows an error toast when a call fails; reading the call's own result as well
    makes "no toast" mean "the call succeeded", not "the toast had not been drawn yet".
    """

    sent: dict[int, dict[str, Any]] = field(default_factory=dict)
    results: dict[int, dict[str, Any]] = field(default_factory=dict)

    def attach(self, websocket: WebSocket) -> None:
        """Follow one websocket of the page."""
        websocket.on("framesent", lambda payload: self._frames(payload, self.sent, "call_service"))
        websocket.on("framereceived", lambda payload: self._frames(payload, self.results, "result"))

    def calls(self, domain: str, service: str) -> list[int]:
        """Ids of the calls of `domain.service` made so far."""
        return [
            ident
            for ident, message in self.sent.items()
            if message.get("domain") == domain and message.get("service") == service
        ]

    @staticmethod
    def _frames(payload: str | bytes, into: dict[int, dict[str, Any]], kind: str) -> None:
        try:
            decoded = json.loads(payload)
        except ValueError:
            return
        # Home Assistant coalesces several messages into one JSON array.
        for message in decoded if isinstance(decoded, list) else [decoded]:
            if isinstance(message, dict) and message.get("type") == kind and "id" in message:
                into[int(message["id"])] = message


@dataclass
class Walk:
    """Everything the steps share: the page, Home Assistant, the gateways and what was made."""

    page: Page
    ha: HomeAssistantProcess
    tokens: Tokens
    local_gateway: GatewaySimulator
    keyed_gateway: GatewaySimulator
    screenshots: Path
    calls: ServiceCalls
    dialogs: list[str]
    text: dict[str, Any] = field(
        default_factory=lambda: json.loads(TRANSLATIONS.read_text(encoding="utf-8"))
    )
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Config entries made by the walk, by method ("local_account", "api_key")."""

    def tr(self, *path: str) -> str:
        """Look up one string of en.json by its path of keys."""
        node: Any = self.text
        for key in path:
            node = node[key]
        return str(node)

    def goto(self, path: str) -> None:
        """Open a frontend page."""
        self.page.goto(f"{self.ha.url}{path}")

    def shot(self, name: str, *, height: int | None = None) -> str:
        """Save a screenshot under docs/screenshots (or --screenshots) and return its name.

        Transitions are finished first, so a dialog is never caught half faded in. The
        frontend scrolls inside its own panels, so a long page needs a taller window (`height`)
        rather than a full-page shot.
        """
        self.screenshots.mkdir(parents=True, exist_ok=True)
        with taller(self.page, height) if height is not None else contextlib.nullcontext():
            self.page.screenshot(path=str(self.screenshots / name), animations="disabled")
        return name

    def rest(self, method: str, path: str) -> Any:
        """One REST call to Home Assistant as the owner."""
        return request(method, f"{self.ha.url}{path}", token=self.tokens.access_token)

    def ws(self, command: dict[str, Any]) -> Any:
        """One websocket command to Home Assistant as the owner."""
        return self.ha.websocket(self.tokens.access_token, command)


@contextlib.contextmanager
def taller(page: Page, height: int) -> Iterator[None]:
    """Make the window `height` pixels tall for a while: the frontend scrolls inside panels."""
    size = page.viewport_size
    if size is None:
        yield
        return
    page.set_viewport_size({"width": size["width"], "height": height})
    try:
        yield
    finally:
        page.set_viewport_size(size)


def shown(locator: Locator, what: str, timeout: float = WAIT_MS) -> Locator:
    """Wait until `locator` is visible; fail naming `what` instead of a CSS path."""
    try:
        locator.first.wait_for(state="visible", timeout=timeout)
    except PlaywrightTimeoutError as err:
        msg = f"{what} was not shown within {timeout / 1000:.0f} s"
        raise StepError(msg) from err
    return locator.first


def gone(locator: Locator, what: str, timeout: float = WAIT_MS) -> None:
    """Wait until `locator` is hidden or detached; fail naming `what`."""
    try:
        locator.first.wait_for(state="hidden", timeout=timeout)
    except PlaywrightTimeoutError as err:
        msg = f"{what} was still shown after {timeout / 1000:.0f} s"
        raise StepError(msg) from err


def check(condition: object, message: str) -> None:
    """Fail the step with `message` unless `condition` holds."""
    if not condition:
        raise StepError(message)


def until[T](probe: Callable[[], T | None], what: str, timeout: float = WAIT_MS) -> T:
    """Poll `probe` (a REST or websocket read) until it returns something; fail naming `what`."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        if (found := probe()) is not None:
            return found
        if time.monotonic() > deadline:
            msg = f"{what} did not happen within {timeout / 1000:.0f} s"
            raise StepError(msg)
        time.sleep(0.2)


def labelled(scope: Page | Locator, role: Literal["textbox", "spinbutton"], label: str) -> Locator:
    """Find the form control labelled `label` (a required field's label ends in '*')."""
    return scope.get_by_role(role, name=re.compile(rf"^{re.escape(label)}\*?$"))


# --- config flow -------------------------------------------------------------------------------


def _open_method(walk: Walk, method: str) -> Locator:
    """Start adding the integration from the dashboard and choose sign-in `method`."""
    page = walk.page
    walk.goto("/config/integrations/dashboard")
    shown(page.get_by_text("Add integration", exact=True), "the Add integration button").click()
    picker = page.locator("dialog-add-integration")
    shown(picker.locator("search-input input"), "the integration search field").fill(
        "UniFi Scanner"
    )
    shown(picker.get_by_text("UniFi Scanner", exact=True), "UniFi Scanner in the search").click()
    flow = page.locator("dialog-data-entry-flow")
    shown(flow.get_by_text(walk.tr("config", "step", "user", "title")), "the method menu")
    for option in ("api_key", "local_account"):
        label = walk.tr("config", "step", "user", "menu_options", option)
        shown(flow.get_by_text(label, exact=True), f"the menu option {label!r}")
    flow.get_by_text(walk.tr("config", "step", "user", "menu_options", method), exact=True).click()
    shown(flow.get_by_text(walk.tr("config", "step", method, "title")), f"the {method} form")
    return flow


def _submit(flow: Locator) -> None:
    flow.get_by_role("button", name="Submit").click()


def _created_entry(walk: Walk, flow: Locator, known: set[str]) -> dict[str, Any]:
    """Wait for the success dialog; it must name the new entry's device. Return the entry."""
    shown(flow.get_by_text("Success!"), "the success dialog")
    entries = walk.rest("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    new = [entry for entry in entries if entry["entry_id"] not in known]
    check(len(new) == 1, f"expected one new {DOMAIN} entry, found {len(new)}")
    entry: dict[str, Any] = new[0]
    title = entry["title"]
    shown(flow.get_by_text(f"Created configuration for {title}."), f"'Created ... {title}'")
    # The device has the entry's title as its name, shown in bold above its area picker.
    shown(flow.locator(".devices b").get_by_text(title, exact=True), f"the device {title!r}")
    return entry


def _known_entries(walk: Walk) -> set[str]:
    return {
        entry["entry_id"]
        for entry in walk.rest("GET", f"/api/config/config_entries/entry?domain={DOMAIN}")
    }


def _finish(flow: Locator) -> None:
    flow.get_by_role("button", name="Finish").click()
    gone(flow.locator("ha-dialog"), "the flow dialog")


def step_local_account(walk: Walk) -> str:
    """Local account: a wrong password shows the translated error, then a site is chosen."""
    gateway = walk.local_gateway
    known = _known_entries(walk)
    flow = _open_method(walk, "local_account")
    labelled(flow, "textbox", walk.tr("config", "step", "local_account", "data", "host")).fill(
        gateway.host
    )
    labelled(flow, "spinbutton", walk.tr("config", "step", "local_account", "data", "port")).fill(
        str(gateway.port)
    )
    username = walk.tr("config", "step", "local_account", "data", "username")
    password = walk.tr("config", "step", "local_account", "data", "password")
    labelled(flow, "textbox", username).fill(gateway.username)
    labelled(flow, "textbox", password).fill(gateway.password + "-wrong")
    _submit(flow)
    error = walk.tr("config", "error", "invalid_auth")
    shown(flow.get_by_text(error, exact=True), f"the error {error!r}")
    walk.shot("01-local-account-invalid-auth.png")

    labelled(flow, "textbox", password).fill(gateway.password)
    _submit(flow)
    shown(flow.get_by_text(walk.tr("config", "step", "site", "title")), "the site step")
    sites = [gateway.site_store(name).spec.desc for name in gateway.site_names]
    for site in sites:
        shown(flow.get_by_role("radio", name=site), f"the site {site!r}")
    walk.shot("02-local-account-site.png")
    chosen = gateway.site_store("default").spec.desc
    flow.get_by_role("radio", name=chosen).check()
    _submit(flow)
    entry = _created_entry(walk, flow, known)
    check(chosen in entry["title"], f"entry {entry['title']!r} does not name the site {chosen!r}")
    walk.shot("03-local-account-created.png")
    _finish(flow)
    walk.entries["local_account"] = entry
    return (
        f"menu shows both methods; wrong password shows {error!r}; "
        f"site step lists {', '.join(sites)}; success names device {entry['title']!r}"
    )


def step_api_key(walk: Walk) -> str:
    """Add a second gateway (one site: no site step) with its API key, after a wrong one."""
    gateway = walk.keyed_gateway
    check(gateway.api_key, "the second gateway has no API key")
    known = _known_entries(walk)
    flow = _open_method(walk, "api_key")
    labelled(flow, "textbox", walk.tr("config", "step", "api_key", "data", "host")).fill(
        gateway.host
    )
    labelled(flow, "spinbutton", walk.tr("config", "step", "api_key", "data", "port")).fill(
        str(gateway.port)
    )
    key_field = labelled(flow, "textbox", walk.tr("config", "step", "api_key", "data", "api_key"))
    key_field.fill("x" * 32)
    _submit(flow)
    error = walk.tr("config", "error", "invalid_api_key")
    shown(flow.get_by_text(error, exact=True), "the invalid API key error")
    key_field.fill(str(gateway.api_key))
    _submit(flow)
    entry = _created_entry(walk, flow, known)
    walk.shot("04-api-key-created.png")
    _finish(flow)
    walk.entries["api_key"] = entry
    return f"wrong key shows the invalid_api_key error; success names device {entry['title']!r}"


# --- options -----------------------------------------------------------------------------------


def _entry_row(walk: Walk, title: str) -> Locator:
    walk.goto(f"/config/integrations/integration/{DOMAIN}")
    return shown(walk.page.locator("ha-md-list-item").filter(has_text=title), f"the entry {title}")


def _open_options(walk: Walk, title: str) -> Locator:
    """Open the entry's options and check that the menu offers both pages; return the dialog."""
    row = _entry_row(walk, title)
    row.get_by_role("button", name="Configure").click()
    flow = walk.page.locator("dialog-data-entry-flow")
    shown(flow.get_by_text(walk.tr("options", "step", "init", "title")), "the options menu")
    for option in ("settings", "rules"):
        label = walk.tr("options", "step", "init", "menu_options", option)
        shown(flow.get_by_text(label, exact=True), f"the options menu entry {label!r}")
    return flow


def step_options(walk: Walk) -> str:
    """Change the scan interval, and see the new value when the options are opened again."""
    title = _require_entry(walk, "local_account")
    flow = _open_options(walk, title)
    walk.shot("05-options-menu.png")
    settings = walk.tr("options", "step", "init", "menu_options", "settings")
    flow.get_by_text(settings, exact=True).click()
    shown(flow.get_by_text(walk.tr("options", "step", "settings", "title")), "the settings form")
    label = walk.tr("options", "step", "settings", "data", "scan_interval")
    interval = shown(labelled(flow, "spinbutton", label), f"the {label!r} field")
    before = interval.input_value()
    check(before != str(NEW_SCAN_INTERVAL), f"the interval is already {NEW_SCAN_INTERVAL}")
    interval.fill(str(NEW_SCAN_INTERVAL))
    _submit(flow)
    shown(flow.get_by_text("Success!"), "the saved confirmation")
    _finish(flow)

    flow = _open_options(walk, title)
    flow.get_by_text(settings, exact=True).click()
    interval = shown(labelled(flow, "spinbutton", label), f"the reopened {label!r} field")
    hint = walk.tr("options", "step", "settings", "data_description", "scan_interval")
    shown(flow.get_by_text(hint, exact=True), f"the reopened {label!r} field's description")
    check(
        interval.input_value() == str(NEW_SCAN_INTERVAL),
        f"{label} shows {interval.input_value()!r} after saving {NEW_SCAN_INTERVAL}",
    )
    walk.shot("06-options-saved.png")
    walk.page.keyboard.press("Escape")
    gone(flow.locator("ha-dialog"), "the options dialog")
    return f"menu shows Scan and delivery and Rules; {label} {before} -> {NEW_SCAN_INTERVAL} kept"


def _require_entry(walk: Walk, method: str) -> str:
    entry = walk.entries.get(method)
    check(entry is not None, f"no entry from the {method} setup step")
    assert entry is not None  # for the type checker; check() raised otherwise
    return str(entry["title"])


def _require_entry_id(walk: Walk, method: str) -> str:
    entry = walk.entries.get(method)
    check(entry is not None, f"no entry from the {method} setup step")
    assert entry is not None  # for the type checker; check() raised otherwise
    return str(entry["entry_id"])


# --- device page -------------------------------------------------------------------------------


def _entities(walk: Walk, entry_id: str) -> dict[str, dict[str, Any]]:
    """Read the entry's entity registry entries, by translation key."""
    registry = walk.ws({"type": "config/entity_registry/list"})
    return {
        item["translation_key"]: item
        for item in registry
        if item.get("config_entry_id") == entry_id and item.get("translation_key")
    }


# Every icon an ha-icon shows, through every shadow root of the page.
_SHOWN_ICONS_JS: Final = """() => {
  const found = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.localName === 'ha-icon' && el.icon) found.push(el.icon);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return found;
}"""


def _icons_missing(page: Page, registry: dict[str, dict[str, Any]]) -> list[str]:
    """Name the entities none of whose icons.json icons is on the page (after a short wait)."""
    spec = json.loads(ICONS.read_text(encoding="utf-8"))["entity"]
    wanted: dict[str, set[str]] = {}
    for key, item in registry.items():
        entry = spec[item["entity_id"].split(".")[0]][key]
        choices = {entry["default"], *entry.get("state", {}).values()}
        for attribute in entry.get("state_attributes", {}).values():
            choices |= set(attribute.get("state", {}).values())
        wanted[key] = choices
    missing: list[str] = []

    def probe() -> bool | None:
        shown_icons = set(page.evaluate(_SHOWN_ICONS_JS))
        missing[:] = sorted(key for key, choices in wanted.items() if not choices & shown_icons)
        return True if not missing else None

    with contextlib.suppress(StepError):
        until(probe, "the entities' icons", 10_000)
    return missing


def step_device(walk: Walk) -> str:
    """Every entity of the device is listed by its English name; Scan now runs without error."""
    title = _require_entry(walk, "local_account")
    entry_id = walk.entries["local_account"]["entry_id"]
    page = walk.page
    row = _entry_row(walk, title)
    row.get_by_role("link", name="1 service").click()
    page.wait_for_url("**/config/devices/device/**")
    shown(page.get_by_text(title, exact=True), "the device name")
    registry = _entities(walk, entry_id)
    names = {
        f"{platform}.{key}": item["name"]
        for platform, items in walk.text["entity"].items()
        for key, item in items.items()
    }
    enabled = [key for key, item in registry.items() if not item.get("disabled_by")]
    for key in enabled:
        name = names[f"{registry[key]['entity_id'].split('.')[0]}.{key}"]
        shown(page.get_by_text(name, exact=True), f"the entity {key} named {name!r}")
    # Entities disabled by default are folded away behind "+N disabled entity".
    if disabled := len(registry) - len(enabled):
        fold = page.get_by_role("button", name=re.compile(rf"^\+{disabled} disabled entit"))
        shown(fold, f"the '+{disabled} disabled entities' link").click()
    for where, name in names.items():
        shown(page.get_by_text(name, exact=True), f"the entity {where} named {name!r}")
    icons = _icons_missing(page, registry)
    check(not icons, f"the device page does not show the icons of {icons}")
    walk.shot("07-device.png", height=1500)

    check("scan_now" in registry, "no Scan now button entity in the registry")
    before = set(walk.calls.calls("button", "press"))
    name = walk.tr("entity", "button", "scan_now", "name")
    button_row = page.locator("hui-button-entity-row").filter(has_text=name)
    shown(button_row.get_by_role("button", name="Press"), "the Scan now Press button").click()
    call = until(
        lambda: next(iter(set(walk.calls.calls("button", "press")) - before), None),
        "the button.press call",
    )
    result = until(lambda: walk.calls.results.get(call), "the answer to button.press", 60_000)
    check(result.get("success"), f"button.press failed: {result.get('error')}")
    toasts = page.locator("ha-toast")
    check(
        not any(toasts.nth(i).is_visible() for i in range(toasts.count())),
        "an error toast is shown after Scan now",
    )
    return (
        f"{len(names)} entity names shown, each with its icon from icons.json; "
        "Scan now answered success, no toast"
    )


# --- notification ------------------------------------------------------------------------------


def step_notification(walk: Walk) -> str:
    """Find the report's notification by its title; gateway text in it must form no markup."""
    entry_id = walk.entries.get("local_account", {}).get("entry_id")
    check(entry_id, "no entry from the local_account setup step")
    wanted = f"{DOMAIN}_{entry_id}"
    notification = until(
        lambda: next(
            (
                item
                for item in walk.ws({"type": "persistent_notification/get"})
                if item["notification_id"] == wanted
            ),
            None,
        ),
        "the report notification",
    )
    title = str(notification["title"])
    check(MARKER in notification["message"], "the planted gateway strings are not in the report")
    page = walk.page
    walk.goto(f"/config/integrations/integration/{DOMAIN}")
    shown(page.get_by_text("Notifications", exact=True), "the Notifications sidebar item").click()
    drawer = page.locator("notification-drawer")
    item = shown(
        drawer.locator("persistent-notification-item").filter(has_text=title),
        f"the notification {title!r}",
    )
    content = item.locator("ha-markdown")
    shown(content.get_by_text(MARKER), "the planted gateway strings in the notification")
    item.evaluate("item => item.scrollIntoView({block: 'start'})")
    walk.shot("08-notification.png")

    links = content.locator("a").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    check(not links, f"the notification has links: {links}")
    active = content.locator(ACTIVE_ELEMENTS).count()
    check(active == 0, f"the notification has {active} script, image or embedded elements")
    handlers = content.locator("*").evaluate_all(
        "els => els.filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length"
    )
    check(handlers == 0, f"{handlers} elements in the notification have event handlers")
    text = content.locator("ha-markdown-element").inner_text()
    planted = sum(f"{MARKER}{index} " in text for index in range(len(LINK_BAIT)))
    check(not walk.dialogs, f"the page opened dialogs: {walk.dialogs}")
    return (
        f"title {title!r} shown; {planted} planted hostile strings shown as text; "
        "no <a>, no script/img/svg, no on* handler, no alert()"
    )


# --- to-do list --------------------------------------------------------------------------------


def _todo_items(walk: Walk, entity_id: str) -> list[dict[str, Any]]:
    """Return the list's items as `todo.get_items` gives them over the websocket."""
    answer = walk.ws(
        {
            "type": "call_service",
            "domain": "todo",
            "service": "get_items",
            "target": {"entity_id": entity_id},
            "return_response": True,
        }
    )
    return list(answer["response"][entity_id]["items"])


def _state(walk: Walk, entity_id: str) -> dict[str, Any]:
    state: dict[str, Any] = walk.rest("GET", f"/api/states/{entity_id}")
    return state


def _shown_items(card: Locator) -> list[tuple[str, str]]:
    """(item id, summary) of every item the to-do card shows, top to bottom."""
    rows: list[list[str]] = card.locator("ha-check-list-item").evaluate_all(
        "items => items.map(i => [i.getAttribute('item-id'),"
        " (i.querySelector('.summary')?.textContent ?? '').trim()])"
    )
    return [(uid, summary) for uid, summary in rows]


def _unfocus(page: Page) -> None:
    """Move the pointer away and blur what has focus, so no list row is drawn highlighted."""
    page.mouse.move(0, 0)
    page.evaluate(
        """() => {
            let element = document.activeElement;
            while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
            element?.blur();
        }"""
    )


def step_todo(walk: Walk) -> str:
    """Open findings lists the open severe and medium findings; a ticked item leaves it."""
    entry_id = _require_entry_id(walk, "api_key")
    registry = _entities(walk, entry_id)
    check("open_findings" in registry, "no Open findings to-do entity in the registry")
    check("findings" in registry, "no Findings sensor in the registry")
    todo_id = registry["open_findings"]["entity_id"]
    findings_id = registry["findings"]["entity_id"]
    findings = _state(walk, findings_id)["attributes"]
    check(
        findings["muted"] == 0 and findings["acknowledged"] == 0,
        f"the new entry already has mutes or acknowledgements: {findings}",
    )
    follow_up = findings["by_severity"]["severe"] + findings["by_severity"]["medium"]
    items = _todo_items(walk, todo_id)
    check(items, f"todo.get_items returned no items for {todo_id}")
    check(
        len(items) == follow_up,
        f"todo.get_items has {len(items)} items, the report {follow_up} severe and medium findings",
    )
    not_open = [item["uid"] for item in items if item["status"] != "needs_action"]
    check(not not_open, f"items not open: {not_open}")

    page = walk.page
    name = walk.tr("entity", "todo", "open_findings", "name")
    walk.goto(f"/todo?entity_id={todo_id}")
    # The panel lists every to-do entity by its full name; the chosen one is highlighted.
    friendly = _state(walk, todo_id)["attributes"]["friendly_name"]
    check(friendly.endswith(name), f"the list is called {friendly!r}, not ... {name!r}")
    shown(page.locator("ha-panel-todo").get_by_text(friendly, exact=True), f"the list {friendly!r}")
    card = page.locator("hui-todo-list-card")
    wanted = [(item["uid"], item["summary"]) for item in items]
    first_uid, first_summary = wanted[0]
    shown(card.get_by_text(first_summary, exact=True), f"the first item {first_summary!r}")
    got = until(
        lambda: seen if len(seen := _shown_items(card)) == len(wanted) else None,
        f"{len(wanted)} items in the list",
    )
    check(
        set(got) == set(wanted),
        "the list differs from todo.get_items: "
        f"only shown {sorted(set(got) - set(wanted))[:3]}, "
        f"only in get_items {sorted(set(wanted) - set(got))[:3]}",
    )
    check(got == wanted, "the list shows todo.get_items' items in another order")

    before = set(walk.calls.calls("todo", "update_item"))
    item = card.locator(f'ha-check-list-item[item-id="{first_uid}"]')
    item.get_by_role("checkbox").click()
    call = until(
        lambda: next(iter(set(walk.calls.calls("todo", "update_item")) - before), None),
        "the todo.update_item call",
    )
    result = until(lambda: walk.calls.results.get(call), "the answer to todo.update_item")
    check(result.get("success"), f"todo.update_item failed: {result.get('error')}")
    gone(item, f"the ticked item {first_summary!r}")
    until(
        lambda: True if len(_shown_items(card)) == len(wanted) - 1 else None,
        f"{len(wanted) - 1} items in the list after ticking one",
    )
    left = {item["uid"] for item in _todo_items(walk, todo_id)}
    check(first_uid not in left, f"todo.get_items still has the ticked {first_uid}")
    acknowledged = until(
        lambda: _state(walk, findings_id)["attributes"]["acknowledged"] or None,
        "the acknowledgement of the ticked finding",
    )
    check(acknowledged == 1, f"{acknowledged} findings acknowledged after ticking one")
    _unfocus(page)
    walk.shot("09-todo.png")
    return (
        f"{friendly!r} shows the {len(wanted)} open severe and medium findings as get_items "
        f"has them; ticking {first_uid} acknowledged it and it left the list"
    )


# --- actions in the developer tools ------------------------------------------------------------


def _choose_action(walk: Walk, service: str) -> Locator:
    """Pick `unifi_scanner.<service>` by its English name; return the form below the picker."""
    page = walk.page
    name = f"UniFi Scanner: {walk.tr('services', service, 'name')}"
    shown(page.locator("ha-service-picker input"), "the action picker").fill(name)
    option = (
        page.locator("vaadin-combo-box-item")
        .filter(visible=True)
        .filter(has=page.get_by_text(f"{DOMAIN}.{service}", exact=True))
    )
    shown(option, f"{name!r} ({DOMAIN}.{service}) in the action picker").click()
    form = page.locator("ha-service-control")
    description = walk.tr("services", service, "description")
    shown(form.get_by_text(description, exact=True), f"the description of {DOMAIN}.{service}")
    return form


def _field_row(walk: Walk, form: Locator, name: str) -> Locator:
    """Wait for the form's row of the field named `name` and return it."""
    heading = walk.page.locator("span[slot=heading]").get_by_text(name, exact=True)
    return shown(form.locator("ha-settings-row").filter(has=heading), f"the field {name!r}")


def step_actions(walk: Walk) -> str:
    """Mute's and acknowledge's forms name every field; Rule offers the rules by label."""
    page = walk.page
    walk.goto("/developer-tools/action")
    # A window tall enough for every field of mute; the list of rules opens over the form.
    with taller(page, 1150):
        form = _choose_action(walk, "mute")
        fields = walk.text["services"]["mute"]["fields"]
        for field_name in (item["name"] for item in fields.values()):
            _field_row(walk, form, field_name)
        rule = walk.tr("services", "mute", "fields", "rule_id", "name")
        rule_row = _field_row(walk, form, rule)
        # An optional field is switched on by its checkbox before its selector can be used.
        rule_row.locator("ha-checkbox").click()
        rule_row.locator("ha-select").click()
        label = walk.tr("selector", "rule_id", "options", "device_offline")
        option = rule_row.get_by_role("option", name=label, exact=True)
        shown(option, f"the rule {label!r} in the {rule!r} field").scroll_into_view_if_needed()
        option.hover()
        offered = rule_row.get_by_role("option").count()
        labels = len(walk.text["selector"]["rule_id"]["options"])
        check(offered == labels, f"the Rule field offers {offered} rules, en.json labels {labels}")
        walk.shot("10-action-mute.png")
        page.keyboard.press("Escape")
        gone(option, "the Rule field's list")

    form = _choose_action(walk, "acknowledge")
    acknowledge = [item["name"] for item in walk.text["services"]["acknowledge"]["fields"].values()]
    for field_name in acknowledge:
        _field_row(walk, form, field_name)
    return (
        f"mute shows {', '.join(item['name'] for item in fields.values())}; "
        f"Rule offers all {labels} rule labels ({label!r} among them); "
        f"acknowledge shows {', '.join(acknowledge)}"
    )


# --- the README's dashboard --------------------------------------------------------------------

DASHBOARD: Final = "unifi-scanner-test"
ENTITY_ID: Final = re.compile(r"\b(?:binary_sensor|sensor|todo)\.[a-z0-9_]+")


def _readme_card(slug: str) -> tuple[str, dict[str, Any]]:
    """Read the README's dashboard card (first yaml block under "## Dashboard") for `slug`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    _, heading, section = readme.partition("\n## Dashboard\n")
    check(heading, "README.md has no '## Dashboard' section")
    block = re.search(r"^```yaml\n(.*?)^```", section, re.DOTALL | re.MULTILINE)
    check(block, "README.md has no ```yaml block under '## Dashboard'")
    assert block is not None  # for the type checker; check() raised otherwise
    text = re.sub(r"\b(binary_sensor|sensor|todo)\.home_", rf"\1.{slug}_", block.group(1))
    card = yaml.safe_load(text)
    check(isinstance(card, dict) and "type" in card, "README's dashboard block is not one card")
    return text, card


def _cards(card: dict[str, Any]) -> list[dict[str, Any]]:
    """`card` and every card nested in it (stacks, grids)."""
    return [card, *(inner for nested in card.get("cards", []) for inner in _cards(nested))]


def _check_glance(walk: Walk, page: Page, card: dict[str, Any], by_id: dict[str, str]) -> list[str]:
    """Check that the glance card shows each of its entities by name; return the names."""
    glance = shown(page.locator("hui-glance-card"), "the glance card")
    names = []
    for entity in card["entities"]:
        entity_id = entity if isinstance(entity, str) else entity["entity"]
        name = walk.tr("entity", entity_id.split(".")[0], by_id[entity_id], "name")
        friendly = _state(walk, entity_id)["attributes"]["friendly_name"]
        check(friendly.endswith(name), f"{entity_id} is called {friendly!r}, not ... {name!r}")
        shown(glance.get_by_text(friendly, exact=True), f"{friendly!r} in the glance card")
        names.append(name)
    return names


def _check_markdown(walk: Walk, page: Page, findings_id: str) -> int:
    """Check that the markdown card shows top_findings as code and no link; return how many."""
    titles = _state(walk, findings_id)["attributes"]["top_findings"]
    check(titles, f"{findings_id} has no top_findings")
    expected = {title.replace("`", "'") for title in titles}
    markdown = shown(page.locator("hui-markdown-card"), "the markdown card")
    code = markdown.locator("ha-markdown code")
    first = shown(code, "a finding title as code in the markdown card").inner_text().strip()
    check(first in expected, f"the first code span {first!r} is no top_findings title")
    strays = [text for text in code.all_inner_texts() if text.strip() not in expected]
    check(not strays, f"code spans that are no top_findings title: {strays[:3]}")
    links = markdown.locator("a").count()
    check(links == 0, f"the markdown card has {links} links")
    return int(code.count())


def _check_graphs(page: Page, cards: dict[str, dict[str, Any]]) -> None:
    """Check that the statistics and history graph cards are drawn under their titles."""
    statistics = shown(page.locator("hui-statistics-graph-card"), "the statistics graph card")
    title = cards["statistics-graph"]["title"]
    shown(statistics.get_by_text(title, exact=True), f"the statistics graph title {title!r}")
    # Long-term statistics are compiled every five minutes: a new entry has none yet.
    shown(statistics.locator("statistics-chart"), "the statistics chart")
    history = shown(page.locator("hui-history-graph-card"), "the history graph card")
    title = cards["history-graph"]["title"]
    shown(history.get_by_text(title, exact=True), f"the history graph title {title!r}")
    shown(history.locator("ha-chart-base"), "the history chart")


def step_dashboard(walk: Walk) -> str:
    """README's cards on a new dashboard show the entry's entities, findings and graphs."""
    entry_id = _require_entry_id(walk, "api_key")
    registry = _entities(walk, entry_id)
    by_id = {item["entity_id"]: key for key, item in registry.items()}
    slug = registry["problem"]["entity_id"].split(".", 1)[1].removesuffix("_problem")
    text, card = _readme_card(slug)
    unknown = sorted(set(ENTITY_ID.findall(text)) - set(by_id))
    check(not unknown, f"README's dashboard uses entities the entry does not have: {unknown}")
    cards = {inner["type"]: inner for inner in _cards(card)}
    for kind in ("glance", "markdown", "todo-list", "statistics-graph", "history-graph"):
        check(kind in cards, f"README's dashboard has no {kind} card")

    walk.ws(
        {
            "type": "lovelace/dashboards/create",
            "url_path": DASHBOARD,
            "title": "UniFi Scanner test",
            "show_in_sidebar": False,
        }
    )
    walk.ws(
        {
            "type": "lovelace/config/save",
            "url_path": DASHBOARD,
            "config": {"views": [{"title": "UniFi", "cards": [card]}]},
        }
    )
    page = walk.page
    walk.goto(f"/{DASHBOARD}/0")
    names = _check_glance(walk, page, cards["glance"], by_id)
    titles = _check_markdown(walk, page, registry["findings"]["entity_id"])
    todo_card = shown(page.locator("hui-todo-list-card"), "the to-do card")
    items = _todo_items(walk, cards["todo-list"]["entity"])
    if items:
        summary = items[0]["summary"]
        shown(todo_card.get_by_text(summary, exact=True), f"the item {summary!r} in the to-do card")
    _check_graphs(page, cards)

    # The view scrolls inside the frontend: a window as tall as the cards shows them all.
    box = page.locator(f"hui-{card['type']}-card").first.bounding_box()
    height = min(int(box["y"] + box["height"]) + 24, 6000) if box else None
    walk.shot("11-dashboard.png", height=height)
    return (
        f"glance shows {', '.join(names)}; markdown shows {titles} titles as code, no <a>; "
        f"to-do card shows {items[0]['summary'] if items else 'no item'!r} ...; "
        f"{cards['statistics-graph']['title']!r} and {cards['history-graph']['title']!r} drawn"
    )


# --- log ---------------------------------------------------------------------------------------


def step_log(walk: Walk) -> str:
    """Nothing the walk did made the integration log an error."""
    errors = walk.ha.log_errors()
    check(not errors, "the integration logged errors:\n" + "\n".join(errors[:10]))
    return "no ERROR line from custom_components.unifi_scanner"


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the walk, and the steps whose results it builds on."""

    number: int
    name: str
    run: Callable[[Walk], str]
    needs: tuple[int, ...] = ()


STEPS: Final = (
    Step(1, "setup with a local account", step_local_account),
    Step(2, "setup with an API key", step_api_key),
    Step(3, "options", step_options, needs=(1,)),
    Step(4, "device page", step_device, needs=(1,)),
    Step(5, "notification", step_notification, needs=(1,)),
    Step(6, "to-do list", step_todo, needs=(2,)),
    Step(7, "actions in the developer tools", step_actions, needs=(2,)),
    Step(8, "README dashboard", step_dashboard, needs=(2,)),
    Step(9, "integration log", step_log),
)
