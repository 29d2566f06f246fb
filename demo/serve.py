"""A tiny click-through-rate "model" server used by scripts/demo.

graft packs this file with a model version baked into model.json, installs it into an
environment, and runs one copy per variant behind `graft proxy`. The score is a fixed
function of the user id and the model's weights, so two versions disagree in a visible,
reproducible way.
"""
import argparse
import hashlib
import json
import os
import pathlib

from flask import Flask, jsonify, request

app = Flask(__name__)
MODEL = json.loads((pathlib.Path(__file__).with_name("model.json")).read_text())


def score(user: str) -> float:
    digest = hashlib.sha256((MODEL["version"] + user).encode()).digest()
    base = digest[0] / 255.0
    return round(base * MODEL["weight"] + MODEL["bias"], 4)


@app.get("/health")
def health():
    return "ok\n"


@app.route("/predict", methods=["GET", "POST"])
def predict():
    user = request.headers.get("X-User-Id", "anonymous")
    response = jsonify(model=MODEL["name"], version=MODEL["version"], score=score(user))
    response.headers["X-Model-Version"] = MODEL["version"]
    return response


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "9001")))
    args = parser.parse_args()
    app.run(host="127.0.0.1", port=args.port, threaded=True)
