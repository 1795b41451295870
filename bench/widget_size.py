"""The widget's weight: raw, minified (rjsmin, as served at /widget.js) and gzipped bytes.

    python bench/widget_size.py          # a table; exit status 1 if over budget
    python bench/widget_size.py --json   # one JSON object

Everything the page loads to show the survey is this one script: the CSS is a string
inside it and it uses the system font stack (no web fonts, no images).
"""
import gzip
import json
import sys
from pathlib import Path

try:
    import rjsmin
except ImportError:  # pragma: no cover
    sys.exit("rjsmin is not installed: pip install rjsmin (the service uses it to serve /widget.js)")

WIDGET = Path(__file__).resolve().parent.parent / "widgets" / "widget.js"
BUDGET = 6 * 1024  # bytes, gzipped, script + styles + fonts
COMPARISON = [  # gzipped bytes of what the page loads to show a survey (issue #3)
    ("Formbricks renderer", 750 * 1024),
    ("Hotjar surveys", 16 * 1024),
    ("PostHog surveys", 10 * 1024),
]


def measure(path=WIDGET):
    raw = path.read_bytes()
    minified = rjsmin.jsmin(raw.decode("utf-8")).encode("utf-8")
    return {
        "file": str(path),
        "raw": len(raw),
        "minified": len(minified),
        "gzip": len(gzip.compress(minified, 9)),
        "gzip_level6": len(gzip.compress(minified, 6)),
        "raw_gzip": len(gzip.compress(raw, 9)),
        "budget_gzip": BUDGET,
    }


def main(argv):
    m = measure()
    m["within_budget"] = m["gzip"] <= BUDGET
    if "--json" in argv:
        print(json.dumps(dict(m, comparison={name: size for name, size in COMPARISON})))
    else:
        kb = lambda n: f"{n:>7,} B  {n / 1024:6.1f} KB"
        print(f"widget: {m['file']}")
        print(f"  raw source             {kb(m['raw'])}   (gzipped unminified: {m['raw_gzip']:,} B)")
        print(f"  minified (rjsmin)      {kb(m['minified'])}")
        print(f"  minified + gzip -9     {kb(m['gzip'])}   (gzip -6: {m['gzip_level6']:,} B)")
        verdict = "OK" if m["within_budget"] else "OVER BUDGET"
        print(f"  budget (gzipped)       {kb(BUDGET)}   {verdict}, {m['gzip'] / BUDGET:.0%} of it")
        print("comparison (gzipped, what the page loads to show a survey):")
        for name, size in COMPARISON:
            print(f"  {name:<22} {kb(size)}   {size / m['gzip']:5.1f}x this widget")
    return 0 if m["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
