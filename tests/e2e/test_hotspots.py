"""A hotspot that re-emerges alerts the police across the real services: the plans API, its relay, RabbitMQ and
the notifications worker."""
import pytest

from tests.e2e.conftest import COMMUNE, PROVINCE, inbox_for
from tests.support import wait_for

pytestmark = pytest.mark.e2e


def test_a_re_emerged_hotspot_alerts_the_commune_and_provincial_police_urgently(police, committee, as_user,
                                                                               directory):
    created = police("POST", "plans", "/hotspots", json={
        "place_name": "Nhà trọ Hẻm 7", "address": "Hẻm 7 đường Biệt Thự", "commune_code": COMMUNE,
        "kind": "point", "activity": "use", "level": "medium", "found_on": "2026-05-01"})
    assert created.status_code == 201, created.text
    hotspot_id = created.json()["id"]
    for to, day in (("crackdown", "2026-05-10"), ("eliminated", "2026-05-20"), ("re_emerged", "2026-06-15")):
        response = police("POST", "plans", f"/hotspots/{hotspot_id}/transitions",
                          json={"to": to, "effective_on": day, "note": f"Biên bản {to}"})
        assert response.status_code == 200, response.text
    [alert] = wait_for(lambda: inbox_for(police, hotspot_id), 30, message="the commune police's alert")
    assert alert["category"] == "hotspot_re_emerged" and alert["urgent"] is True
    assert alert["subject_type"] == "hotspot" and "15/06/2026" in alert["title_vi"], "Vietnamese titles show dates as people write them (dd/MM/yyyy)"
    assert "Hẻm 7" not in str(alert) and "Biên bản" not in str(alert)
    pc04 = as_user(subject="pc04", roles=["police_liaison"], unit="CA-T56-PC04", areas=[PROVINCE])
    assert wait_for(lambda: inbox_for(pc04, hotspot_id), 30, message="the provincial police's alert")
    elsewhere = as_user(subject="p2", roles=["police_liaison"], unit="CAX-22333", areas=["22333"])
    assert inbox_for(elsewhere, hotspot_id) == [] and inbox_for(committee, hotspot_id) == []
