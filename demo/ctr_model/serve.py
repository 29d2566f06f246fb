"""`ctr-serve --port N`: the model behind a Flask app.

GET /health answers "ok" once the model is loaded. GET or POST /predict recommends an
item to the user named by the X-User-Id header and returns its predicted click
probability as "p_click" (graft exp load --outcome p_click draws clicks from it).
"""
import argparse
import logging
import os

import torch
from flask import Flask, jsonify, request

from ctr_model import Recommender


def create_app(recommender):
    app = Flask(__name__)

    @app.get("/health")
    def health():
        return "ok\n"

    @app.route("/predict", methods=["GET", "POST"])
    def predict():
        user = request.headers.get("X-User-Id", "anonymous")
        item, p_click = recommender.recommend(user)
        version = recommender.card["version"]
        response = jsonify(model=f"ctr-model {version}", item=item, p_click=round(p_click, 5))
        response.headers["X-Model-Version"] = version
        return response

    return app


def main():
    parser = argparse.ArgumentParser(prog="ctr-serve")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "9001")))
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    torch.set_num_threads(int(os.environ.get("MODEL_THREADS", "1")))
    recommender = Recommender()
    recommender.recommend("warm-up")  # the first call initialises torch: not on a user's time
    app = create_app(recommender)
    app.run(host="127.0.0.1", port=args.port, threaded=True)


if __name__ == "__main__":
    main()
