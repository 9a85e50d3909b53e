from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from zaisei.sources.amounts import AmountError, format_percent, format_yen, parse_era_month, parse_percent, parse_yen


@pytest.mark.parametrize("text, yen", [
    ("1,624億1,000万円", 162_410_000_000),
    ("2,083億9,174万９千円", 208_391_749_000),
    ("△３億1,330万円", -313_300_000),
    ("17 億 9,071 万円", 1_790_710_000),
    ("６ 億 3, 4 9 4 万 円", 634_940_000),
    ("66 万円", 660_000),
    ("△74 億円", -7_400_000_000),
    ("▲1,452万３千円", -14_523_000),
    ("10 円", 10),
])
def test_parses_the_citys_amounts_exactly(text, yen):
    assert parse_yen(text) == yen


@pytest.mark.parametrize("text, value", [("30.4％", Decimal("30.4")), ("△6.9％", Decimal("-6.9")),
                                         ("100.0%", Decimal("100.0"))])
def test_parses_percentages_as_decimal(text, value):
    assert parse_percent(text) == value
    assert isinstance(parse_percent(text), Decimal)


@pytest.mark.parametrize("text", ["〇億〇〇〇〇万円", "1,2,3億", "億円", "", "1,2,3億円", "万億円", "3.5円", "12,34万円"])
def test_bad_input_raises_an_error_that_quotes_it(text):
    with pytest.raises(AmountError) as caught:
        parse_yen(text)
    assert repr(text) in str(caught.value)


def test_era_months():
    assert parse_era_month("令和４年４月開設") == "2022-04"
    assert parse_era_month("令和３年６月") == "2021-06"
    with pytest.raises(AmountError):
        parse_era_month("四月開設")


def test_formats_as_the_city_writes():
    assert format_yen(208_391_749_000) == "2,083億9,174万9千円"
    assert format_yen(-313_300_000) == "△3億1,330万円"
    assert format_yen(660_000) == "66万円"
    assert format_percent(Decimal("-6.9")) == "△6.9％"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_formatting_then_parsing_gives_the_same_yen(yen):
    assert parse_yen(format_yen(yen)) == yen


@given(st.integers(min_value=0, max_value=10**13).map(lambda n: n * 10_000))
def test_round_man_amounts_are_written_without_senen(yen):
    assert "千" not in format_yen(yen)
    assert parse_yen(format_yen(yen)) == yen


@given(st.text(max_size=20))
def test_parser_never_fails_other_than_amount_error(text):
    try:
        parse_yen(text)
    except AmountError:
        pass
