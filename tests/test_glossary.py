"""The glossary page: every term in both languages with the synonyms Korean textbooks use, a
link to where the app shows it, and the references the pages rest on."""
from __future__ import annotations

import re

import pytest
from apptest import open_page

from ui import glossary_view as gv
from ui import nav
from ui.i18n import LANGS, catalogue, t

# arXiv / CVF address of each paper the issue names
PAPERS = {
    "goodfellow2014": "arxiv.org/abs/1406.2661", "radford2016": "arxiv.org/abs/1511.06434",
    "mirza2014": "arxiv.org/abs/1411.1784", "isola2017": "arxiv.org/abs/1611.07004",
    "zhu2017": "arxiv.org/abs/1703.10593", "metz2017": "arxiv.org/abs/1611.02163",
    "lin2018": "arxiv.org/abs/1712.04086", "srivastava2017": "arxiv.org/abs/1705.07761",
    "gulrajani2017": "arxiv.org/abs/1704.00028", "karras2019": "arxiv.org/abs/1812.04948",
    "liu2020": "openaccess.thecvf.com/content_CVPR_2020/html/Liu_Diverse_Image_Generation",
    "loshchilov2017": "arxiv.org/abs/1608.03983", "mescheder2018": "arxiv.org/abs/1801.04406",
    "kingma2014": "arxiv.org/abs/1312.6114", "gatys2016": "arxiv.org/abs/1508.06576",
    "ledig2017": "arxiv.org/abs/1609.04802", "karras2018": "arxiv.org/abs/1710.10196",
    "liu2019": "arxiv.org/abs/1905.01723", "jaderberg2015": "arxiv.org/abs/1506.02025",
    "chu2017": "arxiv.org/abs/1712.02950",
}


@pytest.mark.parametrize("lang", LANGS)
def test_every_entry_is_complete_and_links_a_real_page(lang):
    cat = catalogue(lang)
    slugs = {p.slug for p in nav.PAGES}
    assert len({e.eid for e in gv.ENTRIES}) == len(gv.ENTRIES) >= 25
    for e in gv.ENTRIES:
        for part in ("term", "syn", "def"):
            assert cat.get(f"glossary.{e.eid}_{part}", "").strip(), f"{lang}: glossary.{e.eid}_{part}"
        assert e.page in slugs and e.page != "glossary"
        assert set(e.papers) <= set(gv.REFERENCES)
    # no catalogue entry without a place on the page
    parts = r"glossary\.\w+_(term|syn|def)$"
    stems = {k.split(".", 1)[1].rsplit("_", 1)[0] for k in cat if re.match(parts, k)}
    assert stems == {e.eid for e in gv.ENTRIES}


def test_korean_textbook_synonyms_are_listed():
    ko = catalogue("ko")
    expected = {"discriminator": ("감별자", "판별기", "식별자", "구분자"), "generator": ("생성기", "생성망"),
                "latent": ("잠재 벡터", "잠재 변수"), "training": ("학습",), "gradient": ("그래디언트",)}
    for eid, words in expected.items():
        listed = [w.strip() for w in ko[f"glossary.{eid}_syn"].split(",")]
        assert set(words) <= set(listed), eid
    assert "노이즈 벡터" in ko["glossary.latent_term"]
    assert ko["glossary.discriminator_term"].startswith("판별자")


def test_references_cite_each_paper_with_its_address():
    assert set(gv.REFERENCES) == set(PAPERS)
    for lang in LANGS:
        for ref, address in PAPERS.items():
            assert f"https://{address}" in t(f"glossary.ref_{ref}", lang=lang)
            assert t(f"glossary.short_{ref}", lang=lang).strip()
    cited = {p for e in gv.ENTRIES for p in e.papers}
    assert cited == set(PAPERS) - {"liu2019"}  # FUNIT (GANimal) is cited by an application, not a term


def test_search_looks_in_both_languages_and_every_synonym():
    assert [e.eid for e in gv.matching("구분자")] == ["discriminator"]
    assert [e.eid for e in gv.matching("Discriminator (D)")] == ["discriminator"]
    assert "latent" in [e.eid for e in gv.matching("LATENT")]
    assert gv.matching("") == list(gv.ENTRIES)
    assert gv.matching("no such word at all") == []


def test_glossary_is_registered_before_the_teacher_page():
    slugs = [p.slug for p in nav.PAGES]
    assert slugs.index("glossary") == slugs.index("teacher") - 1
    assert "glossary" not in [p.slug for p in nav.course_pages()]


@pytest.mark.parametrize("lang", LANGS)
def test_page_lists_every_term_with_a_link_and_the_references(lang):
    at = open_page("glossary", lang)
    links = at.get("page_link")
    assert len(links) == len(gv.ENTRIES)
    expected = [t("glossary.where", lang=lang, page=t(f"nav.{e.page}", lang=lang)) for e in gv.ENTRIES]
    assert sorted(lk.proto.label for lk in links) == sorted(expected)  # two columns
    text = " ".join(m.value for m in at.markdown)
    for ref in gv.REFERENCES:
        assert t(f"glossary.ref_{ref}", lang=lang) in text
    assert at.caption[1].value == t("glossary.count", lang=lang, n=len(gv.ENTRIES), total=len(gv.ENTRIES))

    at.text_input(key=gv.SEARCH).input("구분자").run()
    assert len(at.get("page_link")) == 1
    at.text_input(key=gv.SEARCH).input("zzzz").run()
    assert len(at.get("page_link")) == 0
    assert [i.value for i in at.info] == [t("glossary.none", lang=lang, query="zzzz")]
