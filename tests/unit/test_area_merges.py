"""The table of communes merged in the 2025 reorganisation: read from the CSV the province keeps, checked line by
line at start, and used to give an old commune code its current one."""
import pytest

from shared import areas
from shared.settings import DEFAULT_AREA_MERGES_FILE, Settings, SettingsError

BASE = {"JWT_PUBLIC_KEY_FILE": __file__, "DH_DATA_KEY": "A" * 43 + "=", "DONGHANH_ENV": "development"}
HEADER = "old_code,old_name,new_code\n"


@pytest.fixture(autouse=True)
def no_merges_afterwards():
    yield
    areas.use_merges(None)


def table(tmp_path, text):
    path = tmp_path / "merges.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_old_code_rolls_up_under_its_new_one_and_the_new_one_knows_its_old_ones(tmp_path):
    areas.use_merges(table(tmp_path, "# kept by the province\n" + HEADER + "22345,Phường Vạn Thắng,22366\n"
                                     "22348,Phường Phương Sài,22366\n\n"))
    assert areas.current_code("22345") == "22366" and areas.current_code("22366") == "22366"
    assert areas.current_code("56") == "56"
    assert areas.former_codes("22366") == ["22345", "22348"]


def test_the_shipped_table_is_empty_but_documented():
    assert areas.read_merges(DEFAULT_AREA_MERGES_FILE) == {}
    assert "old_code,old_name,new_code" in DEFAULT_AREA_MERGES_FILE.read_text(encoding="utf-8")


@pytest.mark.parametrize("text,says", [
    ("old,name,new\n", "first line"),
    (HEADER + "22345,Phường Vạn Thắng\n", ":2: expected 3 columns"),
    (HEADER + "2234,Phường Vạn Thắng,22366\n", "not a 5-digit commune code"),
    (HEADER + "22366,Phường Nha Trang,22333\n", "is a commune today"),
    (HEADER + "22345,Phường Vạn Thắng,99999\n", "not a commune or province today"),
    (HEADER + "22345,Phường Vạn Thắng,22366\n22345,Phường Vạn Thắng,22333\n", ":3: old_code 22345 is listed twice"),
])
def test_a_bad_line_names_the_file_and_the_line(tmp_path, text, says):
    with pytest.raises(areas.MergeTableError, match=says):
        areas.read_merges(table(tmp_path, text))


def test_the_setting_is_checked_at_start(tmp_path):
    good = table(tmp_path, HEADER + "22345,Phường Vạn Thắng,22366\n")
    assert Settings.from_env("plans", {**BASE, "AREA_MERGES_FILE": str(good)}).area_merges_file == good
    assert Settings.from_env("plans", BASE).area_merges_file == DEFAULT_AREA_MERGES_FILE
    with pytest.raises(SettingsError, match="AREA_MERGES_FILE"):
        Settings.from_env("plans", {**BASE, "AREA_MERGES_FILE": str(tmp_path / "missing.csv")})
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "22345,x,99999\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="AREA_MERGES_FILE.*bad.csv:2"):
        Settings.from_env("plans", {**BASE, "AREA_MERGES_FILE": str(bad)})
