"""Settings at start: production verifies tokens only through the identity provider's discovery (the local key is
for development), and the CA an amqps:// broker is checked against must exist."""
import pytest

from shared.settings import Settings, SettingsError

BASE = {"JWT_PUBLIC_KEY_FILE": __file__, "DH_DATA_KEY": "A" * 43 + "="}


def test_the_ca_file_setting_must_exist():
    assert Settings.from_env("cases", {**BASE, "DONGHANH_ENV": "development", "AMQP_CA_FILE": __file__}
                             ).amqp_ca_file == __file__
    with pytest.raises(SettingsError, match="AMQP_CA_FILE"):
        Settings.from_env("cases", {**BASE, "DONGHANH_ENV": "development", "AMQP_CA_FILE": "/nonexistent.pem"})


@pytest.mark.parametrize("env", [{}, {"DONGHANH_ENV": "production"}])
def test_production_refuses_to_start_without_the_identity_provider(env):
    with pytest.raises(SettingsError, match="OIDC_DISCOVERY_URL"):
        Settings.from_env("cases", {**BASE, **env})


def test_development_keeps_the_local_key_and_production_verifies_through_discovery():
    development = Settings.from_env("plans", {**BASE, "DONGHANH_ENV": "development"})
    assert development.jwt_public_key_file == __file__ and development.oidc_discovery_url is None
    url = "https://sso.example.gov.vn/.well-known/openid-configuration"
    production = Settings.from_env("plans", {**BASE, "OIDC_DISCOVERY_URL": url})
    assert production.oidc_discovery_url == url and production.jwt_public_key_file is None


def test_the_portal_is_the_issuer_and_needs_no_discovery_in_production():
    assert Settings.from_env("portal", BASE).environment == "production"
