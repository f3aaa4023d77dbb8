"""The cluster hub's bookkeeping (gan_core/cluster_board.py) without Ray: single flight across
replicas, the fair order, places in line, interest, retries after a dead worker, forgetting."""
from gan_core.cluster_board import FALSE_STARTS, KEEP_ENDED_SECONDS, Board


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _board(capacity=1, retries=1):
    clock = Clock()
    return Board(retries=retries, capacity=capacity, clock=clock), clock


def _submit(board, key, seconds, replica="A"):
    return board.submit(key, {"config": key}, seconds, 100, replica)


def test_one_key_is_one_run_for_every_replica():
    board, _ = _board()
    assert _submit(board, "k", 10, "A") == "queued"
    assert _submit(board, "k", 10, "B") == "joined"
    launched = board.to_launch()
    assert [e.key for e in launched] == ["k"] and board.runs["k"].launches == 1
    assert _submit(board, "k", 10, "C") == "joined" and board.to_launch() == []
    assert board.runs["k"].replicas == {"A", "B", "C"}
    board.ended("k", 0, {"status": "ok"})
    assert board.runs["k"].state == "done"
    assert _submit(board, "k", 10, "A") == "queued"  # finished (and gone from the store): trains again


def test_short_runs_start_first_and_long_ones_age_in():
    board, clock = _board(capacity=1)
    _submit(board, "long", 100)
    clock.now += 1
    _submit(board, "short", 5)
    assert [e.key for e in board.to_launch()] == ["short"]  # it came later but goes first
    board.push("short", 0, 1, "n", [])
    clock.now += 200  # long has waited longer than it needs: it goes before a newcomer
    _submit(board, "new", 5)
    board.ended("short", 0, {"status": "ok"})
    assert [e.key for e in board.to_launch()] == ["long"]


def test_places_count_the_runs_first_and_estimate_when_done():
    board, _ = _board(capacity=2)
    for key, seconds in (("a", 10), ("b", 30)):
        _submit(board, key, seconds)
    board.to_launch()
    _submit(board, "c", 20)
    _submit(board, "d", 40)
    places = board.places()
    assert places["a"] == (0, 10) and places["b"] == (0, 30)
    # c takes a's CPU when a is done (10 s) and needs 20 s; d takes b's CPU at 30 s
    assert places["c"] == (1, 30) and places["d"] == (2, 70)
    polled = board.poll({"c": (0, 0)})["c"]
    assert (polled["state"], polled["ahead"], polled["eta"]) == ("queued", 1, 30)


def test_a_run_stops_only_when_the_last_replica_leaves():
    board, _ = _board()
    _submit(board, "k", 10, "A")
    _submit(board, "k", 10, "B")
    board.to_launch()
    assert board.push("k", 0, 42, "n", []) is False
    assert board.cancel("k", "A") == "left" and board.push("k", 0, 42, "n", []) is False
    assert board.cancel("k", "B") == "stopping" and board.push("k", 0, 42, "n", []) is True
    board.ended("k", 0, {"status": "cancelled"})
    assert board.runs["k"].state == "cancelled"
    _submit(board, "q", 10, "A")  # still queued when cancelled: ends at once
    assert board.cancel("q", "A") == "stopping" and board.runs["q"].state == "cancelled"


def test_progress_events_are_read_with_a_cursor_per_attempt():
    board, _ = _board(retries=1)
    _submit(board, "k", 10)
    board.to_launch()
    board.push("k", 0, 7, "n", [("S", [1, 0.1]), ("S", [2, 0.2])])
    first = board.poll({"k": (-1, 0)})["k"]
    assert first["state"] == "running" and [e[1][0] for e in first["events"]] == [1, 2]
    board.push("k", 0, 7, "n", [("S", [3, 0.3])])
    again = board.poll({"k": (0, first["next"])})["k"]
    assert [e[1][0] for e in again["events"]] == [3] and again["step"] == 3
    assert board.crashed("k", 0) is True  # the worker died: a second attempt from step 0
    entry = board.runs["k"]
    assert (entry.state, entry.attempt, entry.step, entry.events) == ("queued", 1, 0, [])
    assert board.push("k", 0, 7, "n", [("S", [4, 0.4])]) is True  # the old attempt is told to stop
    board.to_launch()
    board.push("k", 1, 8, "n", [("S", [1, 0.1])])
    restarted = board.poll({"k": (0, 3)})["k"]  # a reader on the old attempt gets the new one whole
    assert restarted["attempt"] == 1 and [e[1][0] for e in restarted["events"]] == [1]
    assert board.crashed("k", 1) is False and board.runs["k"].state == "failed"
    assert board.runs["k"].error == "worker_lost" and board.runs["k"].events == []


def test_outcomes_and_forgetting():
    board, clock = _board(capacity=3, retries=0)
    for key in ("ok", "div", "bad"):
        _submit(board, key, 1)
    board.to_launch()
    board.ended("ok", 0, {"status": "ok"})
    board.ended("div", 0, {"status": "diverged", "payload": b"run"})
    board.ended("bad", 0, {"status": "error", "code": "store_missing"})
    polled = board.poll({k: (0, 0) for k in ("ok", "div", "bad", "never")})
    assert polled["ok"]["state"] == "done" and polled["ok"]["payload"] is None
    assert polled["div"]["state"] == "diverged" and polled["div"]["payload"] == b"run"
    assert (polled["bad"]["state"], polled["bad"]["error"]) == ("failed", "store_missing")
    assert polled["never"] == {"state": "lost"}
    clock.now += KEEP_ENDED_SECONDS + 1
    board.prune()
    assert board.runs == {}


def test_a_worker_that_dies_before_the_run_began_costs_no_retry():
    board, _ = _board(retries=0)
    _submit(board, "k", 10)
    for _ in range(FALSE_STARTS):  # handed to a dying worker: started again, same attempt
        board.to_launch()
        assert board.crashed("k", 0) is True
        assert (board.runs["k"].state, board.runs["k"].attempt) == ("queued", 0)
    board.to_launch()
    assert board.crashed("k", 0) is False and board.runs["k"].state == "failed"  # not forever
    _submit(board, "r", 10)
    board.to_launch()
    board.push("r", 0, 5, "n", [])  # it began: a death now is a real loss (no retries left)
    assert board.crashed("r", 0) is False and board.runs["r"].error == "worker_lost"
