"""The portal reads the environment's proxies and CA bundle once per service, as `requests` would each call."""
from services.portal.adapters.services_api import HttpServicesApi, ServiceUrls


def test_proxies_and_the_ca_bundle_come_from_the_environment_once_per_service(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.tinh.example:3128")
    monkeypatch.setenv("NO_PROXY", "cases.noi-bo.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/donghanh/ca.pem")
    api = HttpServicesApi(ServiceUrls(plans="https://plans.tinh.example", cases="https://cases.noi-bo.example",
                                      notifications="http://127.0.0.1:8103"))
    assert api.session.trust_env is False
    assert api._environment["plans"]["proxies"]["https"] == "http://proxy.tinh.example:3128"
    assert api._environment["plans"]["verify"] == "/etc/donghanh/ca.pem"
    assert "https" not in api._environment["cases"]["proxies"]
    assert api._environment["cases"]["verify"] == "/etc/donghanh/ca.pem"
    assert api._environment["notifications"]["verify"] is True
