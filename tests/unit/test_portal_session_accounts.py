"""The account behind a signed-in page: read from the log once in a while per process, never per page."""
from services.portal.views import SignedInAccounts


class CountingAccounts:
    def __init__(self, accounts):
        self.accounts, self.reads = accounts, []

    def read(self, username):
        self.reads.append(username)
        return self.accounts.get(username)


class Ticking:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_an_account_is_read_from_the_log_again_only_after_the_checked_for_seconds():
    log, clock = CountingAccounts({"lan": "lan's account", "minh": "minh's account"}), Ticking()
    accounts = SignedInAccounts(log, checked_for=10.0, monotonic=clock)
    assert accounts.read("lan") == "lan's account" and accounts.read("lan") == "lan's account"
    clock.now += 9.9
    assert accounts.read("lan") == "lan's account" and accounts.read("minh") == "minh's account"
    assert log.reads == ["lan", "minh"]
    clock.now += 0.2
    log.accounts["lan"] = "lan's account, disabled"
    assert accounts.read("lan") == "lan's account, disabled"
    assert log.reads == ["lan", "minh", "lan"]


def test_an_account_not_in_the_log_is_answered_none_and_asked_again_once_the_seconds_pass():
    log, clock = CountingAccounts({}), Ticking()
    accounts = SignedInAccounts(log, checked_for=10.0, monotonic=clock)
    assert accounts.read("ghost") is None and accounts.read("ghost") is None
    clock.now += 10.0
    assert accounts.read("ghost") is None
    assert log.reads == ["ghost", "ghost"]
