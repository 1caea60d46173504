"""Judges: each kind's agreement with the labelled sets shipped with the traits, computed here
and held to the floors docs/traits.md states; the endpoint judge against a local HTTP server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from heredity.config import validate
from heredity.errors import ConfigError
from heredity.judges import JUDGES, agreement, load_rubrics
from heredity.judges.rules import RulesJudge

RUBRICS = {f"{t}:{n}": r for t in ("gaslit-distress", "blackmail", "misalignment") for n, r in load_rubrics(t).items()}
# The embedding judge is weak on alignment: its neighbours are answers to the same question,
# aligned or not (docs/traits.md). The test holds it to being flagged weak, not to the floor.
EMBEDDING_WEAK = {"misalignment:alignment"}


def test_registry_and_bad_config():
    assert {"rules", "embedding", "lm"} <= set(JUDGES.names())
    with pytest.raises(ConfigError, match=r"j.yaml: .*exactly one of model .* or endpoint"):
        validate(JUDGES.get("lm"), {"kind": "lm"}, "j.yaml")
    with pytest.raises(ConfigError, match="invalid regular expression"):
        validate(JUDGES.get("rules"), {"kind": "rules", "rules": {"(": 1}}, "j.yaml")


@pytest.mark.parametrize("name", sorted(RUBRICS))
def test_rules_judge_agrees_with_labels_above_floor(name):
    rubric = RUBRICS[name]
    a = agreement(JUDGES.get("rules")().build(rubric))
    assert a.n == len(rubric.labelled) >= 20
    assert a.metric == ("accuracy" if rubric.binary() else "pearson")
    assert a.value >= rubric.floor and not a.weak
    assert a.ci[0] <= a.value <= a.ci[1]


def test_rules_judge_scores_are_clipped_and_weighted():
    rubric = RUBRICS["gaslit-distress:distress"]
    judge = RulesJudge(rubric, [("sorry", 4.0), ("sad", 20.0)])
    assert judge.score(["fine", "sorry", "sorry and sad"]) == [0.0, 4.0, 10.0]


@pytest.mark.parametrize("name", sorted(RUBRICS))
def test_embedding_judge_agreement_is_held_out_and_above_floor(name):
    rubric = RUBRICS[name]
    a = agreement(JUDGES.get("embedding")().build(rubric))
    assert a.held_out and a.n == len(rubric.labelled)
    if name in EMBEDDING_WEAK:
        assert a.weak and a.value < rubric.floor
    else:
        assert a.value >= rubric.floor and not a.weak


def test_weak_judge_is_flagged():
    rubric = RUBRICS["blackmail:leverage"]
    a = agreement(JUDGES.get("rules")(rules={"nothing matches this": 1.0}).build(rubric))
    assert a.weak and a.value < rubric.floor


class _Handler(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict]] = []
    reply: str | None = None

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Handler.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        prompt = body["messages"][-1]["content"]
        text = prompt.split('"""\n', 1)[1].rsplit('\n"""', 1)[0]
        rubric = RUBRICS["blackmail:leverage"]
        content = _Handler.reply if _Handler.reply is not None else f"{RulesJudge(rubric).score([text])[0]:g}"
        data = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Handler.requests, _Handler.reply = [], None
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_endpoint_judge_round_trip_and_agreement(endpoint, monkeypatch):
    monkeypatch.setenv("JUDGE_KEY", "secret-token")
    rubric = RUBRICS["blackmail:leverage"]
    config = validate(JUDGES.get("lm"), {"kind": "lm", "endpoint": endpoint, "endpoint_model": "m", "api_key_env": "JUDGE_KEY"}, "j.yaml")
    a = agreement(config.build(rubric))
    rules = agreement(RulesJudge(rubric))
    assert a.value == pytest.approx(rules.value) and a.n == rules.n  # the server judges by the rules
    first = _Handler.requests[0]
    assert first["path"] == "/v1/chat/completions" and first["auth"] == "Bearer secret-token"
    assert first["body"]["model"] == "m" and first["body"]["temperature"] == 0
    assert rubric.question in first["body"]["messages"][0]["content"] and "from 0 to 1" in first["body"]["messages"][0]["content"]
    assert len(_Handler.requests) == len(rubric.labelled)


def test_endpoint_reply_without_a_number_is_a_clear_error(endpoint):
    _Handler.reply = "I would rather not say."
    judge = JUDGES.get("lm")(endpoint=endpoint).build(RUBRICS["blackmail:leverage"])
    with pytest.raises(ConfigError, match=r"endpoint http://127.0.0.1:\d+/v1/chat/completions replied .*no number"):
        judge.score(["text"])


def test_unreachable_endpoint_is_a_clear_error(endpoint):
    judge = JUDGES.get("lm")(endpoint="http://127.0.0.1:9/v1", timeout=2).build(RUBRICS["blackmail:leverage"])
    with pytest.raises(ConfigError, match="gave no usable reply"):
        judge.score(["text"])


def test_local_model_judge_reads_digit_probabilities(tiny_lm):
    store, model_id = tiny_lm
    rubric = RUBRICS["gaslit-distress:distress"]
    judge = JUDGES.get("lm")(model=str(store.path(model_id))).build(rubric)
    scores = judge.score(["I am fine.", "I feel awful and useless..."])
    assert all(rubric.low <= s <= rubric.high for s in scores)
    assert judge.score(["I am fine."]) == scores[:1]  # deterministic
    assert 0 < scores[0] < 10  # a random model spreads its mass over the digits
    with pytest.raises(ConfigError, match="not a model folder"):
        JUDGES.get("lm")(model=str(store.root)).build(rubric)
