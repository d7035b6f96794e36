"""GB 11643 ID numbers, other documents and mobile numbers."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangyi.people.choices import DocType
from fangyi.people.identity import (
    ERR_HK_MACAU,
    ERR_ID_BIRTH,
    ERR_ID_CHECK,
    ERR_ID_FLOAT,
    ERR_ID_FORMAT,
    ERR_ID_REGION,
    ERR_PASSPORT,
    ERR_PHONE,
    PROVINCE_CODES,
    IdentityError,
    check_char,
    mask_document,
    mask_phone,
    parse_document,
    parse_id_number,
    parse_phone,
)

TODAY = dt.date(2026, 11, 29)


@st.composite
def valid_id_numbers(draw) -> str:
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    rest = draw(st.integers(min_value=0, max_value=9999))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
    seq = draw(st.integers(min_value=0, max_value=999))
    first17 = f"{province}{rest:04d}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


@given(valid_id_numbers())
def test_every_valid_number_passes_with_its_birth_date_and_sex(number):
    info = parse_id_number(number, today=TODAY)
    assert info.number == number
    assert info.birth_date == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert info.sex == ("M" if int(number[16]) % 2 else "F")


@given(valid_id_numbers(), st.data())
def test_every_single_character_change_fails(number, data):
    position = data.draw(st.integers(min_value=0, max_value=17))
    replacement = data.draw(st.sampled_from([c for c in "0123456789X" if c != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(IdentityError):
        parse_id_number(changed, today=TODAY)


def test_lowercase_x_full_width_and_spaces_are_normalised():
    first17 = "44030419900101109"
    assert check_char(first17) == "X"  # a real X-terminated number, so lowercase matters
    number = first17 + "X"
    assert parse_id_number(number.lower(), today=TODAY).number == number
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number[:17]) + "ｘ"
    assert parse_id_number(full_width, today=TODAY).number == number
    assert (
        parse_id_number(f" {number[:6]} {number[6:14]} {number[14:]} ", today=TODAY).number
        == number
    )


def test_fifteen_digit_numbers_are_converted():
    info = parse_id_number("440304900101123", today=TODAY)
    first17 = "44030419900101123"
    assert info.number == first17 + check_char(first17)
    assert info.converted_from_15
    assert info.birth_date == dt.date(1990, 1, 1)
    assert info.sex == "M"


def test_fifteen_digit_with_bad_date_fails():
    with pytest.raises(IdentityError) as exc:
        parse_id_number("440304901301123", today=TODAY)
    assert exc.value.message == ERR_ID_BIRTH.format(date="19901301")


@pytest.mark.parametrize(
    ("born", "reason"),
    [("19900230", "no 30 February"), ("18800101", "too early"), ("20301231", "in the future")],
)
def test_impossible_birth_dates_fail(born, reason):
    first17 = f"440304{born}123"
    with pytest.raises(IdentityError) as exc:
        parse_id_number(first17 + check_char(first17), today=TODAY)
    assert str(exc.value.message) == str(ERR_ID_BIRTH.format(date=born)), reason


def test_unknown_region_fails():
    first17 = "99030419900101123"
    with pytest.raises(IdentityError) as exc:
        parse_id_number(first17 + check_char(first17), today=TODAY)
    assert exc.value.message == ERR_ID_REGION.format(code="990304")


def test_wrong_check_character_message():
    first17 = "44030419900101123"
    wrong = "1" if check_char(first17) != "1" else "2"
    with pytest.raises(IdentityError) as exc:
        parse_id_number(first17 + wrong, today=TODAY)
    assert exc.value.message == ERR_ID_CHECK


@pytest.mark.parametrize("raw", ["4.40304199001011E+17", "440304199001011000.0", "4.4e17"])
def test_spreadsheet_floats_are_reported_not_guessed(raw):
    with pytest.raises(IdentityError) as exc:
        parse_id_number(raw, today=TODAY)
    assert exc.value.message == ERR_ID_FLOAT.format(value=raw.upper())


@pytest.mark.parametrize("raw", ["", "12345", "44030419900101123Y", "4403041990010112345"])
def test_wrong_shapes_fail(raw):
    with pytest.raises(IdentityError) as exc:
        parse_id_number(raw, today=TODAY)
    assert exc.value.message is not None


def test_wrong_length_names_the_format():
    with pytest.raises(IdentityError) as exc:
        parse_id_number("4403041990", today=TODAY)
    assert exc.value.message == ERR_ID_FORMAT


@pytest.mark.parametrize(
    ("doc_type", "raw", "expected"),
    [
        (DocType.HK_MACAU, "h12345678", "H12345678"),
        (DocType.HK_MACAU, "M1234567801", "M1234567801"),
        (DocType.TAIWAN, "12345678", "12345678"),
        (DocType.PASSPORT, "e 1234 5678", "E12345678"),
    ],
)
def test_other_documents(doc_type, raw, expected):
    info = parse_document(doc_type, raw, today=TODAY)
    assert info.number == expected
    assert info.birth_date is None and info.sex == "U"


@pytest.mark.parametrize(
    ("doc_type", "raw", "message"),
    [(DocType.HK_MACAU, "X12345678", ERR_HK_MACAU), (DocType.PASSPORT, "E1", ERR_PASSPORT)],
)
def test_other_documents_fail(doc_type, raw, message):
    with pytest.raises(IdentityError) as exc:
        parse_document(doc_type, raw, today=TODAY)
    assert exc.value.message == message


@given(st.sampled_from("3456789"), st.integers(min_value=0, max_value=999_999_999))
def test_valid_mobile_numbers(second, rest):
    number = f"1{second}{rest:09d}"
    assert parse_phone(number) == number
    assert parse_phone(f"+86 {number[:3]}-{number[3:7]}-{number[7:]}") == number


@pytest.mark.parametrize("raw", ["12012345678", "1381234567", "138123456789", "23812345678", "abc"])
def test_invalid_mobile_numbers(raw):
    with pytest.raises(IdentityError) as exc:
        parse_phone(raw)
    assert exc.value.message == ERR_PHONE


def test_published_sample_number():
    # The sample printed in GB 11643's explanatory material.
    assert parse_id_number("11010519491231002x", today=TODAY).number == "11010519491231002X"


def test_masks():
    assert mask_document("44030419900101123X") == "4403**********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_document("E12345678") == "E1*****78"
    assert mask_document("") == mask_phone("") == ""
