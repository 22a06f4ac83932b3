"""Renders the Markdown reports with a real CommonMark+GFM-tables renderer
(markdown-it-py) and checks that every table became an HTML table, not a
paragraph of pipes. Run in CI: python3 tests/gfm_check.py REPORT.md...
"""
import re
import sys

from markdown_it import MarkdownIt


def check(path: str) -> list[str]:
    text = open(path, encoding="utf-8").read()
    md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
    html = md.render(text)
    problems = []
    # Every delimiter row in the source must have produced a table.
    delimiter_rows = len(re.findall(r"^\|(?:\s*:?-+:?\s*\|)+\s*$", text, flags=re.M))
    tables = html.count("<table>")
    if delimiter_rows == 0:
        problems.append("no tables in the report")
    if tables != delimiter_rows:
        problems.append(f"{delimiter_rows} table delimiter rows but {tables} tables rendered")
    for para in re.findall(r"<p>(.*?)</p>", html, flags=re.S):
        if re.search(r"^\|.*\|$", para, flags=re.M):
            problems.append(f"pipes left in a paragraph: {para[:80]!r}")
    if '<pre><code class="language-mermaid">' not in html:
        problems.append("no mermaid block")
    print(f"{path}: {tables} tables rendered" + ("" if not problems else " — FAILED"))
    return problems


def main() -> int:
    failed = False
    for path in sys.argv[1:]:
        for p in check(path):
            print(f"  {p}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
