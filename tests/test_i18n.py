"""Both catalogues hold the same keys, the same placeholders, and no empty strings."""
import json
import re
import string

import pytest

from ui.i18n import LANGS, LOCALE_DIR, catalogue, lang_from_locale, t


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_same_files_in_each_language():
    files = {lang: sorted(p.name for p in (LOCALE_DIR / lang).glob("*.json")) for lang in LANGS}
    assert files["ko"] == files["en"]
    assert files["en"], "no catalogue files"


def test_catalogues_have_same_keys_and_placeholders():
    ko, en = catalogue("ko"), catalogue("en")
    assert set(ko) == set(en), f"only ko: {set(ko) - set(en)}; only en: {set(en) - set(ko)}"
    for key in en:
        assert _fields(ko[key]) == _fields(en[key]), f"placeholders differ in {key}"
        assert ko[key].strip() and en[key].strip(), f"empty string for {key}"


def test_korean_catalogue_is_korean():
    ko = catalogue("ko")
    hangul = sum(1 for v in ko.values() if re.search(r"[\uac00-\ud7a3]", v))
    assert hangul / len(ko) > 0.6, "most Korean strings should contain Hangul"


@pytest.mark.parametrize("path", sorted(LOCALE_DIR.glob("*/*.json")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_catalogue_files_are_flat_string_maps(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    assert all(isinstance(v, str) for v in data.values())


def test_lookup_and_fallbacks():
    for lang in LANGS:  # a key is looked up in its area's file of that language
        nav = json.loads((LOCALE_DIR / lang / "nav.json").read_text(encoding="utf-8"))
        assert t("nav.lab", lang=lang) == nav["lab"]
    assert t("nav.lab", lang="ko") != t("nav.lab", lang="en")
    assert t("no.such.key", lang="ko") == "no.such.key"
    assert lang_from_locale("ko-KR") == "ko" and lang_from_locale("en-US") == "en"
    assert lang_from_locale(None) == "en"
