# SPDX-License-Identifier: Apache-2.0
"""The built guides (``make docs``): every internal link and anchor resolves; external links
are only checked for their form (no network here)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.docs.guides import builder


class Links(HTMLParser):
    """The ids and the link targets (href, src) of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src") and value is not None:
                self.links.append(value)


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "docs"
    builder.build(out)
    return out


def test_every_guide_is_a_page_with_navigation(site: Path) -> None:
    pages = builder.load_pages()
    assert pages[0].name == "index"
    assert {p.name for p in pages} == {p.stem for p in builder.GUIDE_DIR.glob("*.md")}
    assert set(builder.ORDER) == {p.name for p in pages}, "list every guide in ORDER, in the navigation's order"
    for page in pages:
        html = (site / page.html_name).read_text(encoding="utf-8")
        links = parse(site / page.html_name).links
        for other in pages:
            assert other.html_name in links, f"{page.html_name} does not link {other.html_name} in its navigation"
        assert html.count('aria-current="page">') == 1  # the page's own entry (the CSS names it too)


def _pages(site: Path) -> list[Path]:
    return sorted(site.glob("*.html"))


def test_internal_links_and_anchors_resolve(site: Path) -> None:
    anchors = {page.resolve(): parse(page).ids for page in _pages(site)}
    markdown_anchors: dict[Path, set[str]] = {}
    broken = []
    for page in _pages(site):
        for link in parse(page).links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                continue  # external: test_external_links_are_well_formed
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page.resolve()
            if not target.exists():
                broken.append(f"{page.name}: {link} (no {target})")
                continue
            if not parts.fragment:
                continue
            if target.suffix == ".html" and target.parent == site.resolve():
                known = anchors[target]
            elif target.suffix == ".md":
                if target not in markdown_anchors:
                    markdown_anchors[target] = builder.heading_slugs(target.read_text(encoding="utf-8"))
                known = markdown_anchors[target]
            else:
                broken.append(f"{page.name}: {link} (a #fragment into a file that has no headings)")
                continue
            if parts.fragment not in known:
                broken.append(f"{page.name}: {link} (no #{parts.fragment} in {target.name})")
    assert not broken, "\n".join(broken)


def test_external_links_are_well_formed(site: Path) -> None:
    bad = []
    for page in _pages(site):
        for link in parse(page).links:
            parts = urlsplit(link)
            if not parts.scheme:
                continue
            if parts.scheme in ("http", "https"):
                if not parts.netloc or " " in link:
                    bad.append(f"{page.name}: {link}")
            elif parts.scheme != "mailto":
                bad.append(f"{page.name}: {link} (scheme {parts.scheme})")
    assert not bad, "\n".join(bad)


def test_no_guide_links_to_a_page_that_is_not_built(site: Path) -> None:
    """Links are written between the Markdown sources (``x.md``) so they work on GitHub too;
    none is left pointing at a Markdown guide in the site."""
    for page in _pages(site):
        for link in parse(page).links:
            path = urlsplit(link).path
            assert not (path.endswith(".md") and "/" not in path), f"{page.name}: {link} was not rewritten"
