"""The compact problem string: C (spp_problem_parse / format) and the oracle agree, only the
canonical spelling is accepted, and malformed strings are rejected with a message that quotes
the string and says where it went wrong."""
import pytest

import spp_lib as L
import spp_oracle as O

GOOD = ["n64c256h13w13_l6.3.2.1_max_adaptive_nchw", "n1c1h1w1_l1_avg_sppnet_nhwc",
        "n2c512h38w50_l4.2.1_avg_caffe_nchw", "n1c256h43w57_l1.2.2.6.6_max_adaptive_nhwc",
        "n32c67h7w5_l4.2.1_max_caffe_nhwc", "n1c1h1w1_l7_max_adaptive_nchw",
        # syntax only: these parse (validation rejects them separately)
        "n0c1h1w1_l1_max_adaptive_nchw", "n1c1h1w1_l0_max_adaptive_nchw",
        "n1c1h1w1_l65_max_adaptive_nchw", "n9223372036854775807c1h1w1_l1_max_adaptive_nchw",
        "n1c1h1w1_l2147483647_max_adaptive_nchw", "n1c1h1w1_l1.2.3.4.5.6.7.8_avg_caffe_nhwc"]

P = L.ERR_PARSE
BAD = [
    ("", P), ("n1c1h1w1", P), ("n1c1h1w1_l1", P), ("n1c1h1w1_l1_max", P),
    ("n1c1h1w1_l1_max_adaptive", P),
    ("n01c1h1w1_l1_max_adaptive_nchw", P),       # leading zero: not canonical
    ("n1c1h1w1_l01_max_adaptive_nchw", P),
    ("n1c1h1w1_l1.02_max_adaptive_nchw", P),
    ("n1c00h1w1_l1_max_adaptive_nchw", P),
    ("n+1c1h1w1_l1_max_adaptive_nchw", P), ("n-1c1h1w1_l1_max_adaptive_nchw", P),
    ("n 1c1h1w1_l1_max_adaptive_nchw", P), (" n1c1h1w1_l1_max_adaptive_nchw", P),
    ("n1c1h1w1_l1_max_adaptive_nchw ", P), ("n1c1h1w1_l1_max_adaptive_nchw\n", P),
    ("N1c1h1w1_l1_max_adaptive_nchw", P), ("n1C1h1w1_l1_max_adaptive_nchw", P),
    ("n1c1w1h1_l1_max_adaptive_nchw", P),        # fields out of order
    ("n1c1h1_l1_max_adaptive_nchw", P),
    ("n1c1h1w1_l_max_adaptive_nchw", P), ("n1c1h1w1_l1._max_adaptive_nchw", P),
    ("n1c1h1w1_l.1_max_adaptive_nchw", P), ("n1c1h1w1_l1..2_max_adaptive_nchw", P),
    ("n1c1h1w1_l1,2_max_adaptive_nchw", P), ("n1c1h1w1_1_max_adaptive_nchw", P),
    ("n1c1h1w1_l1_MAX_adaptive_nchw", P), ("n1c1h1w1_l1_mean_adaptive_nchw", P),
    ("n1c1h1w1_l1_max_Adaptive_nchw", P), ("n1c1h1w1_l1_max_adapt_nchw", P),
    ("n1c1h1w1_l1_max_adaptive_NCHW", P), ("n1c1h1w1_l1_max_adaptive_nchwx", P),
    ("n1c1h1w1_l1_max_adaptive_nchw_", P), ("n1c1h1w1_l1_max_adaptive_nchw_nchw", P),
    ("n1c1h1w1_l1_max_adaptive__nchw", P), ("n1c1h1w1__l1_max_adaptive_nchw", P),
    ("n1c1h1w1_l1_adaptive_max_nchw", P), ("n1c1h1w1_l1_max_nchw_adaptive", P),
    ("n9223372036854775808c1h1w1_l1_max_adaptive_nchw", P),    # > INT64_MAX
    ("n1c1h1w1_l2147483648_max_adaptive_nchw", P),             # > INT32_MAX
    ("n1c1h1w1_l1\u00b2_max_adaptive_nchw", P), ("n\u0661c1h1w1_l1_max_adaptive_nchw", P),
    ("n1c1h1w1_l1.2.3.4.5.6.7.8.9_max_adaptive_nchw", L.ERR_LEVELS),   # 9 > SPP_MAX_LEVELS
]


@pytest.mark.parametrize("s", GOOD)
def test_good_strings(s):
    d = L.parse_problem(s)
    assert d == O.parse_problem(s)
    assert L.format_problem(d) == s == O.format_problem(d)


@pytest.mark.parametrize("s,status", BAD, ids=[repr(b[0]) for b in BAD])
def test_bad_strings(s, status):
    with pytest.raises(L.SppError) as e:
        L.parse_problem(s.encode("utf-8"))
    assert e.value.status == status, e.value
    assert "problem string" in e.value.message
    if s.isascii() and s.isprintable():   # the message quotes the string
        assert s[:20] in e.value.message
    with pytest.raises(ValueError):
        O.parse_problem(s)


def test_parse_error_says_where():
    with pytest.raises(L.SppError) as e:
        L.parse_problem("n1c1h1w1_l1_max_adaptive_nwhc")
    assert "nchw" in e.value.message and "nhwc" in e.value.message
    with pytest.raises(L.SppError) as e:
        L.parse_problem("n1c1hXw1_l1_max_adaptive_nchw")
    assert "'h'" in e.value.message and "character" in e.value.message


def test_parsed_problems_validate_as_spec_says():
    assert L.validate(L.parse_problem(GOOD[0]))[0] == L.OK
    st, msg = L.validate(L.parse_problem("n0c1h1w1_l1_max_adaptive_nchw"))
    assert st == L.ERR_SHAPE and "N=0" in msg
    st, msg = L.validate(L.parse_problem("n1c1h1w1_l0_max_adaptive_nchw"))
    assert st == L.ERR_LEVELS and "=0" in msg
    st, msg = L.validate(L.parse_problem("n1c1h13w13_l6.3.2.1_max_caffe_nchw"))
    assert st == L.ERR_CONVENTION and "H=13" in msg
