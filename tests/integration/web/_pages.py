# SPDX-License-Identifier: Apache-2.0
"""Read dashboard pages the way a person (or a screen reader) would: labels, alerts, headings."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
FIELDS = {"input", "textarea", "select"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    text: str = ""
    children: list["Element"] = field(default_factory=list)

    @property
    def clean_text(self) -> str:
        return " ".join(self.text.split())


class Page(HTMLParser):
    """The elements of an HTML page, each with its attributes and the text inside it."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.elements.append(element)
        if self._open:
            self._open[-1].children.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                return

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data

    def find(self, **attrs: str) -> list[Element]:
        """Elements whose attributes equal ``attrs`` (``data_testid`` means ``data-testid``)."""
        wanted = {k.replace("_", "-") if k.startswith(("data_", "aria_")) else k: v for k, v in attrs.items()}
        return [e for e in self.elements if all(e.attrs.get(k) == v for k, v in wanted.items())]

    def one(self, **attrs: str) -> Element:
        found = self.find(**attrs)
        assert len(found) == 1, f"expected one element with {attrs}, found {len(found)}"
        return found[0]

    def testid(self, name: str) -> str:
        return self.one(data_testid=name).clean_text

    def tags(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]

    def headings(self) -> list[str]:
        return [e.clean_text for e in self.elements if e.tag in ("h1", "h2", "h3")]

    def alerts(self) -> list[str]:
        return [e.clean_text for e in self.find(role="alert")]

    def label_for(self, field_id: str) -> str:
        return self.one(**{"for": field_id}).clean_text

    def field(self, label: str) -> Element:
        """The form field whose <label> reads exactly ``label``."""
        labels = [e for e in self.tags("label") if e.clean_text == label]
        assert len(labels) == 1, f"expected one label {label!r}, found {len(labels)}"
        return self.one(id=str(labels[0].attrs["for"]))

    def unlabelled_fields(self) -> list[str]:
        """Visible form fields that no <label for=…> names."""
        named = {e.attrs.get("for") for e in self.tags("label")}
        return [
            str(e.attrs.get("name"))
            for e in self.elements
            if e.tag in FIELDS and e.attrs.get("type") != "hidden" and e.attrs.get("id") not in named
        ]
