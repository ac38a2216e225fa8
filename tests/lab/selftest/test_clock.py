from datetime import timedelta

from tests.lab.world.clock import START, Clock


def test_manual_clock_fires_events_in_time_order():
    clock = Clock(start=START)
    fired = []
    clock.schedule(30, lambda: fired.append(("b", clock.now())))
    clock.schedule(10, lambda: fired.append(("a", clock.now())))
    clock.advance(20)
    assert [name for name, _t in fired] == ["a"]
    assert fired[0][1] == START + timedelta(seconds=10)
    assert clock.now() == START + timedelta(seconds=20)
    clock.advance(20)
    assert [name for name, _t in fired] == ["a", "b"]
    assert fired[1][1] == START + timedelta(seconds=30)


def test_event_scheduled_by_an_event_runs_in_the_same_advance():
    clock = Clock(start=START)
    fired = []

    def first():
        fired.append("first")
        clock.schedule(5, lambda: fired.append("second"))

    clock.schedule(5, first)
    clock.advance(11)
    assert fired == ["first", "second"]


def test_scaled_clock_moves_with_real_time(monkeypatch):
    import tests.lab.world.clock as mod

    now = [1000.0]
    monkeypatch.setattr(mod.time, "monotonic", lambda: now[0])
    clock = Clock(scale=60, start=START)
    fired = []
    clock.schedule(120, lambda: fired.append(True))
    now[0] += 1.0
    assert clock.now() == START + timedelta(seconds=60)
    assert not fired
    now[0] += 1.5
    clock.tick()
    assert fired == [True]
