# SPDX-License-Identifier: Apache-2.0
"""Render the guides (docs/guide/*.md) as a static site: an index with navigation and one HTML
page per guide.

    python docs/build_guides.py [--out build/docs]     (or: make docs)

Links between guides (``availability.md#buffers``) become links between pages
(``availability.html#buffers``); links to other files of the repository (``../../README.md``)
are rewritten relative to the output directory, so they keep working from ``build/docs``.
Headings get GitHub's anchors, so a ``#fragment`` works the same on GitHub and in the site.

The tests import this module too: ``code_blocks`` is what ``tests/docs/test_guide_samples.py``
runs, ``heading_slugs`` what ``tests/docs/test_guide_links.py`` checks anchors against.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

GUIDE_DIR = Path(__file__).resolve().parent / "guide"
REPO_ROOT = GUIDE_DIR.parent.parent
DEFAULT_OUT = REPO_ROOT / "build" / "docs"

# The navigation's order; a page not listed here follows the listed ones, by name.
ORDER = [
    "index",
    "quick-start",
    "no-calendar",
    "free-busy",
    "read-write",
    "changing-mode",
    "google",
    "microsoft",
    "caldav",
    "enterprise-connect",
    "availability",
    "smart-invites",
    "real-time-scheduling",
    "element-tokens",
    "mcp",
    "migrating-from-cronofy",
    "operations",
]
INDEX = "index"

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


# --- headings and their anchors --------------------------------------------------------------


def slugify(text: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped (letters, digits, spaces,
    ``-`` and ``_`` kept), each space a hyphen."""
    kept = []
    for char in text.strip().lower():
        category = unicodedata.category(char)
        if char in "-_" or category[0] in "LN" or category == "Mn":
            kept.append(char)
        elif char == " ":
            kept.append("-")
    return "".join(kept)


def _inline_text(token: Token) -> str:
    """The visible text of an inline token (what GitHub slugs): text and code, no markup."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _add_heading_ids(tokens: list[Token]) -> list[tuple[int, str, str]]:
    """Give every heading an id (deduplicated as GitHub does: ``x``, ``x-1``, ``x-2``);
    returns (level, text, id) per heading."""
    seen: dict[str, int] = {}
    headings = []
    for position, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        text = _inline_text(tokens[position + 1])
        base = slugify(text)
        count = seen.get(base, 0)
        slug = base if count == 0 else f"{base}-{count}"
        seen[base] = count + 1
        token.attrSet("id", slug)
        headings.append((int(token.tag[1]), text, slug))
    return headings


def heading_slugs(source: str) -> set[str]:
    """The anchors of a Markdown document's headings."""
    return {slug for _, _, slug in _add_heading_ids(markdown().parse(source))}


# --- code blocks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One fenced code block of a guide: ``path``'s ``index``-th (from 0), at ``line`` (from 1)."""

    path: Path
    index: int
    lang: str
    flags: tuple[str, ...]
    code: str
    line: int

    @property
    def name(self) -> str:
        return f"{self.path.name}:{self.index}"

    @property
    def runs(self) -> bool:
        return "no-run" not in self.flags


def code_blocks(path: Path) -> list[Block]:
    """Every fenced code block of a Markdown file, in order, with its info string split into
    the language and the flags after it (```` ```sh no-run ```` is ``sh`` with ``no-run``)."""
    blocks = []
    for token in markdown().parse(path.read_text(encoding="utf-8")):
        if token.type != "fence":
            continue
        lang, *flags = token.info.split() or [""]
        line = token.map[0] + 1 if token.map else 0
        blocks.append(Block(path, len(blocks), lang, tuple(flags), token.content, line))
    return blocks


# --- pages -----------------------------------------------------------------------------------


@dataclass
class Page:
    name: str  # file stem: "availability" for availability.md (and availability.html)
    source: Path
    title: str

    @property
    def html_name(self) -> str:
        return f"{self.name}.html"


def _title(source: Path) -> str:
    for token_index, token in enumerate(tokens := markdown().parse(source.read_text(encoding="utf-8"))):
        if token.type == "heading_open" and token.tag == "h1":
            return _inline_text(tokens[token_index + 1])
    return source.stem.replace("-", " ").capitalize()


def load_pages(guide_dir: Path = GUIDE_DIR) -> list[Page]:
    """The guides in navigation order (``ORDER``, then any others by name)."""
    found = {p.stem: p for p in guide_dir.glob("*.md")}
    names = [n for n in ORDER if n in found] + sorted(n for n in found if n not in ORDER)
    return [Page(name, found[name], _title(found[name])) for name in names]


