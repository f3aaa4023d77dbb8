"""The code views: every excerpt shown is a verbatim part of the gan_core file it names, the
procedure page shows the lines of the sub-step that just ran, and the Lab shows its run's code."""
import inspect
import textwrap

import pytest

from gan_core import losses, models, train
from gan_core.config import LOSSES, PRESETS
from gan_core.source import ROOT, Piece, model_classes, snippet, step_pieces, substep_pieces
from tests.apptest import open_page
from ui import code_view
from ui.i18n import t

KINDS = ("d_real", "d_fake", "g")


def _is_verbatim(text: str, file: str, first_line: int) -> bool:
    """``text`` is the file's lines from ``first_line`` on, less their common indentation."""
    lines = (ROOT / file).read_text(encoding="utf-8").splitlines(keepends=True)
    shown = text.splitlines(keepends=True)
    block = "".join(lines[first_line - 1 : first_line - 1 + len(shown)])
    return len(shown) > 0 and textwrap.dedent(block) == text


def _all_pieces() -> list[Piece]:
    pieces = [p for loss in LOSSES for kind in KINDS for p in substep_pieces(kind, loss)]
    pieces += [p for loss in LOSSES for p in step_pieces(loss)]
    arch_pieces = [Piece(cls) for arch in ("mlp-book", "dcgan", "toy-mlp") for cls in model_classes(arch)]
    return pieces + arch_pieces


def test_every_shown_excerpt_is_a_verbatim_part_of_the_file_it_names():
    for p in _all_pieces():
        code = p.code()
        assert code.file.startswith("gan_core/") and code.file.endswith(".py"), code.file
        assert _is_verbatim(code.text, code.file, code.first_line), (code.name, code.text)
        assert _is_verbatim(code.full, code.file, code.full_first_line), code.name
        # the excerpt sits inside its function, at the line the page says
        full_lines = code.full.splitlines()
        n = code.last_line - code.first_line + 1
        inside = "\n".join(full_lines[code.offset - 1 : code.offset - 1 + n])
        assert textwrap.dedent(inside) + "\n" == code.text


def test_the_excerpts_are_the_lines_that_do_each_sub_step():
    by_kind = {kind: "".join(p.code().text for p in substep_pieces(kind)) for kind in KINDS}
    assert "for j in range(cfg.k):" in by_kind["d_real"] and "self.batches.next()" in by_kind["d_real"]
    assert "F.softplus(-logit_real)" in by_kind["d_real"]
    assert "fake.detach()" in by_kind["d_fake"] and "self.opt_d.step()" in by_kind["d_fake"]
    assert "p.requires_grad_(False)" in by_kind["g"] and "self.opt_g.step()" in by_kind["g"]
    assert "return F.softplus(-logit_fake).mean()" in by_kind["g"]
    assert "self.opt_g" not in by_kind["d_real"] + by_kind["d_fake"]
    hinge = "".join(p.code().text for p in substep_pieces("g", "hinge"))
    assert "return -logit_fake.mean()" in hinge and "softplus" not in hinge


def test_snippet_reads_the_source_and_refuses_unclear_markers():
    text, first = snippet(losses.g_loss)
    assert text == inspect.getsource(losses.g_loss) and first == inspect.getsourcelines(losses.g_loss)[1]
    line, at = snippet(train, "SAMPLE_GRID = ")
    assert line.startswith("SAMPLE_GRID = 64") and line.count("\n") == 1 and at > 1
    with pytest.raises(ValueError, match="not found"):
        snippet(losses.d_loss, "no such line")
    with pytest.raises(ValueError, match="lines, not one"):
        snippet(losses.d_loss, ".mean()")  # on several lines: ambiguous
    with pytest.raises(ValueError):
        substep_pieces("d_both")


@pytest.mark.parametrize("name", ["seed-book", "quick", "tiny", "cgan", "ring8"])
def test_model_classes_are_what_build_makes(name):
    cfg = PRESETS[name]
    g, d = models.build(cfg)
    assert (type(g), type(d)) == model_classes(cfg.arch)


def _codes(at) -> list[str]:
    return [c.value.rstrip("\n") for c in at.code]  # st.code drops the last newline


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_procedure_page_shows_the_lines_of_the_sub_step_that_ran(lang, clear_st_caches):
    at = open_page("procedure", lang)
    assert t("code.book_title", lang=lang) in [e.label for e in at.expander]
    assert t("code.substep_title", lang=lang) not in " ".join(m.value for m in at.markdown)
    for kind in ("d_real", "d_fake", "g"):
        [b for b in at.button if b.label == t("procedure.next", lang=lang)][0].click().run()
        assert not at.exception, at.exception
        shown = _codes(at)
        wanted = [p.code() for p in substep_pieces(kind, "nonsat")]
        for code in wanted:
            assert code.text.rstrip("\n") in shown, (kind, code.name)
        others = ({p.code().text.rstrip("\n") for k in KINDS if k != kind for p in substep_pieces(k)}
                  - {c.text.rstrip("\n") for c in wanted})
        assert not others & set(shown), kind
        idea = t(f"code.idea_{substep_pieces(kind)[0].idea}", lang=lang)
        assert idea in " ".join(m.value for m in at.markdown)


def test_lab_code_view_shows_the_runs_models_step_and_settings(clear_st_caches, fresh_pool):
    cfg = PRESETS["tiny"].replace(steps=8, snapshots=3)
    at = open_page("lab", "ko", state={"lab_cfg": cfg.to_dict()}, timeout=180)
    box = [e for e in at.expander if e.label == t("code.lab_title", lang="ko")]
    assert len(box) == 1 and not _codes(at)  # closed: nothing made yet
    at.session_state[code_view.OPEN_KEY] = True  # as a click on it does
    at.run()
    shown = _codes(at)
    for obj, *markers in ((models.SeedGenerator,), (models.SeedDiscriminator,), (train.Trainer.step,),
                          (losses.g_loss, 'if kind == "nonsat"', "F.softplus(-logit_fake)")):
        assert snippet(obj, *markers)[0].rstrip("\n") in shown, obj
    assert any("steps=8," in c and "dataset='mnist5k'," in c for c in shown)
    mine = [t(f"code.dl_{x}", lang="ko") for x in ("ipynb", "py", "data")]
    assert [b.proto.label for b in at.get("download_button") if b.proto.label in mine] == mine


def test_lab_code_view_of_a_toy_run_has_its_models_and_no_digits_file(clear_st_caches, fresh_pool):
    at = open_page("lab", "en", state={"lab_cfg": PRESETS["ring8"].to_dict(), code_view.OPEN_KEY: True},
                   timeout=180)
    assert snippet(models.ToyGenerator)[0].rstrip("\n") in _codes(at)
    mine = [t(f"code.dl_{x}", lang="en") for x in ("ipynb", "py", "data")]
    assert [b.proto.label for b in at.get("download_button") if b.proto.label in mine] == mine[:2]
