"""The widget's weight: its source, the committed build (/widget.js serves it) and that gzipped.

    python bench/widget_size.py          # a table; exit status 1 if over budget or the build is stale
    python bench/widget_size.py --json   # one JSON object

Everything the page loads to show the survey is this one script: the CSS is a string
inside it and it uses the system font stack (no web fonts, no images). The build is
`make widget` (esbuild, in widgets/); this only reads what it committed.
"""
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from feedback_service.web.widget_asset import WIDGET_BUILD, WIDGET_DIR, stale_build  # noqa: E402

SOURCES = sorted((WIDGET_DIR / "src").glob("*.js"))
BUDGET = 6 * 1024  # bytes, gzipped, script + styles + fonts
COMPARISON = [  # gzipped bytes of what the page loads to show a survey (issue #3)
    ("Formbricks renderer", 750 * 1024),
    ("Hotjar surveys", 16 * 1024),
    ("PostHog surveys", 10 * 1024),
]


def measure():
    raw = b"".join(path.read_bytes() for path in SOURCES)
    minified = WIDGET_BUILD.read_bytes()
    return {
        "source": str(WIDGET_DIR / "src"),
        "build": str(WIDGET_BUILD),
        "raw": len(raw),
        "minified": len(minified),
        "gzip": len(gzip.compress(minified, 9)),
        "gzip_level6": len(gzip.compress(minified, 6)),
        "raw_gzip": len(gzip.compress(raw, 9)),
        "budget_gzip": BUDGET,
        "stale": stale_build(),
    }


def main(argv):
    m = measure()
    m["within_budget"] = m["gzip"] <= BUDGET
    if "--json" in argv:
        print(json.dumps(dict(m, comparison={name: size for name, size in COMPARISON})))
    else:
        kb = lambda n: f"{n:>7,} B  {n / 1024:6.1f} KB"
        print(f"widget: {m['source']} ({len(SOURCES)} modules) -> {m['build']}")
        print(f"  raw source             {kb(m['raw'])}   (gzipped unminified: {m['raw_gzip']:,} B)")
        print(f"  minified (esbuild)     {kb(m['minified'])}")
        print(f"  minified + gzip -9     {kb(m['gzip'])}   (gzip -6: {m['gzip_level6']:,} B)")
        verdict = "OK" if m["within_budget"] else "OVER BUDGET"
        print(f"  budget (gzipped)       {kb(BUDGET)}   {verdict}, {m['gzip'] / BUDGET:.0%} of it")
        print("comparison (gzipped, what the page loads to show a survey):")
        for name, size in COMPARISON:
            print(f"  {name:<22} {kb(size)}   {size / m['gzip']:5.1f}x this widget")
        for problem in m["stale"]:
            print(f"STALE BUILD: {problem}; run `make widget`")
    return 0 if m["within_budget"] and not m["stale"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
