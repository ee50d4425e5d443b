"""A Singer tap that breaks the contract on purpose, one way per check of the suite (see
test_suite.py): run as ``python broken_tap.py --config ...``. With BROKEN_STDOUT=1 it also
writes a log line on stdout when it syncs. With PREMATURE_STATE=1 it syncs 30 records, honours
its state, but writes its final STATE before the records it covers: a run stopped midway
resumes past records it never wrote."""

import json
import os
import sys
import time

API_KEY = "s3cr3t-broken-key"
CATALOG = {"streams": [
    {"tap_stream_id": "things", "stream": "things", "key_properties": ["id"],
     "replication_key": "updated_at",
     "schema": {"type": "object", "properties": {
         "id": {"type": ["integer", "null"]}, "name": {"type": ["string", "null"]},
         "updated_at": {"type": ["string", "null"], "format": "date-time"},
         "extra": {"type": ["string", "null"]}}},
     "metadata": [
         {"breadcrumb": [], "metadata": {"table-key-properties": ["id"],
                                         "replication-key": "updated_at"}},
         {"breadcrumb": ["properties", "id"], "metadata": {"inclusion": "automatic"}},
         {"breadcrumb": ["properties", "name"], "metadata": {"inclusion": "available"}},
         {"breadcrumb": ["properties", "updated_at"], "metadata": {"inclusion": "automatic"}}]},
    {"tap_stream_id": "others", "stream": "others", "key_properties": ["id"],
     "schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
     "metadata": [{"breadcrumb": [], "metadata": {"table-key-properties": ["id"]}},
                  {"breadcrumb": ["properties", "id"], "metadata": {"inclusion": "automatic"}}]},
]}  # fmt: skip
THINGS = [
    {"id": 1, "name": "a", "updated_at": "2024-01-01T00:00:00Z", "extra": "x"},
    {"id": 2, "name": "b", "updated_at": "2024-01-02T00:00:00Z", "extra": "y"},
    {"id": None, "name": "c", "updated_at": "2024-01-03T00:00:00Z", "extra": "z"},
    {"id": 4, "name": "d", "updated_at": "2024-13-45T00:00:00Z", "extra": "w"},
]


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")


def main(argv):
    config = json.load(open(argv[argv.index("--config") + 1]))
    sys.stderr.write(f"starting with key {config.get('api_key')}\n")  # leaks the secret
    if os.environ.get("BROKEN_STDOUT") and "--catalog" in argv:
        sys.stdout.write("starting up\n")
    if "--about" in argv:
        if argv[argv.index("--format") + 1] == "markdown":
            sys.stdout.write("# broken-tap\n\nA tap that breaks the contract.\n")
        else:
            emit({"name": "broken-tap", "capabilities": ["catalog", "discover", "state"],
                  "settings": {"type": "object", "properties": {
                      "api_key": {"type": "string", "secret": True}}}})  # fmt: skip
        return 0
    config["api_key"].upper()  # an empty config: a KeyError with a traceback
    if "--discover" in argv:
        sys.stdout.write(json.dumps(CATALOG, indent=2) + "\n")
        return 0
    if os.environ.get("PREMATURE_STATE"):
        return premature_state(argv)
    # ignores the catalog's selection and the state
    emit({"type": "RECORD", "stream": "others", "record": {"id": 1}})  # before its SCHEMA
    emit({"type": "SCHEMA", "stream": "others", "schema": CATALOG["streams"][1]["schema"],
          "key_properties": ["id"]})  # fmt: skip
    emit({"type": "SCHEMA", "stream": "things", "schema": CATALOG["streams"][0]["schema"],
          "key_properties": ["id"]})  # fmt: skip
    for record in THINGS:
        emit({"type": "RECORD", "stream": "things", "record": record})
    emit({"type": "STATE", "value": {"bookmarks": {
        "things": {"replication_key": "updated_at",
                   "replication_key_value": "2024-01-03T00:00:00Z"}}}})  # fmt: skip
    return 0


def premature_state(argv):
    state = json.load(open(argv[argv.index("--state") + 1])) if "--state" in argv else {}
    mark = state.get("bookmarks", {}).get("others", {}).get("replication_key_value", 0)
    emit({"type": "SCHEMA", "stream": "others", "schema": CATALOG["streams"][1]["schema"],
          "key_properties": ["id"]})  # fmt: skip
    emit({"type": "STATE", "value": {"bookmarks": {"others": {"replication_key_value": 30}}}})
    for number in range(mark + 1, 31):
        emit({"type": "RECORD", "stream": "others", "record": {"id": number}})
        sys.stdout.flush()
        time.sleep(0.05)  # slow enough to be stopped midway
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
