"""A person's header counts kept for a few seconds by each portal process."""
from services.portal.views import RecentHeaderCounts


class Ticking:
    def __init__(self):
        self.now = 50.0

    def __call__(self):
        return self.now


def test_counts_are_answered_for_the_kept_seconds_then_forgotten_and_each_person_has_their_own():
    clock = Ticking()
    kept = RecentHeaderCounts(kept_for=10.0, monotonic=clock)
    assert kept.recent("lan") is None
    kept.keep("lan", {"unacknowledged": 2}, kept.now())
    clock.now += 9.9
    assert kept.recent("lan") == {"unacknowledged": 2} and kept.recent("minh") is None
    kept.keep("lan", {"unacknowledged": 1}, kept.now())
    clock.now += 9.0
    assert kept.recent("lan") == {"unacknowledged": 1}
    clock.now += 1.0
    assert kept.recent("lan") is None


def test_a_slower_answer_to_an_older_question_never_replaces_a_newer_one():
    clock = Ticking()
    kept = RecentHeaderCounts(kept_for=10.0, monotonic=clock)
    older = kept.now()
    clock.now += 1.0
    kept.keep("lan", {"unacknowledged": 0}, kept.now())
    kept.keep("lan", {"unacknowledged": 1}, older)
    assert kept.recent("lan") == {"unacknowledged": 0}
