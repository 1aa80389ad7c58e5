"""Structural checks that an HTML page can run nothing and links only where we built links."""

from __future__ import annotations

from html.parser import HTMLParser

ACTIVE_TAGS = {"script", "iframe", "object", "embed", "frame", "base", "meta-refresh"}
LINK_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcset", "poster"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def problems(html: str) -> list[str]:
    """Every script-capable tag, event-handler attribute and foreign link target in `html`."""
    collector = _Collector()
    collector.feed(html)
    found = []
    for tag, attrs in collector.tags:
        if tag in ACTIVE_TAGS:
            found.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"<{tag} {name}=...>")
            if name == "style":
                found.append(f"<{tag} style=...> (inline style)")
            if name in LINK_ATTRIBUTES:
                target = value or ""
                ours = target.startswith("/") and not target.startswith("//")
                if not (ours or target.startswith("#") or target == "data:,"):
                    found.append(f"<{tag} {name}={target!r}>")
    return found


def assert_inert(html: str) -> None:
    assert problems(html) == []
