from datetime import date

import pytest

from shared.crypto import DecryptionError, FieldCipher
from services.cases.domain.person import Guardian, guardian_problem, national_id_problem, normalise_name


@pytest.mark.parametrize("number,birth,sex,problem", [
    ("079090001234", date(1990, 5, 1), "male", None),
    ("056195001234", date(1995, 1, 1), "female", None),
    ("001205001234", date(2005, 1, 1), "male", None),
    ("07909000123", date(1990, 5, 1), "male", "12 digits"),
    ("07909000123a", date(1990, 5, 1), "male", "12 digits"),
    ("099090001234", date(1990, 5, 1), "male", "province code"),
    ("079091001234", date(1990, 5, 1), "male", "year of birth"),
    ("079190001234", date(1990, 5, 1), "male", "sex"),
])
def test_national_id_numbers_are_checked_against_birth_year_and_sex(number, birth, sex, problem):
    found = national_id_problem(number, birth, sex)
    assert (found is None) if problem is None else (problem in found)


def test_names_normalise_the_way_people_type_them():
    assert normalise_name("Nguyễn  Văn Á") == "nguyen van a"
    assert normalise_name("ĐỖ Thị Hường") == "do thi huong"


def test_minors_need_a_guardian_and_children_under_twelve_are_out_of_scope():
    on = date(2026, 8, 1)
    assert guardian_problem(date(2010, 1, 1), on, None)[0] == "person.guardian"
    assert guardian_problem(date(2010, 1, 1), on, Guardian("Mẹ", "mother")) is None
    assert guardian_problem(date(2016, 1, 1), on, Guardian("Mẹ", "mother"))[0] == "person.birth_date"
    assert guardian_problem(date(1990, 1, 1), on, None) is None


def test_field_encryption_round_trips_and_is_bound_to_its_context():
    cipher = FieldCipher(b"k" * 32)
    token = cipher.encrypt("079090001234", "person:P1:national_id")
    assert "079090001234" not in token and token != cipher.encrypt("079090001234", "person:P1:national_id")
    assert cipher.decrypt(token, "person:P1:national_id") == "079090001234"
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, "person:P2:national_id")
    with pytest.raises(DecryptionError):
        FieldCipher(b"x" * 32).decrypt(token, "person:P1:national_id")
    assert cipher.lookup_hash("079090001234", "national_id") == cipher.lookup_hash("079090001234", "national_id")
    assert cipher.lookup_hash("079090001234", "national_id") != FieldCipher(b"x" * 32).lookup_hash(
        "079090001234", "national_id")
