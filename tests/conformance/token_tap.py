"""A tiny Singer tap of the Zuora emulator for the expired-token check (see test_suite.py):
``python token_tap.py --config ...``. It takes one OAuth token, then reads ``/v1/describe``
ten times, one record each. With ``"reauth": true`` in its config it takes a new token when
one is refused (401); without, a refused token ends the run (exit 1)."""

import json
import sys

import requests

CATALOG = {"streams": [
    {"tap_stream_id": "reads", "stream": "reads", "key_properties": ["id"],
     "schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
     "metadata": [{"breadcrumb": [], "metadata": {"table-key-properties": ["id"]}},
                  {"breadcrumb": ["properties", "id"], "metadata": {"inclusion": "automatic"}}]},
]}  # fmt: skip


def emit(message):
    sys.stdout.write(json.dumps(message) + "\n")


def token(config):
    answer = requests.post(f"{config['base_url']}/oauth/token", timeout=10, data={
        "client_id": config["client_id"], "client_secret": config["client_secret"],
        "grant_type": "client_credentials"})  # fmt: skip
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def main(argv):
    if "--about" in argv:
        emit({"name": "token-tap", "capabilities": ["catalog", "discover"],
              "settings": {"type": "object", "properties": {
                  "client_secret": {"type": "string", "secret": True}}}})  # fmt: skip
        return 0
    config = json.load(open(argv[argv.index("--config") + 1]))
    if "--discover" in argv:
        emit(CATALOG)
        return 0
    emit({"type": "SCHEMA", "stream": "reads", "schema": CATALOG["streams"][0]["schema"],
          "key_properties": ["id"]})  # fmt: skip
    bearer = token(config)
    for number in range(1, 11):
        answer = requests.get(f"{config['base_url']}/v1/describe", headers=bearer, timeout=10)
        if answer.status_code == 401 and config.get("reauth"):
            bearer = token(config)
            answer = requests.get(f"{config['base_url']}/v1/describe", headers=bearer, timeout=10)
        if answer.status_code != 200:
            sys.stderr.write(f"token-tap: HTTP {answer.status_code} on read {number}\n")
            return 1
        emit({"type": "RECORD", "stream": "reads", "record": {"id": number}})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
