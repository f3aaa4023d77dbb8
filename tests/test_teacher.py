"""The teacher's view: the passcode gate (none set, wrong, lockout, secrets first), the queue with a
real held training, cancelling it, limits refused and applied, warming and the atlas check."""
from __future__ import annotations

import ast
import hmac
from pathlib import Path

import pytest

from gan_core.config import PRESETS
from gan_core.jobs import LIMIT_RANGES, ClassLimits
from tests.apptest import open_page
from ui import teacher_gate as tg
from ui import teacher_view as tv
from ui.i18n import t

CODE = "owl-lantern-42"
LANGS = ["ko", "en"]


@pytest.fixture
def passcode(monkeypatch):
    monkeypatch.setenv(tg.ENV, CODE)
    return CODE


def _open(lang="en"):
    return open_page("teacher", lang, timeout=180)


def _click(at, label: str, key: str | None = None):
    button = at.button(key=key) if key else next(b for b in at.button if b.label == label)
    return button.click().run()


def _unlock(at, code=CODE, lang="en"):
    at.text_input(key=tg.INPUT).input(code)
    _click(at, t("teacher.unlock", lang=lang))
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at) -> list[str]:
    kinds = ("markdown", "caption", "info", "success", "warning", "error", "metric")
    return [str(x.value) for kind in kinds for x in getattr(at, kind)]


def _no_server_reads(pool, monkeypatch):
    """Reading the pool before unlocking fails the page (and so the test)."""
    def refuse(*args, **kwargs):
        raise AssertionError("the server was read before unlocking")

    for name in ("active", "recent", "cancel", "set_limits", "submit", "peek"):
        monkeypatch.setattr(pool, name, refuse)
    monkeypatch.setattr(pool.store, "disk_bytes", refuse)
    monkeypatch.setattr(pool.store, "is_shipped", refuse)


# ---- the gate -----------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_without_a_passcode_the_page_says_how_to_set_one_and_shows_nothing(lang, monkeypatch, fresh_pool,
                                                                              clear_st_caches):
    monkeypatch.delenv(tg.ENV, raising=False)
    _no_server_reads(fresh_pool, monkeypatch)
    at = _open(lang)
    assert at.title[0].value == t("teacher.title", lang=lang)
    assert [i.value for i in at.info] == [t("teacher.no_passcode", lang=lang, env=tg.ENV, secret=tg.SECRET)]
    assert not at.text_input and not at.button and not at.metric and not at.dataframe


@pytest.mark.parametrize("lang", LANGS)
def test_wrong_passcodes_lock_the_session_out_and_never_show_the_queue(lang, passcode, monkeypatch,
                                                                         fresh_pool, clear_st_caches):
    minutes = tg.LOCKOUT_SECONDS // 60
    with pytest.MonkeyPatch.context() as guard:
        _no_server_reads(fresh_pool, guard)
        at = _open(lang)
        field = at.text_input(key=tg.INPUT)
        assert field.proto.type == field.proto.PASSWORD
        for i in range(1, tg.MAX_TRIES):
            _unlock(at, f"guess-{i}", lang)
            assert [e.value for e in at.error] == [t("teacher.wrong", lang=lang, left=tg.MAX_TRIES - i,
                                                     minutes=minutes)]
        _unlock(at, "guess-last", lang)
        locked = t("teacher.locked_out", lang=lang, minutes=minutes)
        assert [w.value for w in at.warning] == [locked] and not at.error
        # locked out: no field to type in, however often the page is opened again
        for _ in range(3):
            at.run()
            assert [w.value for w in at.warning] == [locked]
            assert not at.text_input and not at.metric and not at.dataframe and not at.get("progress")
        assert tg.UNLOCKED not in at.session_state
        # once the lockout has passed the form is back; five more wrong tries lock it again
        real_now = tg._now
        monkeypatch.setattr(tg, "_now", lambda: real_now() + tg.LOCKOUT_SECONDS + 1)
        at.run()
        assert not at.warning
        for i in range(tg.MAX_TRIES):
            _unlock(at, f"again-{i}", lang)
        assert [w.value for w in at.warning] == [locked] and not at.text_input
    monkeypatch.setattr(tg, "_now", lambda: real_now() + 2 * tg.LOCKOUT_SECONDS + 2)
    at.run()
    _unlock(at, CODE, lang)  # the right passcode, after the wait
    assert not at.error and locked not in [w.value for w in at.warning] and at.metric


