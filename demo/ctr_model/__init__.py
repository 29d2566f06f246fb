"""A small click-through-rate model, packed by scripts/demo as the conda package ctr-model.

Users and items are described by 8 numbers each. A user's come from a hash of the user id,
so the trainer (demo/train.py) and the Flask service (serve.py) compute the same ones
without a feature store; the item catalogue is generated from a fixed seed. A model scores
(user, item) pairs; the service recommends the item with the highest predicted click
probability. The model's architecture and version are in card.json, its weights in
weights.pt (a state_dict), both beside this file.
"""
import hashlib
import json
import pathlib

import torch
from torch import nn

FEATURES = 8
ITEMS = 100


def user_features(user_ids):
    """One row of FEATURES numbers per user id, the same on every machine."""
    rows = []
    for user in user_ids:
        seed = int.from_bytes(hashlib.sha256(user.encode()).digest()[:8], "little")
        rows.append(torch.randn(FEATURES, generator=torch.Generator().manual_seed(seed)))
    return torch.stack(rows)


def item_features():
    return torch.randn(ITEMS, FEATURES, generator=torch.Generator().manual_seed(20261202))


def build_model(card):
    """A logistic regression ("hidden": []) or an MLP with the card's hidden widths."""
    layers, width = [], 2 * FEATURES
    for hidden in card["hidden"]:
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


def pairs(users, items):
    """Every (user, item) pair as model input: [len(users) * len(items), 2 * FEATURES]."""
    u = users.repeat_interleave(items.shape[0], dim=0)
    i = items.repeat(users.shape[0], 1)
    return torch.cat([u, i], dim=1)


class Recommender:
    """The packaged model: loads card.json and weights.pt from `directory`."""

    def __init__(self, directory=pathlib.Path(__file__).parent):
        self.card = json.loads((directory / "card.json").read_text())
        self.model = build_model(self.card)
        self.model.load_state_dict(torch.load(directory / "weights.pt"))
        self.model.eval()
        self.items = item_features()

    @torch.no_grad()
    def recommend(self, user):
        logits = self.model(pairs(user_features([user]), self.items)).squeeze(1)
        best = int(torch.argmax(logits))
        return best, float(torch.sigmoid(logits[best]))
