"""The glossary: every term in Korean and English, the other words textbooks use for it, where
the app shows it and the paper behind it; then the references, as plain citations.

Words live in ``ui/locales/<lang>/glossary.json``: ``<id>_term``, ``<id>_syn`` (other words, in
that language), ``<id>_def``; ``ref_<paper>`` (the citation) and ``short_<paper>`` (author, year).
"""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui import nav
from ui.i18n import LANGS, current_lang, t

SEARCH = "glossary_search"


@dataclass(frozen=True)
class Entry:
    eid: str  # catalogue stem (glossary.<eid>_term ...)
    page: str  # nav slug of the page that shows the idea
    papers: tuple[str, ...] = ()  # keys of REFERENCES


# The papers the app's pages use, oldest idea first.
REFERENCES = ("goodfellow2014", "kingma2014", "mirza2014", "jaderberg2015", "radford2016", "gatys2016",
              "isola2017", "zhu2017", "chu2017", "metz2017", "ledig2017", "srivastava2017", "loshchilov2017",
              "gulrajani2017", "karras2018", "lin2018", "mescheder2018", "karras2019", "liu2019", "liu2020")

G14 = ("goodfellow2014",)
ENTRIES: tuple[Entry, ...] = (
    Entry("gan", "home", G14),
    Entry("analogy", "analogy", G14),
    Entry("generator", "procedure", G14),
    Entry("discriminator", "procedure", G14),
    Entry("latent", "lab"),
    Entry("nz", "lab"),
    Entry("training", "lab"),
    Entry("update", "procedure"),
    Entry("k", "procedure", G14),
    Entry("lr", "lab"),
    Entry("gradient", "minimax"),
    Entry("value", "minimax", G14),
    Entry("dstar", "minimax", G14),
    Entry("nonsat", "minimax", G14),
    Entry("bce", "minimax"),
    Entry("snapshot", "lab"),
    Entry("collapse", "mode_collapse", ("metz2017", "srivastava2017", "lin2018", "loshchilov2017",
                                        "mescheder2018")),
    Entry("critic", "mode_collapse", ("gulrajani2017",)),
    Entry("score", "lab"),
    Entry("dcgan", "family", ("radford2016",)),
    Entry("cgan", "lab", ("mirza2014",)),
    Entry("selfcond", "lab", ("liu2020",)),
    Entry("pix2pix", "family", ("isola2017",)),
    Entry("cyclegan", "cyclegan", ("zhu2017",)),
    Entry("cycle", "cyclegan", ("zhu2017",)),
    Entry("identity", "cyclegan", ("zhu2017",)),
    Entry("hiding", "cyclegan", ("chu2017",)),
    Entry("stn", "cyclegan", ("jaderberg2015",)),
    Entry("vae", "family", ("kingma2014",)),
    Entry("kl", "family", ("kingma2014",)),
    Entry("progressive", "family", ("karras2018",)),
    Entry("stylegan", "family", ("karras2019",)),
    Entry("style_transfer", "family", ("gatys2016",)),
    Entry("gram", "family", ("gatys2016",)),
    Entry("superres", "family", ("ledig2017",)),
)


def entry_text(e: Entry) -> str:
    """Everything an entry says, in both languages (what the search looks in)."""
    parts = ("term", "syn", "def")
    return " ".join(t(f"glossary.{e.eid}_{part}", lang=lang) for lang in LANGS for part in parts)


def matching(query: str) -> list[Entry]:
    """The entries whose words (either language, any synonym) contain ``query``."""
    q = (query or "").strip().casefold()
    return [e for e in ENTRIES if not q or q in entry_text(e).casefold()]


def papers_caption(papers: tuple[str, ...]) -> str:
    return t("glossary.paper", refs="; ".join(t(f"glossary.short_{p}") for p in papers))


def _entry(e: Entry, lang: str) -> None:
    other = next(x for x in LANGS if x != lang)
    with st.container(border=True):
        st.markdown(f"**{t(f'glossary.{e.eid}_term')}** · {t(f'glossary.{e.eid}_term', lang=other)}")
        st.write(t(f"glossary.{e.eid}_def"))
        st.caption(f"{t('glossary.syn_ko')}: {t(f'glossary.{e.eid}_syn', lang='ko')}")
        st.caption(f"{t('glossary.syn_en')}: {t(f'glossary.{e.eid}_syn', lang='en')}")
        if e.papers:
            st.caption(papers_caption(e.papers))
        if any(p.slug == e.page for p in nav.available_pages()):
            st.page_link(nav.page_file(e.page), label=t("glossary.where", page=t(f"nav.{e.page}")),
                         icon=":material/arrow_forward:")


def references() -> None:
    st.header(t("glossary.refs_title"))
    st.caption(t("glossary.refs_intro"))
    st.markdown("\n".join(f"{i}. {t(f'glossary.ref_{r}')}" for i, r in enumerate(REFERENCES, start=1)))


def render() -> None:
    lang = current_lang()
    st.title(t("glossary.title"))
    st.caption(t("glossary.intro"))
    query = st.text_input(t("glossary.search"), key=SEARCH, placeholder=t("glossary.search_hint"))
    shown = matching(query)
    st.caption(t("glossary.count", n=len(shown), total=len(ENTRIES)))
    if not shown:
        st.info(t("glossary.none", query=query.strip()), icon=":material/search_off:")
    cols = st.columns(2)
    for i, e in enumerate(shown):
        with cols[i % 2]:
            _entry(e, lang)
    references()
