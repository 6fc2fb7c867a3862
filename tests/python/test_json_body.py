"""Response(json=...): the engine walks the document, orjson encodes the values it does not know.

orjson is the reference: for every document orjson takes, the body is byte
for byte what orjson.dumps gives, and where orjson refuses a value the same
error comes out. Beyond orjson: dict keys json.dumps takes (written as
json.dumps writes them, as japronto did) and Lesto's mappings (as dict(m)).
"""

import datetime
import enum
import json
import math
import random
import struct
import sys
from collections import Counter, OrderedDict, defaultdict

import orjson
import pytest

from lesto import Headers, MultiDict, Response, _native


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


def collections_namedtuple_point():
    from collections import namedtuple

    return namedtuple("Point", "x y")(1, 2)


class Color(enum.IntEnum):
    RED = 1


class Tag(str):
    pass


@pytest.mark.parametrize("doc", [
    float("nan"), [float("inf")], {"a": -math.inf},   # orjson writes null
    Color.RED, [Tag("x")], OrderedDict(a=1), {"k": [Color.RED]},  # subclasses
    nested(40), nested(254),                            # orjson's limit is 255 levels
    2**63, 2**64 - 1,                                   # orjson's 64-bit range
])
def test_documents_outside_the_plain_subset_are_orjsons(doc):
    assert Response(json=doc).body == orjson.dumps(doc)


@pytest.mark.parametrize("doc", [
    {1, 2}, object(), 2**64, -2**63 - 1, "\ud800", {"\udfff": 1}, [{"a": "\udfff"}], [b"bytes"],
    nested(255), {"a": [1, {"b": object()}]}, collections_namedtuple_point(),
])
def test_what_orjson_refuses_is_refused_with_its_error(doc):
    with pytest.raises(TypeError) as ours:
        Response(json=doc)
    with pytest.raises(TypeError) as reference:
        orjson.dumps(doc)
    assert type(ours.value) is type(reference.value)
    assert str(ours.value) == str(reference.value)



def test_a_self_containing_list_reaches_the_depth_limit():
    loop = []
    loop.append(loop)
    with pytest.raises(TypeError, match="Recursion limit reached"):
        Response(json=loop)


# ---- dict keys: as json.dumps writes them ------------------------------------------------


