"""The widget's build: committed, current, and what /widget.js serves (no Node needed here)."""

from __future__ import annotations

import gzip
import hashlib

from feedback_service.web import widget_asset


def test_the_committed_build_matches_the_widget_source():
    # make widget writes widgets/dist/build.sha256: the sha256 of every file it read and wrote.
    problems = widget_asset.stale_build()
    assert not problems, f"widgets/dist is stale ({'; '.join(problems)}): run `make widget`, commit widgets/dist"


def test_a_source_changed_after_the_build_is_caught(tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    (tmp_path / "dist").mkdir()
    (tmp_path / "src" / "widget.js").write_text("console.log(1);\n")
    (tmp_path / "dist" / "widget.min.js").write_text("console.log(1);")
    digest = lambda name: hashlib.sha256((tmp_path / name).read_bytes()).hexdigest()
    (tmp_path / "dist" / "build.sha256").write_text(
        f"{digest('src/widget.js')}  src/widget.js\n{digest('dist/widget.min.js')}  dist/widget.min.js\n")
    monkeypatch.setattr(widget_asset, "WIDGET_DIR", tmp_path)
    monkeypatch.setattr(widget_asset, "BUILD_MANIFEST", tmp_path / "dist" / "build.sha256")
    assert widget_asset.stale_build() == []

    (tmp_path / "src" / "widget.js").write_text("console.log(2);\n")
    (tmp_path / "src" / "queue.js").write_text("export {};\n")
    (tmp_path / "dist" / "widget.min.js").write_text("console.log(3);")
    assert widget_asset.stale_build() == [
        "dist/widget.min.js changed since the build",
        "src/queue.js is not in the build",
        "src/widget.js changed since the build",
    ]


def test_widget_js_serves_the_committed_build(client):
    build = widget_asset.WIDGET_BUILD.read_bytes()

    zipped = client.get("/widget.js", headers={"Accept-Encoding": "gzip, br"})
    plain = client.get("/widget.js")

    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == build
    assert plain.data == build and "Content-Encoding" not in plain.headers
    assert plain.mimetype == "application/javascript"
    assert zipped.headers["ETag"] == plain.headers["ETag"] == f'"{hashlib.sha256(build).hexdigest()[:20]}"'
    assert "Accept-Encoding" in plain.headers["Vary"]
    assert client.get("/widget.js", headers={"If-None-Match": plain.headers["ETag"]}).status_code == 304


def test_the_build_keeps_the_widgets_promises():
    build = widget_asset.WIDGET_BUILD.read_text(encoding="ascii")  # esbuild escapes the rest

    assert build.startswith('"use strict";\n(()=>{')  # one IIFE, strict as the source modules are
    for forbidden in ("eval(", "Function(", "innerHTML", "import(", "export "):
        assert forbidden not in build
    # The localStorage keys are a format pages already hold: a rename would strand their answers.
    assert '"feedback_widget.pending.v1"' in build and '"feedback_widget.seen.v1"' in build
