"""The consolidated report of a plan (báo cáo kết quả thực hiện kế hoạch): who may take it out of the system, the
Vietnamese words its sections use, and how its figures add up.

Its figures are the roll-up's; a percentage is what was achieved over the target, where an indicator counted from
case events is achieved by what the cases count and any other by what the units reported."""
from __future__ import annotations

from shared import areas

from services.plans.domain.access import OVERSEERS
from services.plans.domain.model import is_computed

REPORT_READERS = OVERSEERS
"""The standing office compiles and sends the report; auditors and admins read it. Units see their own figures
through their reports, not the whole province's."""

TASK_STATUS_WORDS = {"not_started": "Chưa triển khai", "on_track": "Đúng tiến độ", "at_risk": "Có nguy cơ chậm",
                     "overdue": "Quá hạn", "done": "Hoàn thành"}
OFFENCE_WORDS = {
    "cultivation": "Trồng cây thuốc phiện, cây côca, cây cần sa (Điều 247)",
    "production": "Sản xuất trái phép chất ma túy (Điều 248)",
    "possession": "Tàng trữ trái phép chất ma túy (Điều 249)",
    "transport": "Vận chuyển trái phép chất ma túy (Điều 250)",
    "trafficking": "Mua bán trái phép chất ma túy (Điều 251)",
    "appropriation": "Chiếm đoạt chất ma túy (Điều 252)",
    "precursors": "Tàng trữ, vận chuyển, mua bán hoặc chiếm đoạt tiền chất (Điều 253)",
    "equipment": "Phương tiện, dụng cụ dùng vào việc sản xuất, sử dụng trái phép chất ma túy (Điều 254)",
    "organising_use": "Tổ chức sử dụng trái phép chất ma túy (Điều 255)",
    "harbouring_use": "Chứa chấp việc sử dụng trái phép chất ma túy (Điều 256)",
    "forcing_use": "Cưỡng bức người khác sử dụng trái phép chất ma túy (Điều 257)",
    "inducing_use": "Lôi kéo người khác sử dụng trái phép chất ma túy (Điều 258)",
    "control_breach": "Vi phạm quy định về quản lý chất ma túy, tiền chất (Điều 259)",
}
DRUG_WORDS = {"heroin": "Heroin", "synthetic": "Ma túy tổng hợp", "pills": "Ma túy dạng viên (thuốc lắc, hồng phiến)",
              "cannabis": "Cần sa", "opium": "Thuốc phiện", "cocaine": "Cocaine"}
BUDGET_SOURCE_WORDS = {"state_budget": "Ngân sách trung ương", "local_budget": "Ngân sách địa phương",
                       "socialisation": "Xã hội hóa, tài trợ, ủng hộ", "enterprises": "Doanh nghiệp",
                       "international": "Tài trợ quốc tế"}


def may_export(principal, plan) -> bool:
    return principal.has_role(*REPORT_READERS) and areas.within_any(principal.areas, plan.area_code)


def achieved(indicator_code: str, reported: float | None, computed: float | None) -> float | None:
    """What counts toward the target: the cases' count for an indicator computed from them, the units' figure
    otherwise."""
    return computed if is_computed(indicator_code) else reported


def ratio(value: float | None, target: float | None) -> float | None:
    """Achieved over target (1.0 is 100 %); none without a positive target."""
    if value is None or not target:
        return None
    return value / target


def total(values) -> float | None:
    """The sum of the figures given; none if no figure was given at all (an empty cell, not a zero)."""
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def issuing_body(area_code: str) -> str:
    """'UBND TỈNH KHÁNH HÒA' for a provincial plan, 'UBND PHƯỜNG ...' for a commune's."""
    name = areas.name_of(area_code) or area_code
    if areas.is_province(area_code):
        for prefix in ("Tỉnh ", "Thành phố "):
            if name.startswith(prefix):
                return f"UBND {prefix.strip().upper()} {name[len(prefix):].upper()}"
        return f"UBND TỈNH {name.upper()}"
    return f"UBND {name.upper()}"


def place_name(area_code: str) -> str:
    """The place a document is dated at: the province's name without 'Tỉnh' / 'Thành phố'."""
    province = areas.province_of(area_code) or area_code
    name = areas.name_of(province) or province
    for prefix in ("Tỉnh ", "Thành phố "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name
