"""The wire format: arrays as raw buffers, no pickles, opaque descriptions for everything else."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.sandbox.runtime.protocol import MAX_ARRAY_BYTES, Opaque, ProtocolError, read_message, write_message


def roundtrip(message):
    buf = io.BytesIO()
    write_message(buf, message)
    buf.seek(0)
    return read_message(buf)


def test_arrays_and_values_survive_the_trip():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2]   # non-contiguous view
    msg = roundtrip({"a": a, "u": np.arange(3, dtype=np.uint8), "t": (1, "same", (2, 3)), "n": None,
                     "f": float("nan"), "l": [True, 2.5], "d": {"k": np.int64(7)}})
    np.testing.assert_array_equal(msg["a"], a)
    assert msg["a"].dtype == np.float32 and msg["u"].dtype == np.uint8
    assert msg["t"] == (1, "same", (2, 3)) and msg["n"] is None and np.isnan(msg["f"])
    assert msg["l"] == [True, 2.5] and msg["d"]["k"] == 7 and type(msg["d"]["k"]) is np.int64


def test_objects_cross_only_as_descriptions():
    class Sneaky:
        def __eq__(self, other):
            return True

    msg = roundtrip({"obj": Sneaky(), "objarr": np.array([object()]), "s": type("S", (str,), {})("x")})
    assert isinstance(msg["obj"], Opaque) and msg["obj"].type_name == "Sneaky"
    assert msg["objarr"].dtype == "object" and "object" in msg["objarr"].describe()
    assert isinstance(msg["s"], Opaque)


def test_oversized_and_malformed_messages_are_refused():
    buf = io.BytesIO()
    write_message(buf, {"a": np.zeros(10)})
    buf.seek(0)
    with pytest.raises(ProtocolError, match="refused"):
        read_message(buf, max_bytes=10)
    bad = io.BytesIO((5).to_bytes(8, "little") + b"{oops")
    with pytest.raises(ProtocolError, match="malformed"):
        read_message(bad)
    huge = np.lib.stride_tricks.as_strided(np.zeros(1), shape=(MAX_ARRAY_BYTES // 8 + 1,), strides=(0,))
    assert isinstance(roundtrip({"h": huge})["h"], Opaque)


def _raw(header: dict, buffers: list[bytes] = ()) -> io.BytesIO:
    import json

    body = json.dumps(header).encode()
    return io.BytesIO(len(body).to_bytes(8, "little") + body + b"".join(buffers))


def test_replies_that_would_make_the_reader_allocate_without_bound_are_refused():
    # one buffer named many times: a copy each would multiply a small reply
    many = {"r": [{"$nd": 0, "dtype": "<f8", "shape": [1]}] * 3, "$buffers": [8]}
    with pytest.raises(ProtocolError, match="already used"):
        read_message(_raw(many, [b"\0" * 8]))
    # sizes that add up to nothing while one of them is huge
    with pytest.raises(ProtocolError, match="array sizes"):
        read_message(_raw({"$buffers": [2**34, -(2**34)]}))
    # a numpy scalar of a huge non-numeric dtype (its repr alone would be gigabytes)
    with pytest.raises(ProtocolError, match="refused"):
        read_message(_raw({"r": {"$np": "|V8", "value": 2**31 - 1}, "$buffers": []}))
    with pytest.raises(ProtocolError):
        read_message(_raw({"r": {"$nd": 0, "dtype": "<f8", "shape": [2**40]}, "$buffers": [8]}, [b"\0" * 8]))


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(["$nd", "$np", "$tuple", "$dict", "$opaque", "$float", "dtype",
                                                       "shape", "value", "x"]), inner, max_size=4),
                    max_leaves=20))
def test_any_header_is_read_or_refused_never_a_crash(value):
    try:
        read_message(_raw({"r": value, "$buffers": [8]}, [b"\0" * 8]))
    except ProtocolError:
        pass
