"""ISO 8601 parsing: a column of one kind (all naive, all with a UTC offset) takes the direct path and
gives exactly what the masked assignment gives (the reference below is the previous implementation)."""

from __future__ import annotations

import warnings

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rashrisk.contract.parse import _parse_iso, _parse_kind, has_utc_offset


def masked_parse_iso(text: pd.Series) -> pd.Series:
    offset = has_utc_offset(text)
    values = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for part, utc in ((~offset, False), (offset, True)):
        if part.any():
            values[part] = _parse_kind(text[part], utc=utc).to_numpy()
    return values


CELLS = st.one_of(
    st.sampled_from(["2023-02-11T09:00", "2023-02-11 09:00:30", "2023-02-11", "2023-02-11T09:00Z",
                     "2023-02-11T09:00+02:00", "2023-02-11T23:30-0500", "2023-02-11T09:00:00.5+08", "not a date",
                     "2023-13-40T99:00", " 2023-02-11T09:00 ", "", "1677-09-21T00:12:43", "2262-04-12T00:00"]),
    st.none(),
    st.datetimes().map(lambda d: d.isoformat()),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.lists(CELLS, max_size=5), offset=st.integers(0, 3))
def test_parse_iso_equals_the_masked_assignment(cells, offset):
    text = pd.Series(cells, dtype=object, index=range(offset, offset + len(cells)), name="sample_time")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got, expected = _parse_iso(text), masked_parse_iso(text)
    pd.testing.assert_series_equal(got, expected, check_exact=True)


def test_offsets_pandas_reads_beside_naive_times_are_no_server_error():
    """Found by the row-rules fuzz test: '2025/03/17T08:00Z' (an offset has_utc_offset does not see)
    beside naive times made pandas return an object column and the parser raise AttributeError (a 500
    over HTTP); the times are now read one by one and the request is a 422 naming the bad sample."""
    from rashrisk.service.inputs import RequestProblems, single_input
    from rashrisk.service.schemas import EXAMPLE_PATIENT

    sample = dict(EXAMPLE_PATIENT["tdm"][0])
    times = ["2025-00-00", "2025-03-17T08:00", "2025/03/17T08:00Z"]
    document = dict(EXAMPLE_PATIENT, tdm=[dict(sample, sample_time=t) for t in times])
    try:
        single_input(document)
    except RequestProblems as exc:
        assert [p["loc"] for p in exc.problems] == [["body", "patient", "tdm", 0, "sample_time"]]
    else:
        raise AssertionError("the impossible date 2025-00-00 was accepted")
    values = _parse_kind(pd.Series(times, dtype=object), utc=False)
    assert str(values.dtype) == "datetime64[ns]" and pd.isna(values.iloc[0])
