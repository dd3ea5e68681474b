"""The patched FerretDB (deploy/ferretdb-sqlite-indexes.patch) answers pushed-down filters exactly as the
unpatched path does, and from an index. On PostgreSQL (DH_STORE=postgresql) the answers are checked the same way;
the index searches are the SQLite patch's own and are not asked of a backend that has no such patch
(docs/operations.md, "FerretDB on PostgreSQL": every query there is a sequential scan).

`{"$and": [filter]}` is never pushed down, so FerretDB answers it by decoding every document in Go: the reference.
"""
import uuid

import pymongo
import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from tests.support import STORE

sqlite_patch_only = pytest.mark.skipif(STORE != "sqlite", reason="the SQLite index patch's own behaviour: "
                                       "FerretDB on PostgreSQL has no such patch and uses no index (operations.md)")

VALUES = st.one_of(st.sampled_from(["a", "b", "Khánh Hòa", 'q"uote', "back\\slash", "<tag>", ""]),
                   st.integers(-2, 2), st.none(),
                   st.lists(st.sampled_from(["a", "b", 'q"uote']), max_size=3),
                   st.fixed_dictionaries({"x": st.sampled_from(["a", "b"])}))
DOCUMENTS = st.lists(st.one_of(st.fixed_dictionaries({"f": VALUES, "g": VALUES}), st.fixed_dictionaries({"g": VALUES})),
                     max_size=25)
FILTERS = st.one_of(
    st.fixed_dictionaries({"f": st.sampled_from(["a", "b", "Khánh Hòa", 'q"uote', "<tag>", "", "zz"])}),
    st.fixed_dictionaries({"f": st.fixed_dictionaries({"$in": st.lists(
        st.sampled_from(["a", "b", 'q"uote', "zz"]), min_size=1, max_size=3)})}),
    st.fixed_dictionaries({"f": st.sampled_from(["a", "b"]), "g": st.sampled_from(["a", "b", 1])}),
    st.fixed_dictionaries({"f": VALUES}))


@pytest.fixture(scope="module")
def collection(ferretdb):
    client = pymongo.MongoClient(ferretdb.uri)
    name = f"pushdown_{uuid.uuid4().hex[:8]}"
    collection = client[name]["docs"]
    collection.create_index("f")
    collection.create_index([("f", 1), ("g", 1)])
    yield collection
    client.drop_database(name)
    client.close()


def ids(cursor) -> set[str]:
    return {document["_id"] for document in cursor}


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents=DOCUMENTS, query=FILTERS)
def test_pushed_down_filters_find_what_the_full_scan_finds(collection, documents, query):
    collection.delete_many({})
    if documents:
        collection.insert_many([{"_id": f"d{i}", **document} for i, document in enumerate(documents)])
    assert ids(collection.find(query)) == ids(collection.find({"$and": [query]}))
    assert collection.count_documents(query) == collection.count_documents({"$and": [query]})


def test_an_array_field_still_matches_its_element(collection):
    collection.delete_many({})
    collection.insert_many([{"_id": "scalar", "f": "a"}, {"_id": "array", "f": ["b", "a"]}, {"_id": "other", "f": "b"}])
    assert ids(collection.find({"f": "a"})) == {"scalar", "array"}
    assert ids(collection.find({"f": {"$in": ["a"]}})) == {"scalar", "array"}


@pytest.mark.parametrize("name", ["[0]", "[ab]", "a-b", "x y", "_ferretdb_x", "ý"])
def test_odd_field_names_find_what_the_full_scan_finds(collection, name):
    collection.delete_many({})
    collection.insert_many([{"_id": "1", name: "a"}, {"_id": "2", name: ["a"]}, {"_id": "3", name: "b"}])
    assert ids(collection.find({name: "a"})) == ids(collection.find({"$and": [{name: "a"}]})) == {"1", "2"}
    assert ids(collection.find({name: {"$in": ["a", "b"]}})) == {"1", "2", "3"}


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(0, 12), wanted=st.lists(st.one_of(st.sampled_from(["d1", "d3", "d11", "zz", 'q"uote']),
                                                          st.integers(0, 3)), min_size=1, max_size=5))
def test_ids_in_a_list_find_what_the_full_scan_finds(collection, count, wanted):
    collection.delete_many({})
    if count:
        collection.insert_many([{"_id": f"d{i}", "f": "a"} for i in range(count)] + [{"_id": 1, "f": "n"}])
    query = {"_id": {"$in": wanted}}
    found = ids(collection.find({"$and": [query]}))
    assert ids(collection.find(query)) == found
    assert collection.delete_many(query).deleted_count == len(found)
    assert ids(collection.find({"$and": [query]})) == set()


@sqlite_patch_only
def test_ids_in_a_list_are_an_index_search(collection):
    plan = " ".join(collection.find({"_id": {"$in": ["d1", "d2"]}}).explain()["queryPlanner"]["Plan"])
    assert "SCAN" not in plan and "USING INDEX" in plan


@sqlite_patch_only
def test_equality_on_an_indexed_field_is_an_index_search(collection):
    plan = " ".join(collection.find({"f": {"$in": ["a", "b"]}}).explain()["queryPlanner"]["Plan"])
    assert "SCAN" not in plan
    assert "USING INDEX" in plan and "__ferretdb_type" in plan


@sqlite_patch_only
def test_dropping_the_last_index_on_a_field_drops_its_companion(ferretdb):
    client = pymongo.MongoClient(ferretdb.uri)
    name = f"pushdown_{uuid.uuid4().hex[:8]}"
    try:
        docs = client[name]["docs"]
        docs.create_index("f")
        docs.create_index([("f", 1), ("g", 1)])
        docs.insert_many([{"_id": "1", "f": ["a"]}, {"_id": "2", "f": "a"}])
        docs.drop_index("f_1")
        assert "__ferretdb_type" in " ".join(docs.find({"f": "a"}).explain()["queryPlanner"]["Plan"])
        docs.drop_index("f_1_g_1")
        assert "__ferretdb_type" not in " ".join(docs.find({"f": "a"}).explain()["queryPlanner"]["Plan"])
        assert ids(docs.find({"f": "a"})) == {"1", "2"}
    finally:
        client.drop_database(name)
        client.close()