def random_key(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return rng.choice([0, 1, -1, 2**63 - 1, -2**63, 2**64, -2**100, rng.randrange(-2**70, 2**70)])
    if kind == 1:
        return rng.choice([random_float(rng), math.inf, -math.inf, math.nan, 1e-5, 1e22, 0.1])
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3:
        return rng.choice([Color.RED, Tag("tag")])
    return random_str(rng)


def random_keyed_doc(rng, depth=0):
    if depth and (depth > 3 or rng.random() < 0.3):
        return rng.choice([1, "v", None, [1, 2], 2.5])
    make = rng.choice([dict, OrderedDict])
    return make((random_key(rng), random_keyed_doc(rng, depth + 1)) for _ in range(rng.randrange(5)))


def test_random_keys_are_written_as_json_dumps_writes_them():
    rng = random.Random(20261127)
    for _ in range(3000):
        doc = random_keyed_doc(rng)
        # Keys as json.dumps writes them; str keys and the values are orjson's,
        # which for these values is json.dumps' too.
        assert Response(json=doc).body == json.dumps(doc, separators=(",", ":"),
                                                     ensure_ascii=False).encode(), doc


@pytest.mark.parametrize("doc, body", [
    ({1: "a"}, b'{"1":"a"}'),
    ({True: 1, False: 2, None: 3}, b'{"true":1,"false":2,"null":3}'),
    ({1.0: 1, 1e16: 2, 1e-05: 3, -0.0: 4}, b'{"1.0":1,"1e+16":2,"1e-05":3,"-0.0":4}'),
    ({math.inf: 1, -math.inf: 2, math.nan: 3}, b'{"Infinity":1,"-Infinity":2,"NaN":3}'),
    ({2**70: 1}, b'{"1180591620717411303424":1}'),
    ({Color.RED: 1, Tag("t"): 2}, b'{"1":1,"t":2}'),
    (Counter([5, 5, 6]), b'{"5":2,"6":1}'),
    (defaultdict(list, {7: [1]}), b'{"7":[1]}'),
    ({1: datetime.date(2024, 1, 2)}, b'{"1":"2024-01-02"}'),  # orjson's value, json.dumps' key
    ({"1": "a", 1: "b"}, b'{"1":"a","1":"b"}'),                # as json.dumps: both
])
def test_non_str_keys(doc, body):
    assert Response(json=doc).body == body


@pytest.mark.parametrize("key", [(1, 2), b"x", frozenset(), object(), 1j, datetime.date(2024, 1, 2)])
def test_keys_json_dumps_refuses_are_a_type_error_naming_the_key(key):
    with pytest.raises(TypeError) as info:
        Response(json={"outer": [{key: 1}]})
    message = str(info.value)
    assert "dict keys must be str, int, float, bool or None" in message
    assert type(key).__name__ in message and repr(key) in message
    with pytest.raises(TypeError):  # json.dumps refuses them too
        json.dumps({key: 1})


# ---- Lesto's mappings: dict(mapping) ------------------------------------------------------


def test_headers_encode_as_dict_of_headers():
    headers = Headers([("Host", "a"), ("X-Tag", "1"), ("X-Tag", "2")])
    assert dict(headers) == {"Host": "a", "X-Tag": "1, 2"}
    assert Response(json=headers).body == b'{"Host":"a","X-Tag":"1, 2"}'


def test_multidicts_encode_each_names_last_value():
    query = MultiDict([("a", "1"), ("b", "x"), ("a", "3")])
    assert Response(json=query).body == b'{"a":"3","b":"x"}'
    assert Response(json=MultiDict()).body == b"{}"


def test_mappings_inside_documents_and_inside_each_other():
    query = MultiDict([("a", "1")])
    outer = MultiDict([("q", query), ("n", 2**63), ("d", datetime.date(2024, 1, 2))])
    doc = {"list": [query, (query,)], 1: outer, "plain": "x"}
    assert Response(json=doc).body == (
        b'{"list":[{"a":"1"},[{"a":"1"}]],"1":{"q":{"a":"1"},"n":9223372036854775808,'
        b'"d":"2024-01-02"},"plain":"x"}')


class Tracked(MultiDict):
    """A subclass whose [] encodes JSON itself while the outer document waits."""

    def __getitem__(self, name):
        return {"inner": Response(json=[MultiDict([("x", name)]), 1]).body.decode()}


def test_subclasses_encode_too_and_may_encode_json_while_being_encoded():
    assert Response(json={"t": Tracked([("k", "v")]), "after": [1]}).body == (
        b'{"t":{"k":{"inner":"[{\\"x\\":\\"k\\"},1]"}},"after":[1]}')


def test_a_mapping_that_fails_while_read_raises_its_error():
    class Broken(MultiDict):
        def __getitem__(self, name):
            raise KeyError(f"broken {name}")

    with pytest.raises(KeyError, match="broken a"):
        Response(json=[Broken([("a", "1")])])


def test_mappings_count_towards_the_depth_limit():
    doc = MultiDict([("a", "leaf")])
    for _ in range(253):
        doc = [doc]
    assert Response(json=doc).body == b"[" * 253 + b'{"a":"leaf"}' + b"]" * 253
    with pytest.raises(TypeError, match="Recursion limit reached"):
        Response(json=[doc])


def test_other_mappings_are_left_to_orjson():
    from types import MappingProxyType

    with pytest.raises(TypeError, match="not JSON serializable: mappingproxy"):
        Response(json=MappingProxyType({"a": 1}))


def test_json_as_dict_takes_a_class():
    with pytest.raises(TypeError, match="takes a class"):
        _native.json_as_dict(MultiDict())


def test_values_left_to_orjson_are_released_whether_encoding_succeeds_or_fails():
    leaf = datetime.date(2024, 1, 2)
    headers = Headers([("A", "1")])
    before = sys.getrefcount(leaf), sys.getrefcount(headers)
    for _ in range(200):
        Response(json=[leaf, headers, {"k": leaf}])
        for bad in ([leaf, headers, {(1,): 1}], [leaf, headers, object()], [leaf, nested(300)]):
            with pytest.raises(TypeError):
                Response(json=bad)
    del bad  # the loop's last list holds the leaf too
    assert (sys.getrefcount(leaf), sys.getrefcount(headers)) == before
