from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from zaisei.sources.amounts import (TABLE_UNITS, AmountError, format_percent, format_yen, parse_era_month,
                                    parse_percent, parse_rate, parse_table_amount, parse_yen)


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


# -- the cells of cited tables: every unit a budget table uses ---------------------------

@pytest.mark.parametrize("text, unit, yen", [
    ("105,422,183", "千円", 105_422_183_000),
    ("△12,952,427", "千円", -12_952_427_000),
    ("▲7,201", "千円", -7_201_000),
    ("-1,828,300", "千円", -1_828_300_000),
    ("－1,828,300", "千円", -1_828_300_000),          # full-width minus
    ("１０５，４２２，１８３", "千円", 105_422_183_000),  # full-width digits and comma
    ("0", "千円", 0),
    ("1,234", "百万円", 1_234_000_000),
    ("1,234.5", "百万円", 1_234_500_000),
    ("241,582,712,905", "円", 241_582_712_905),
    ("1,183億7,461万円", "as printed", 118_374_610_000),
    ("131億2,705万2千円", "as printed", 13_127_052_000),
    ("4,775万1千円", "as printed", 47_751_000),
    ("-2億3,967万6千円", "as printed", -239_676_000),
    ("△33万5千円", "as printed", -335_000),
    ("138,840,000千円", "as printed", 138_840_000_000),
])
def test_table_cells_in_every_unit_are_exact_yen(text, unit, yen):
    assert parse_table_amount(text, unit) == yen


@pytest.mark.parametrize("text, unit, reason", [
    ("1,183億7,461万円", "千円", "digits only"),
    ("1O5,422", "千円", "digits only"),
    ("", "千円", "digits only"),
    ("12,34", "千円", "malformed number"),
    ("1.5", "千円", None),  # 1,500 yen: a fraction of a thousand is still whole yen
    ("0.0001", "千円", "fraction of a yen"),
    ("105,422,183", "万円", "unknown unit"),
    ("105,422,183", "as printed", "not a yen amount"),
])
def test_a_cell_that_is_not_an_amount_of_its_unit_is_refused(text, unit, reason):
    if reason is None:
        assert parse_table_amount(text, unit) == 1_500
        return
    with pytest.raises(AmountError) as caught:
        parse_table_amount(text, unit)
    assert reason in str(caught.value) and repr(text) in str(caught.value)


@pytest.mark.parametrize("text, rate", [
    ("△10.9", "-10.9"), ("-3.6%", "-3.6"), ("14.8％", "14.8"), ("1.9パーセント", "1.9"), ("▲0.83%", "-0.83"),
    ("1,204.42%", "1204.42"), ("0.0", "0.0"), ("１１２．５％", "112.5"), ("+2.1%", "2.1"),
])
def test_rates_as_printed_keep_their_precision(text, rate):
    assert str(parse_rate(text)) == rate


@pytest.mark.parametrize("text", ["", "%", "△", "10.9.1", "約3%", "3割"])
def test_a_rate_that_is_not_a_number_is_refused(text):
    with pytest.raises(AmountError):
        parse_rate(text)


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["△", "▲", "-", "－"]))
def test_thousand_yen_cells_with_any_minus_sign(thousands, minus):
    text = (minus if thousands < 0 else "") + f"{abs(thousands):,}"
    assert parse_table_amount(text, "千円") == thousands * 1000


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_the_citys_notation_read_as_printed_gives_the_same_yen(yen):
    assert parse_table_amount(format_yen(yen), "as printed") == yen


def test_every_unit_is_known_to_the_loader():
    assert set(TABLE_UNITS) == {"円", "千円", "百万円", "as printed"}
