"""Charts for every app: one Vega-Lite spec (built with Vega-Altair) goes to the browser as JSON
and to PDFs and e-mails as SVG or PNG rendered by vl-convert, with no CDN and no browser.

The browser side is the vega bundle of vl-convert (``vl_convert.javascript_bundle()``: vega,
vega-lite and vega-embed, ~0.9 MB, defining ``window.vegaEmbed``), built once into the static file
``pappus/static/vendor/vega-bundle.min.js`` with ``python -m pappus.core.charts`` (run it again
after upgrading vl-convert-python). Pages include it with ``{% static 'vendor/vega-bundle.min.js' %}``
and ``{% static 'vendor/pappus-charts.js' %}``; the latter draws every element carrying a
``data-vega-spec`` attribute (the id of a ``json_script`` element), on load and after htmx swaps.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import vl_convert

STATIC_VENDOR = Path(__file__).resolve().parents[1] / "static" / "vendor"
BUNDLE_PATH = STATIC_VENDOR / "vega-bundle.min.js"

Spec = dict[str, Any]


def to_svg(spec: Spec) -> str:
    """The chart as an SVG document (for PDFs); fonts come from the system (Noto CJK for Chinese)."""
    return str(vl_convert.vegalite_to_svg(spec))


def to_png(spec: Spec, *, scale: float = 2.0) -> bytes:
    """The chart as PNG bytes (for e-mails)."""
    return bytes(vl_convert.vegalite_to_png(spec, scale=scale))


def to_json(spec: Spec) -> str:
    """The spec as JSON for the browser."""
    return json.dumps(spec, ensure_ascii=False, sort_keys=True)


def write_bundle(path: Path = BUNDLE_PATH) -> Path:
    """Build vl-convert's browser bundle into ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Called without a snippet the bundle defines window.vegaEmbed (the stub wrongly requires one).
    path.write_text(vl_convert.javascript_bundle(), encoding="utf-8")  # type: ignore[call-arg]
    return path


if __name__ == "__main__":
    written = write_bundle(Path(sys.argv[1]) if len(sys.argv) > 1 else BUNDLE_PATH)
    sys.stdout.write(f"{written} ({written.stat().st_size} bytes)\n")
