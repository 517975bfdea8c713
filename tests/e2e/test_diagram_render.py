"""Each shipped diagram rendered by bpmn-js in chromium at 100 %, to a PNG an analyst can look at.

bpmn-js must import every diagram without a warning (an element it cannot draw, a DI reference to nothing).
The PNGs go to the screenshots folder (test-results/screenshots when HOTICH_SCREENSHOTS is set).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.procedures import all_procedures
from tests.e2e.test_browser import browser, shots  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser
VIEWER = Path("app/web/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js")
ASSETS = Path("app/web/static/vendor/bpmn-js/assets")
PAGE = """<!doctype html><html><head><meta charset="utf-8">
<style>{css}</style><style>html,body{{margin:0;background:#fff}} #canvas{{width:{w}px;height:{h}px}}</style>
</head><body><div id="canvas"></div><script>{js}</script></body></html>"""


def render(browser: Any, xml: str, out: Path) -> dict[str, Any]:  # noqa: F811 - the fixture, passed on
    """Draw the diagram at zoom 1 and screenshot all of it; returns bpmn-js's import warnings and the
    diagram's size."""
    css = "\n".join((ASSETS / name).read_text(encoding="utf-8") for name in ("diagram-js.css", "bpmn-js.css"))
    page = browser.new_page(viewport={"width": 800, "height": 600})
    page.set_content(PAGE.format(css=css, js=VIEWER.read_text(encoding="utf-8"), w=800, h=600))
    result: dict[str, Any] = page.evaluate(
        """async (xml) => {
            const viewer = new BpmnJS({container: '#canvas'});
            const {warnings} = await viewer.importXML(xml);
            const canvas = viewer.get('canvas');
            const box = canvas.viewbox().inner;
            const root = document.getElementById('canvas');
            root.style.width = (box.width + 40) + 'px';
            root.style.height = (box.height + 40) + 'px';
            canvas.resized();
            canvas.viewbox({x: box.x - 20, y: box.y - 20, width: box.width + 40, height: box.height + 40});
            return {warnings: warnings.map(w => w.message), width: box.width, height: box.height,
                    zoom: canvas.zoom()};
        }""",
        xml,
    )
    page.set_viewport_size({"width": int(result["width"]) + 40, "height": int(result["height"]) + 40})
    page.locator("#canvas").screenshot(path=str(out))
    page.close()
    return result


@pytest.mark.parametrize("procedure", [p.process_key for p in all_procedures()])
def test_shipped_diagram_renders_cleanly(browser: Any, shots: Path, procedure: str) -> None:  # noqa: F811
    path = next(p.bpmn_path for p in all_procedures() if p.process_key == procedure)
    out = shots / f"diagram_{procedure}.png"
    result = render(browser, path.read_text(encoding="utf-8"), out)
    assert result["warnings"] == []
    assert abs(result["zoom"] - 1) < 0.01  # drawn at 100 %
    assert out.stat().st_size > 10_000
