# SPDX-License-Identifier: Apache-2.0
"""docs/build_guides.py's own logic: anchors as GitHub makes them, links rewritten for the
site, code blocks with their flags."""

from __future__ import annotations

from pathlib import Path

from tests.docs.guides import builder


def test_slugs_follow_github() -> None:
    assert builder.slugify("Working hours: availability rules") == "working-hours-availability-rules"
    assert builder.slugify("One-off extra time: available periods") == "one-off-extra-time-available-periods"
    assert builder.slugify("2. Recreate the application") == "2-recreate-the-application"
    assert builder.slugify("Why is nobody free?") == "why-is-nobody-free"
    assert builder.slugify("Google and Microsoft 365") == "google-and-microsoft-365"
    assert builder.slugify("`calgate import`") == "calgate-import"
    assert builder.slugify("Rotating `CALGATE_SECRET_KEY`") == "rotating-calgate_secret_key"


def test_headings_get_ids_with_code_and_duplicates() -> None:
    source = "# Title\n\n## Rotating `CALGATE_SECRET_KEY`\n\n## Notes\n\n### Notes\n\n## Notes\n"
    assert builder.heading_slugs(source) == {"title", "rotating-calgate_secret_key", "notes", "notes-1", "notes-2"}


def test_links_are_rewritten_for_the_site(tmp_path: Path) -> None:
    guides = tmp_path / "repo" / "docs" / "guide"
    guides.mkdir(parents=True)
    source = guides / "a.md"
    out = tmp_path / "repo" / "build" / "docs"
    rewrite = lambda href: builder.rewrite_link(href, source, guides, out)  # noqa: E731
    assert rewrite("b.md") == "b.html"
    assert rewrite("b.md#some-heading") == "b.html#some-heading"
    assert rewrite("./b.md") == "b.html"
    assert rewrite("#here") == "#here"
    assert rewrite("https://example.com/x.md") == "https://example.com/x.md"
    assert rewrite("mailto:someone@example.com") == "mailto:someone@example.com"
    assert rewrite("../../README.md#production") == "../../README.md#production"
    assert rewrite("../deploy/Dockerfile") == "../../docs/deploy/Dockerfile"
    elsewhere = tmp_path / "elsewhere" / "site"
    assert builder.rewrite_link("../../README.md", source, guides, elsewhere) == "../../repo/README.md"


def test_code_blocks_carry_language_flags_and_line(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text("# P\n\n```sh\necho hi\n```\n\ntext\n\n```python no-run\nx = 1\n```\n\n```\nplain\n```\n")
    first, second, third = builder.code_blocks(page)
    assert (first.index, first.lang, first.flags, first.code, first.line, first.runs) == (0, "sh", (), "echo hi\n", 3, True)
    assert (second.lang, second.flags, second.runs, second.line) == ("python", ("no-run",), False, 9)
    assert (third.lang, third.flags) == ("", ())
    assert first.name == "p.md:0"


def test_build_writes_an_index_and_a_page_per_guide(tmp_path: Path) -> None:
    guides = tmp_path / "guide"
    guides.mkdir()
    (guides / "index.md").write_text("# The guides\n\nSee [the other](zeta.md#part-two).\n")
    (guides / "zeta.md").write_text("# Zeta\n\n## Part two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    written = builder.build(tmp_path / "site", guides)
    assert [p.name for p in written] == ["index.html", "zeta.html"]
    index = (tmp_path / "site" / "index.html").read_text()
    zeta = (tmp_path / "site" / "zeta.html").read_text()
    assert "<title>The guides</title>" in index
    assert 'href="zeta.html#part-two"' in index
    assert '<h2 id="part-two">Part two</h2>' in zeta
    assert "<table>" in zeta
    assert "<title>Zeta · The guides</title>" in zeta
