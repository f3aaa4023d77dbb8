"""The Community Cloud entrypoint (cloud/streamlit_app.py) runs the same app and its links work."""
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui import nav
from ui.i18n import t

ROOT = Path(__file__).resolve().parent.parent


def _names(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            name = re.split(r"[=<>~!]", line, maxsplit=1)[0].strip().lower()
            out[name] = line
    return out


def test_cloud_entry_renders_home_with_working_links_and_pages(clear_st_caches):
    at = AppTest.from_file(str(ROOT / "cloud" / "streamlit_app.py"), default_timeout=60)
    at.session_state["lang"] = "ko"
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == t("home.title", lang="ko")
    links = at.get("page_link")
    # one card per course step after home, and the teacher's link to a tiny run in the Lab
    assert len(links) == len(nav.course_pages()) - 1 + 1
    assert all(link.proto.page_script_hash for link in links)  # every link resolved to a page
    at.switch_page("../pages/quiz.py")
    at.run()
    assert not at.exception and at.title[0].value == t("quiz.title", lang="ko")


def test_cloud_requirements_match_the_root_ones_but_for_cpu_torch():
    root, cloud = _names(ROOT / "requirements.txt"), _names(ROOT / "cloud" / "requirements.txt")
    assert set(root) == set(cloud)
    for name in set(root) - {"torch", "torchvision"}:
        assert root[name] == cloud[name]
    assert cloud["torch"] == root["torch"] + "+cpu" and cloud["torchvision"] == root["torchvision"] + "+cpu"
    assert "download.pytorch.org/whl/cpu" in (ROOT / "cloud" / "requirements.txt").read_text()
