"""The first page must render without torch (start-up time): checked in a fresh interpreter."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_IMPORTS = """
import json, sys
import ui.i18n, ui.nav, gan_core.config
print(json.dumps(sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))))
"""

# The page starts the engine's import in a background thread once it is drawn (ui.warmup); that
# thread's work is held back here, or it could import torch before the modules are listed.
_HOME = """
import json, sys
from streamlit.testing.v1 import AppTest
import ui.warmup
ui.warmup._work = lambda: None
at = AppTest.from_file("streamlit_app.py", default_timeout=60)
at.session_state["lang"] = "en"
at.run()
assert not at.exception, at.exception
titles = [e.value for e in at.title]
print(json.dumps({"titles": titles, "warmup_started": ui.warmup._started,
                  "torch": sorted(m for m in sys.modules if m == "torch" or m.startswith("torch."))}))
"""


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


def test_entry_point_modules_do_not_import_torch():
    assert json.loads(_run(_IMPORTS)) == []


def test_home_page_renders_without_torch():
    got = json.loads(_run(_HOME))
    assert got["titles"], "the home page drew no title"
    assert got["torch"] == []
    assert got["warmup_started"]  # and it asked for the engine to load after it
