import unicodedata
from datetime import date, timedelta

import pytest

from app.domain.date_words import date_in_words, matches_date, number_in_words


@pytest.mark.parametrize(
    ("d", "words"),
    [
        (date(2024, 3, 5), "Ngày năm, tháng ba, năm hai nghìn không trăm hai mươi tư"),
        (date(2005, 4, 14), "Ngày mười bốn, tháng tư, năm hai nghìn không trăm linh năm"),
        (date(2010, 12, 31), "Ngày ba mươi mốt, tháng mười hai, năm hai nghìn không trăm mười"),
        (date(2000, 1, 1), "Ngày một, tháng một, năm hai nghìn"),
        (date(1999, 11, 21), "Ngày hai mươi mốt, tháng mười một, năm một nghìn chín trăm chín mươi chín"),
        (date(2024, 5, 25), "Ngày hai mươi lăm, tháng năm, năm hai nghìn không trăm hai mươi tư"),
        (date(2015, 10, 15), "Ngày mười lăm, tháng mười, năm hai nghìn không trăm mười lăm"),
        (date(1905, 7, 4), "Ngày bốn, tháng bảy, năm một nghìn chín trăm linh năm"),
        (date(2100, 6, 20), "Ngày hai mươi, tháng sáu, năm hai nghìn một trăm"),
    ],
)
def test_date_in_words(d: date, words: str) -> None:
    assert date_in_words(d) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "không"),
        (10, "mười"),
        (15, "mười lăm"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (105, "một trăm linh năm"),
        (1000, "một nghìn"),
        (2001, "hai nghìn không trăm linh một"),
        (1955, "một nghìn chín trăm năm mươi lăm"),
    ],
)
def test_number_in_words(n: int, words: str) -> None:
    assert number_in_words(n) == words


@pytest.mark.parametrize(
    ("words", "d"),
    [
        ("ngày năm tháng ba năm hai nghìn không trăm hai mươi tư", date(2024, 3, 5)),
        ("NGÀY NĂM, THÁNG BA, NĂM HAI NGHÌN KHÔNG TRĂM HAI MƯƠI TƯ", date(2024, 3, 5)),
        ("Ngày mồng năm, tháng ba, năm hai ngàn không trăm hai mươi bốn", date(2024, 3, 5)),
        ("mùng năm tháng ba năm hai nghìn không trăm hai mươi tư", date(2024, 3, 5)),
        ("Ngày mười bốn, tháng bốn, năm hai nghìn không trăm lẻ năm", date(2005, 4, 14)),
        ("Ngày ba mươi một, tháng mười hai, năm hai nghìn không trăm mười", date(2010, 12, 31)),
        ("Ngày mười năm, tháng giêng, năm hai nghìn không trăm mười lăm", date(2015, 1, 15)),
        ("Ngày hai mươi lăm,  tháng năm ,  năm hai nghìn không trăm hai mươi tư.", date(2024, 5, 25)),
        ("Ngày bẩy, tháng bẩy, năm hai nghìn không trăm linh bẩy", date(2007, 7, 7)),
        (
            unicodedata.normalize("NFD", "Ngày năm, tháng ba, năm hai nghìn không trăm hai mươi tư"),
            date(2024, 3, 5),
        ),
    ],
)
def test_matches_date_accepts_variants(words: str, d: date) -> None:
    assert matches_date(words, d)


@pytest.mark.parametrize(
    ("words", "d"),
    [
        ("Ngày sáu, tháng ba, năm hai nghìn không trăm hai mươi tư", date(2024, 3, 5)),
        ("Ngày năm, tháng tư, năm hai nghìn không trăm hai mươi tư", date(2024, 3, 5)),
        ("Ngày năm, tháng ba, năm hai nghìn không trăm hai mươi lăm", date(2024, 3, 5)),
        ("Ngày năm, tháng ba", date(2024, 3, 5)),
        ("05/03/2024", date(2024, 3, 5)),
        ("", date(2024, 3, 5)),
        ("   ", date(2024, 3, 5)),
    ],
)
def test_matches_date_rejects(words: str, d: date) -> None:
    assert not matches_date(words, d)


def test_every_day_of_2024_round_trips_and_differs_from_next_day() -> None:
    d = date(2024, 1, 1)
    while d.year == 2024:
        words = date_in_words(d)
        assert matches_date(words, d), words
        assert matches_date(words.upper(), d)
        assert not matches_date(words, d + timedelta(days=1)), words
        assert not matches_date(words, d + timedelta(days=366)), words  # a year later
        d += timedelta(days=1)


def test_all_date_words_distinct_over_a_century() -> None:
    d, seen = date(1950, 1, 1), set()
    while d.year < 2050:
        seen.add(" ".join(date_in_words(d).lower().replace(",", "").split()))
        d += timedelta(days=1)
    assert len(seen) == (date(2050, 1, 1) - date(1950, 1, 1)).days