def rewrite_link(href: str, source: Path, guide_dir: Path, out_dir: Path) -> str:
    """A link as written in ``source`` (a guide) → the same target from the built site."""
    if not href or href.startswith("#") or _SCHEME.match(href) or href.startswith("//"):
        return href
    parts = urlsplit(href)
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    target = (source.parent / parts.path).resolve()
    if target.parent == guide_dir.resolve() and target.suffix == ".md":
        return f"{target.stem}.html{fragment}"
    return Path(os.path.relpath(target, out_dir.resolve())).as_posix() + fragment


def _rewrite_links(tokens: list[Token], source: Path, guide_dir: Path, out_dir: Path) -> None:
    for token in tokens:
        for child in token.children or []:
            if child.type == "link_open":
                href = str(child.attrGet("href") or "")
                child.attrSet("href", rewrite_link(href, source, guide_dir, out_dir))


STYLE = """
:root { --ink: #1d2430; --muted: #5b6474; --line: #dde2ea; --accent: #2457c5; --code: #f4f6fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); }
.layout { display: flex; min-height: 100vh; }
nav { flex: 0 0 15rem; padding: 1.5rem 1rem; border-right: 1px solid var(--line); background: #fafbfd; }
nav .brand { font-weight: 700; font-size: 1.1rem; margin-bottom: 1rem; display: block; color: var(--ink); text-decoration: none; }
nav ol { list-style: none; padding: 0; margin: 0; }
nav li a { display: block; padding: .3rem .5rem; border-radius: 4px; color: var(--ink); text-decoration: none; }
nav li a:hover { background: #eef2f9; }
nav li a[aria-current="page"] { background: var(--accent); color: #fff; }
main { flex: 1; max-width: 52rem; padding: 1.5rem 2.5rem 4rem; }
a { color: var(--accent); }
h1, h2, h3 { line-height: 1.25; }
h2 { margin-top: 2.2rem; padding-bottom: .3rem; border-bottom: 1px solid var(--line); }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, monospace; background: var(--code); padding: .1em .3em; border-radius: 3px; }
pre { background: var(--code); padding: .9rem 1rem; border-radius: 6px; overflow-x: auto; border: 1px solid var(--line); }
pre code { background: none; padding: 0; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid var(--line); padding: .35rem .6rem; text-align: left; vertical-align: top; }
blockquote { margin: 1rem 0; padding: .2rem 1rem; border-left: 4px solid var(--accent); background: #f3f6fc; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; }
@media (max-width: 50rem) { .layout { display: block; } nav { border-right: 0; border-bottom: 1px solid var(--line); } }
"""


def render_page(page: Page, pages: list[Page], guide_dir: Path, out_dir: Path) -> str:
    md = markdown()
    tokens = md.parse(page.source.read_text(encoding="utf-8"))
    _add_heading_ids(tokens)
    _rewrite_links(tokens, page.source, guide_dir, out_dir)
    body = md.renderer.render(tokens, md.options, {})
    current = ' aria-current="page"'
    nav = "\n".join(
        f'<li><a href="{p.html_name}"{current if p is page else ""}>{html.escape(p.title)}</a></li>' for p in pages
    )
    index = next((p for p in pages if p.name == INDEX), pages[0])
    title = page.title if page is index else f"{page.title} · {index.title}"
    source = Path(os.path.relpath(page.source.resolve(), out_dir.resolve())).as_posix()
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<div class="layout">
<nav aria-label="Guides">
<a class="brand" href="{index.html_name}">calgate guides</a>
<ol>
{nav}
</ol>
</nav>
<main>
{body}
<footer>Built from <a href="{html.escape(source)}">{html.escape(page.source.name)}</a>.</footer>
</main>
</div>
</body>
</html>
"""


def build(out_dir: Path = DEFAULT_OUT, guide_dir: Path = GUIDE_DIR) -> list[Path]:
    """Write one HTML page per guide (the index as ``index.html``) into ``out_dir``."""
    pages = load_pages(guide_dir)
    if not pages:
        raise SystemExit(f"no guides in {guide_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for page in pages:
        target = out_dir / page.html_name
        target.write_text(render_page(page, pages, guide_dir, out_dir), encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: build/docs)")
    args = parser.parse_args(argv)
    written = build(args.out)
    print(f"{len(written)} pages in {args.out}/ (open {args.out / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
