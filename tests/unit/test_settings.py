import pytest

from shared.settings import Settings, SettingsError

BASE = {"JWT_PUBLIC_KEY_FILE": __file__, "DH_DATA_KEY": "A" * 43 + "=", "DONGHANH_ENV": "development"}
PRODUCTION = {**BASE, "DONGHANH_ENV": "", "OIDC_DISCOVERY_URL": "https://sso.example.gov.vn/.well-known/x"}


@pytest.mark.parametrize("name,value", [
    ("MONGODB_URI", "http://x"), ("AMQP_URL", "mongodb://x"), ("CONSUMER_PREFETCH", "many"),
    ("CONSUMER_PREFETCH", "0"), ("DH_PROVINCE_CODE", "5"), ("LOG_LEVEL", "LOUD"), ("RELAY_POLL_SECONDS", "-1"),
    ("JWT_PUBLIC_KEY_FILE", "/nonexistent.pem"), ("MONGODB_DB_PREFIX", "a.b"), ("DH_DATA_KEY", "c2hvcnQ="),
    ("DH_DATA_KEY", "not base64!"),
])
def test_a_bad_value_stops_start_up_naming_the_variable(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env("cases", {**BASE, name: value})


def test_defaults_give_each_service_its_own_database():
    assert Settings.from_env("cases", BASE).mongodb_db == "donghanh_cases"
    assert Settings.from_env("plans", {**BASE, "MONGODB_DB_PREFIX": "x"}).mongodb_db == "x_plans"


def test_unknown_service_is_refused():
    with pytest.raises(SettingsError):
        Settings.from_env("billing", BASE)


def test_discovery_over_plain_http_is_for_loopback_only():
    with pytest.raises(SettingsError, match="OIDC_DISCOVERY_URL"):
        Settings.from_env("cases", {**BASE, "OIDC_DISCOVERY_URL": "http://sso.example.vn/.well-known/x"})
    local = "http://127.0.0.1:8104/.well-known/openid-configuration"
    assert Settings.from_env("cases", {**BASE, "OIDC_DISCOVERY_URL": local}).oidc_discovery_url == local


def test_the_environment_is_production_unless_it_says_development():
    assert Settings.from_env("cases", PRODUCTION).environment == "production"
    assert Settings.from_env("portal", {**BASE, "DONGHANH_ENV": "development"}).environment == "development"
    with pytest.raises(SettingsError, match="DONGHANH_ENV"):
        Settings.from_env("cases", {**BASE, "DONGHANH_ENV": "staging"})
