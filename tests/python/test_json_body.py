"""Response(json=...): plain documents are encoded by the engine, the rest by orjson.

orjson is the reference: for every document the body is byte for byte what
orjson.dumps gives, and where orjson refuses a document the same error comes out.
"""

import enum
import math
import random
import struct
from collections import OrderedDict

import orjson
import pytest

from lesto import Response


def random_str(rng):
    pools = ["abc xyz", '"\\/', "".join(map(chr, range(32))), "\x7féàü€", "😀𝄞", "\u2028\u2029"]
    size = rng.choice([rng.randrange(9), rng.randrange(40)])  # one word, or several and a tail
    return "".join(rng.choice(rng.choice(pools)) for _ in range(size))


def random_float(rng):
    while True:
        (x,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
        if math.isfinite(x):
            return rng.choice([x, round(x, 3), float(rng.randrange(-10**6, 10**6)), 0.0, -0.0, 1e16, 1e-7])


def random_doc(rng, depth=0):
    kind = rng.randrange(9 if depth < 6 else 6)
    if kind == 0:
        return random_str(rng)
    if kind == 1:
        return rng.choice([0, 1, -1, 2**63 - 1, -2**63, rng.randrange(-2**63, 2**63)])
    if kind == 2:
        return random_float(rng)
    if kind == 3:
        return rng.choice([True, False, None])
    if kind in (4, 5):
        return rng.randrange(-1000, 1000)
    if kind == 6:
        return [random_doc(rng, depth + 1) for _ in range(rng.randrange(5))]
    if kind == 7:
        return tuple(random_doc(rng, depth + 1) for _ in range(rng.randrange(4)))
    return {random_str(rng): random_doc(rng, depth + 1) for _ in range(rng.randrange(5))}


def test_random_plain_documents_match_orjson_byte_for_byte():
    rng = random.Random(20261126)
    for _ in range(5000):
        doc = random_doc(rng)
        if doc is None:  # json=None means no json at all, as in japronto
            continue
        assert Response(json=doc).body == orjson.dumps(doc), doc


def test_floats_stay_floats_and_keep_their_value():
    for x in [1.0, -0.0, 1e16, 1e-7, 5e-324, 1.7976931348623157e308, 0.1, 123456789.0, 2.5e-5]:
        body = Response(json=x).body
        assert body == orjson.dumps(x)
        back = orjson.loads(body)
        assert type(back) is float and back == x and math.copysign(1, back) == math.copysign(1, x)


def nested(depth):
    doc = "deep"
    for _ in range(depth):
        doc = [doc]
    return doc


class Color(enum.IntEnum):
    RED = 1


class Tag(str):
    pass


@pytest.mark.parametrize("doc", [
    float("nan"), [float("inf")], {"a": -math.inf},   # orjson writes null
    Color.RED, [Tag("x")], OrderedDict(a=1), {"k": [Color.RED]},  # subclasses
    nested(40),                                         # past 32 levels
    2**63, 2**64 - 1,                                   # orjson's 64-bit range
])
def test_documents_outside_the_plain_subset_are_orjsons(doc):
    assert Response(json=doc).body == orjson.dumps(doc)


@pytest.mark.parametrize("doc", [
    {1: "int key"}, {("a",): 1}, {1, 2}, object(), 2**64, -2**63 - 1, "\ud800", {"\udfff": 1},
    [b"bytes"],
])
def test_what_orjson_refuses_is_refused_with_its_error(doc):
    with pytest.raises(TypeError) as ours:
        Response(json=doc)
    with pytest.raises(TypeError) as reference:
        orjson.dumps(doc)
    assert type(ours.value) is type(reference.value)
    assert str(ours.value) == str(reference.value)

