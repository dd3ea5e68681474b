"""The hotspots page's map against the plans API faked by a real HTTP server (pytest-httpserver): an inline SVG
above the list with a marker per hotspot that has coordinates, each linked to its row, the caption counting those
only in the list, and no map (the list alone) when none has coordinates."""
from __future__ import annotations

import re

from services.portal.domain.hotspot_map import hotspot_map
from tests.integration.portal.pages.test_pages import COUNTS

SPOT = {"version": 1, "commune_code": "22333", "commune_name": "Phường Bắc Nha Trang", "kind": "point",
        "activity": "use", "found_on": "2026-05-02", "task_ids": []}
HOTSPOTS = [
    {**SPOT, "id": "h1", "place_name": "Quán cà phê đầu hẻm 12", "level": "high", "status": "identified",
     "coordinates": {"latitude": 12.2705, "longitude": 109.1935}},
    {**SPOT, "id": "h2", "place_name": "Khu nhà trọ ven sông", "level": "medium", "status": "eliminated",
     "kind": "cluster", "coordinates": {"latitude": 12.2668, "longitude": 109.186}},
    {**SPOT, "id": "h3", "place_name": "Bãi đất trống <sau chợ>", "level": "low", "status": "re_emerged",
     "commune_code": "22420", "commune_name": "Phường Cam Ranh", "coordinates": {"latitude": 11.912,
                                                                               "longitude": 109.155}},
    {**SPOT, "id": "h4", "place_name": "Nhà hoang cuối xóm", "level": "high", "status": "crackdown",
     "coordinates": None}]


def hotspots_page(client, services, hotspots):
    services.expect_request("/api/v1/inbox/counts").respond_with_json(COUNTS)
    services.expect_request("/api/v1/hotspots").respond_with_json(hotspots)
    page = client.get("/plans/hotspots")
    text = page.get_data(as_text=True)
    assert page.status_code == 200, text
    return text


def the_map(text: str) -> str:
    return re.search(r'<svg id="hotspot-map" .*?</svg>', text, re.S).group(0)


def the_links(text: str) -> str:
    """The markers' links, in an SVG laid over the picture (a role="img" may not hold links)."""
    return re.search(r'<svg id="hotspot-map-links" .*?</svg>', text, re.S).group(0)


def test_each_hotspot_with_coordinates_is_a_marker_linked_to_its_row(officer, services):
    text = hotspots_page(officer, services, HOTSPOTS)
    drawn = the_map(text)
    assert 'role="img"' in drawn and 'aria-labelledby="hotspot-map-title hotspot-map-desc"' in drawn
    assert '<title id="hotspot-map-title">Bản đồ các điểm nóng' in drawn and "Số điểm nóng được vẽ tại vị trí của chúng: 3," in drawn
    assert "<a " not in drawn and drawn.count('class="marker ') == 3
    links = the_links(text)
    anchors = re.findall(r'<a href="#(hotspot-[^"]+)"', links)
    assert sorted(anchors) == ["hotspot-h1", "hotspot-h2", "hotspot-h3"]
    for anchor in anchors:
        assert f'<tr id="{anchor}">' in text
    assert '<tr id="hotspot-h4">' in text and "Nhà hoang cuối xóm" in text and "#hotspot-h4" not in text
    assert links.index("#hotspot-h2") < links.index("#hotspot-h3") < links.index("#hotspot-h1")
    assert "Quán cà phê đầu hẻm 12, Phường Bắc Nha Trang: mức độ Cao, Mới phát hiện</title>" in links
    assert "Bãi đất trống &lt;sau chợ&gt;" in links and "<sau chợ>" not in text
    assert "Khu nhà trọ ven sông, Phường Bắc Nha Trang: mức độ Trung bình, Đã triệt xóa" in links
    for marker in hotspot_map(HOTSPOTS).markers:
        assert f'd="{marker.path}"' in drawn
        assert re.search(rf'<a href="#hotspot-{marker.hotspot_id}">\s*<title>[^<]*</title>\s*'
                         rf'<circle cx="{marker.x}" cy="{marker.y}"', links), "each link lies over its marker"
    assert re.search(r'<circle [^>]*r="12" fill="none"', drawn), "the re-emerged hotspot is ringed"
    hollow = r'class="marker marker-medium hollow" d="M[^"]+" fill="#ffffff" stroke="#8a4b00"'
    assert re.search(hollow, drawn), "the eliminated one is hollow"
    assert re.search(r">\d+(,\d+)?°B</text>", drawn) and re.search(r">109(,\d+)?°Đ</text>", drawn)
    assert re.search(r">\d+(,\d+)? (km|m)</text>", drawn), "a scale bar"
    assert "1 trong 4 điểm nóng chưa có tọa độ nên chỉ có trong danh sách." in text
    assert "<td>Tụ điểm · Sử dụng</td>" in text and "<td>Trung bình</td>" in text and "<td>Tái phức tạp</td>" in text
    assert "Chú giải" in text and "Dấu rỗng: đã triệt xóa" in text and "style=" not in text
    assert "<script" not in text.split("</head>")[1]


def test_the_map_in_english_counts_what_is_only_in_the_list(officer, services):
    officer.get("/language/en")
    text = hotspots_page(officer, services, HOTSPOTS)
    assert "1 of 4 hotspots have no coordinates and are only in the list." in text
    assert re.search(r">12\.\d+°N</text>", the_map(text)) and "level High, Identified</title>" in the_links(text)


def test_with_every_hotspot_placed_the_caption_counts_none_missing(officer, services):
    text = hotspots_page(officer, services, HOTSPOTS[:1])
    drawn = the_map(text)
    assert the_links(text).count('<a href="#hotspot-') == 1 and "hotspot-map-missing" not in text
    assert re.search(r'<line x1="[\d.]+" y1="4.0" x2="[\d.]+" y2="272.0"', drawn), "a graticule around one place"


def test_no_map_when_no_hotspot_has_coordinates(officer, services):
    unplaced = [{**spot, "coordinates": None} for spot in HOTSPOTS]
    text = hotspots_page(officer, services, unplaced)
    assert "<svg id=\"hotspot-map\"" not in text and "hotspot-map-figure" not in text
    assert "Không điểm nóng nào trong danh sách có tọa độ nên không có bản đồ." in text
    for spot in HOTSPOTS:
        assert f'<tr id="hotspot-{spot["id"]}">' in text and spot["place_name"].split("<")[0] in text


def test_no_map_and_no_note_when_there_is_no_hotspot(officer, services):
    text = hotspots_page(officer, services, [])
    assert "hotspot-map" not in text and "Chưa ghi nhận điểm nóng nào trên địa bàn của bạn." in text
