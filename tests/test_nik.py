import datetime as dt

import pytest

from service.records.nik import check_nik


@pytest.mark.parametrize("raw, error", [
    pytest.param("157101410790000", "16 digits", id="short"),
    pytest.param("15710141079000a1", "digits only", id="letters"),
    pytest.param("9971014107900001", "region", id="unknown-province"),
    pytest.param("1571019907900001", "birth date", id="impossible-day"),
])
def test_malformed_nik_is_rejected_with_reason(raw, error):
    assert error in check_nik(raw).error


def test_good_nik_is_compacted():
    assert check_nik("1571 0141 0790 0001").value == "1571014107900001"


def test_missing_nik_is_fine():
    assert check_nik("").value is None and check_nik(None).error is None


def test_birth_date_mismatch_warns_but_keeps_the_nik():
    check = check_nik("1571015007900001", dt.date(1990, 7, 1))
    assert check.value == "1571015007900001"
    assert check.error is None
    assert check.warnings


def test_matching_birth_date_for_a_woman():
    # day 01 + 40 = 41
    assert check_nik("1571014107900001", dt.date(1990, 7, 1)).warnings == []