def test_secrets_come_before_the_environment(monkeypatch, fresh_pool, clear_st_caches):
    monkeypatch.setenv(tg.ENV, "from-the-environment")
    at = _open()
    at.secrets[tg.SECRET] = "from-the-secrets"
    at.run()
    _unlock(at, "from-the-environment")
    assert [e.value for e in at.error] == [t("teacher.wrong", lang="en", left=tg.MAX_TRIES - 1,
                                             minutes=tg.LOCKOUT_SECONDS // 60)]
    _unlock(at, "from-the-secrets")
    assert not at.error and at.metric


def test_the_passcode_stays_out_of_urls_and_state_and_a_new_one_locks_again(passcode, monkeypatch, fresh_pool,
                                                                             clear_st_caches):
    at = _unlock(_open())
    assert at.metric and not at.error
    assert CODE not in at.query_params.values() and at.session_state[tg.INPUT] == ""
    assert all(CODE not in text for text in _texts(at))
    at.run()
    assert at.metric  # unlocking lasts for the session
    monkeypatch.setenv(tg.ENV, "a-new-passcode")
    at.run()
    assert not at.metric and at.text_input(key=tg.INPUT)
    _click(at, t("teacher.unlock"))  # an empty try is a wrong try, nothing more
    _unlock(at, "a-new-passcode")
    _click(at, t("teacher.lock"))
    assert not at.metric and at.text_input(key=tg.INPUT)


def test_the_comparison_is_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert tg.check_passcode(CODE, CODE) and not tg.check_passcode("nope", CODE)
    assert not tg.check_passcode("", "")  # no passcode set: nothing opens the page
    assert calls == [(CODE.encode(), CODE.encode()), (b"nope", CODE.encode())]
    # and nowhere in the module is a passcode compared with == or !=
    tree = ast.parse(Path(tg.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            assert not names & {"entered", "passcode", "held"}, ast.unparse(node)


# ---- the queue and cancelling -----------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_queue_shows_real_jobs_and_the_teacher_cancels_them(lang, passcode, monkeypatch, fresh_pool,
                                                            clear_st_caches, tmp_path, held_steps):
    from gan_core.pool import JobPool, reset_default_pool
    from gan_core.store import RunStore

    held_steps.after = 3
    gate, reached = held_steps.gate, held_steps.reached
    running_cfg = PRESETS["tiny"].replace(steps=10, snapshots=3, seed=7 if lang == "ko" else 8)
    queued_cfg = PRESETS["tiny"].replace(steps=12)
    other = JobPool(RunStore(tmp_path / "other"), workers=1)
    try:
        running = fresh_pool.submit(running_cfg, session="student-a")
        fresh_pool.submit(running_cfg, session="student-b")  # a second session asks for the same run
        assert reached.wait(60)
        queued = fresh_pool.submit(queued_cfg)
        at = _unlock(_open(lang), lang=lang)
        rows = [m.value for m in at.markdown if m.value.startswith(("**1.**", "**2.**"))]
        assert rows == [f"**1.** {tv.describe(running_cfg, lang)}", f"**2.** {tv.describe(queued_cfg, lang)}"]
        assert rows[0].endswith(t("teacher.steps", lang=lang, n=10)) and "nz 32" in rows[0]
        bars = [p.proto.text for p in at.get("progress")]
        assert bars[0].startswith(t("teacher.state_running", lang=lang))
        assert t("teacher.step_of", lang=lang, step=3, total=10) in bars[0]
        assert t("teacher.asked", lang=lang, n=2) in bars[0]
        assert bars[1].startswith(t("teacher.state_queued", lang=lang))
        assert t("teacher.ahead", lang=lang, n=fresh_pool.queue_position(queued)) in bars[1]
        assert t("teacher.asked_teacher", lang=lang) in bars[1]
        assert [m.value for m in at.metric][:2] == ["1", "2"]  # one worker, two unfinished runs

        # a pool that does not know the run (the server was restarted): one sentence, nothing cancelled
        reset_default_pool(other)
        _click(at, "", key=f"teacher_cancel_{queued.key}")
        assert [w.value for w in at.warning if w.value == t("teacher.cancel_not_found", lang=lang)]
        reset_default_pool(fresh_pool)
        at.run()
        assert queued.state == "queued"

        _click(at, "", key=f"teacher_cancel_{queued.key}")
        assert [s.value for s in at.success] == [t("teacher.cancel_cancelled", lang=lang)]
        assert running.state == "running"  # (the worker drops the cancelled run when its step returns)
    finally:
        gate.set()
        other.shutdown()
    fresh_pool.wait(queued, timeout=120)
    fresh_pool.wait(running, timeout=120)
    assert queued.state == "cancelled" and running.state == "done"
    # its cancel button is still on the last drawn page: pressing it now says it had finished
    _click(at, "", key=f"teacher_cancel_{running.key}")
    assert t("teacher.cancel_finished", lang=lang) in [w.value for w in at.warning]
    assert fresh_pool.store.get(running_cfg.key) is not None  # nothing cached was lost
    recent = at.dataframe[0].value
    assert list(recent[t("teacher.col_settings", lang=lang)]) == [tv.describe(c, lang) for c in
                                                                   (running_cfg, queued_cfg)]
    assert list(recent[t("teacher.col_state", lang=lang)]) == [t("teacher.state_done", lang=lang),
                                                               t("teacher.state_cancelled", lang=lang)]


# ---- limits, warming, the atlas ---------------------------------------------------------------------
BAD = [
    ({"max_steps": "lots"}, "max_steps"),
    ({"max_steps": "-5"}, "max_steps"),
    ({"max_steps": "9" * 500}, "max_steps"),
    ({"max_steps": "12.5"}, "max_steps"),
    ({"max_queued": "0"}, "max_queued"),
    ({"max_queued": "1e9"}, "max_queued"),
    ({"cap": "-1"}, "cap"),
    ({"cap": "inf"}, "cap"),
    ({"cap": "0.001"}, "cap"),  # would empty the cache: refused, not applied
    ({"cap": "a lot"}, "cap"),
]
FIELD = {"max_steps": tv.K_STEPS, "max_queued": tv.K_QUEUED, "cap": tv.K_CAP}


def _bad_sentence(name: str, lang: str) -> str:
    if name == "cap":
        return t("teacher.bad_cap", lang=lang, lo=tv.CAP_MB_RANGE[0], hi=f"{tv.CAP_MB_RANGE[1]:,}")
    lo, hi = LIMIT_RANGES[name]
    return t(f"teacher.bad_{name}", lang=lang, lo=lo, hi=hi)


def _set_limits(at, lang, **values):
    for name, value in values.items():
        at.text_input(key=FIELD[name]).input(value)
    return _click(at, t("teacher.apply", lang=lang))


@pytest.mark.parametrize("lang", LANGS)
def test_limits_refuse_nonsense_and_apply_at_once(lang, passcode, fresh_pool, clear_st_caches):
    from gan_core.pool import run_sync

    run_sync(PRESETS["tiny"].replace(steps=3, snapshots=2), fresh_pool)  # one run on disk
    on_disk, cap, limits = fresh_pool.store.disk_bytes(), fresh_pool.store.cap_bytes, fresh_pool.limits
    assert on_disk > 0
    at = _unlock(_open(lang), lang=lang)
    for values, name in BAD:
        _set_limits(at, lang, **values)
        assert not at.exception
        assert [e.value for e in at.error] == [_bad_sentence(name, lang)], values
        assert fresh_pool.limits == limits and fresh_pool.store.cap_bytes == cap
        assert fresh_pool.store.disk_bytes() == on_disk
        _set_limits(at, lang, max_steps=str(limits.max_steps), max_queued=str(limits.max_queued),
                    cap=f"{cap / 2**20:g}")  # back to the current values for the next try
    _set_limits(at, lang, max_steps="500", max_queued="2", cap="250")
    assert not at.error
    assert fresh_pool.limits == ClassLimits(max_steps=500, max_queued=2)
    assert fresh_pool.store.cap_bytes == 250 * 2**20 and fresh_pool.store.disk_bytes() == on_disk
    applied = t("teacher.limits_set", lang=lang, steps=500, queued=2, cap="250")
    assert [s.value for s in at.success] == [applied]
    assert [m.value for m in at.metric][3:5] == ["500", "2"]


def test_warming_trains_presets_for_the_class_and_the_atlas_is_checked(passcode, fresh_pool, clear_st_caches):
    at = _unlock(_open())
    assert [w.value for w in at.warning] == [t("teacher.atlas_missing", n=0, total=36)]  # no packs here
    _click(at, t("teacher.warm"))
    assert [i.value for i in at.info] == [t("teacher.warm_none")]
    at.multiselect(key=tv.K_WARM).set_value(["tiny"])
    _click(at, t("teacher.warm"))
    assert t("teacher.warm_done", started=1, ready=0) in [s.value for s in at.success]
    job = fresh_pool.peek(PRESETS["tiny"])
    assert job is not None and not job.owners  # the teacher's run: no student limits, nobody's to cancel
    _click(at, t("teacher.warm"))
    assert t("teacher.warm_done", started=0, ready=1) in [s.value for s in at.success]
    assert fresh_pool.trainings_started == 1
    fresh_pool.wait(job, timeout=120)
    assert job.state == "done"
