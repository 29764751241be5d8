import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from num2words import num2words

from service.records.formats import (
    nik_mask,
    parse_rupiah,
    romawi,
    rupiah,
    tanggal,
    tanggal_hari,
    terbilang,
)


@pytest.mark.parametrize("amount, words", [
    pytest.param(1_001_000, "satu juta seribu", id="seribu-not-satu-ribu"),
    pytest.param(1_000, "seribu", id="1000"),
    pytest.param(1_500_000, "satu juta lima ratus ribu", id="ticket"),
    pytest.param(101_000, "seratus satu ribu", id="101-thousand-keeps-satu"),
    pytest.param(11_000, "sebelas ribu", id="11-thousand"),
    pytest.param(5_050_000, "lima juta lima puluh ribu", id="kemensos"),
    pytest.param(2_250_000, "dua juta dua ratus lima puluh ribu", id="jatah-hidup"),
    pytest.param(1_001_001_000, "satu miliar satu juta seribu", id="billion"),
    pytest.param(110, "seratus sepuluh", id="110"),
    pytest.param(0, "nol", id="zero"),
])
def test_terbilang(amount, words):
    assert terbilang(amount) == words


@given(st.integers(min_value=1, max_value=999_999_999_999))
def test_terbilang_agrees_with_num2words_except_for_seribu(amount):
    """num2words is right everywhere except a thousands group of exactly one."""
    theirs = num2words(amount, lang="id")
    if (amount // 1000) % 1000 == 1:
        theirs = theirs.replace("satu ribu", "seribu")
    assert terbilang(amount) == theirs


def test_dates_in_indonesian():
    assert tanggal(dt.date(2024, 7, 31)) == "31 Juli 2024"
    assert tanggal_hari("2024-07-31") == "Rabu, 31 Juli 2024"
    assert tanggal(None) == "-"


@pytest.mark.parametrize("amount, text", [
    (1_500_000, "Rp1.500.000"), (250_000, "Rp250.000"), (999, "Rp999"), (0, "Rp0")])
def test_rupiah(amount, text):
    assert rupiah(amount) == text


@pytest.mark.parametrize("typed, amount", [
    ("1.500.000", 1_500_000), ("1500000", 1_500_000), ("Rp1.500.000", 1_500_000),
    ("Rp 1.500.000,00", 1_500_000), ("1,5 juta", None), ("1.50.000", None), ("", None)])
def test_parse_rupiah(typed, amount):
    assert parse_rupiah(typed) == amount


def test_romawi_and_nik_mask():
    assert [romawi(m) for m in (1, 4, 7, 9, 12)] == ["I", "IV", "VII", "IX", "XII"]
    assert nik_mask("1571014107900001") == "1571********0001"
    assert nik_mask("") == "-"
