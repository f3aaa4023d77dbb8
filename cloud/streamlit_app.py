"""Entry point for Streamlit Community Cloud: the same app, with cloud/requirements.txt beside it.

Community Cloud installs the dependency file next to the entrypoint, so this folder can carry
CPU-only torch wheels while the root requirements.txt keeps the pinned local build.
"""
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # so `import ui` / `import gan_core` work from this folder

runpy.run_path(str(ROOT / "streamlit_app.py"), run_name="__main__")
