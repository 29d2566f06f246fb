"""Trains the two versions of the click-through model on generated data and saves each as
a directory ready for `graft pack --noarch python`:

    OUT/ctr-model-VERSION/site-packages/ctr_model/{__init__.py,serve.py,card.json,weights.pt}

Clicks follow a hidden rule: an item's appeal plus how well it matches the user (a product
of user and item features). Version 1.0 is a logistic regression on the features side by
side: it can learn the appeal but not the match, so it recommends the same items to
everyone. Version 2.0 is an MLP that learns the match: better recommendations, more
compute per request. Both are evaluated on held-out data: log loss, AUC, and the true
click-through rate of the items they would recommend.

Usage: train.py OUT_DIR
"""
import json
import pathlib
import shutil
import sys
import time

import torch
from torch import nn

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import ctr_model  # noqa: E402

VERSIONS = {
    "1.0": {"hidden": [], "epochs": 4, "lr": 0.05},
    "2.0": {"hidden": [128, 128], "epochs": 3, "lr": 0.005},
}


def true_logit(users, items):
    """The hidden rule behind the generated clicks."""
    appeal = 0.6 * items[:, 0]
    match = (users.unsqueeze(1) * items.unsqueeze(0)).sum(2) / 2.0
    return -2.6 + appeal.unsqueeze(0) + match  # [users, items]


def generate(users, samples, generator):
    """`samples` random (user, item) impressions with clicks drawn from the rule."""
    items = ctr_model.item_features()
    u = torch.randint(users.shape[0], (samples,), generator=generator)
    i = torch.randint(items.shape[0], (samples,), generator=generator)
    p = torch.sigmoid(true_logit(users, items)[u, i])
    clicks = (torch.rand(samples, generator=generator) < p).float()
    return torch.cat([users[u], items[i]], dim=1), clicks


def auc(scores, labels):
    order = torch.argsort(scores)
    ranks = torch.empty_like(scores)
    ranks[order] = torch.arange(1, len(scores) + 1, dtype=scores.dtype)
    positives = labels.sum()
    negatives = len(labels) - positives
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def train(version, spec, data, test, test_users):
    torch.manual_seed(1)
    card = {"name": "ctr-model", "version": version, "hidden": spec["hidden"]}
    model = ctr_model.build_model(card)
    optimizer = torch.optim.Adam(model.parameters(), lr=spec["lr"])
    loss_fn = nn.BCEWithLogitsLoss()
    x, y = data
    started = time.perf_counter()
    for _ in range(spec["epochs"]):
        for batch in torch.randperm(len(y)).split(1024):
            optimizer.zero_grad()
            loss_fn(model(x[batch]).squeeze(1), y[batch]).backward()
            optimizer.step()
    seconds = time.perf_counter() - started
    model.eval()
    with torch.no_grad():
        logits = model(test[0]).squeeze(1)
        items = ctr_model.item_features()
        scores = model(ctr_model.pairs(test_users, items)).view(len(test_users), -1)
        picked = scores.argmax(1)
        truth = torch.sigmoid(true_logit(test_users, items))
        ctr = float(truth[torch.arange(len(test_users)), picked].mean())
    card["metrics"] = {"log_loss": round(float(loss_fn(logits, test[1])), 4),
                       "auc": round(auc(logits, test[1]), 4),
                       "recommended_ctr": round(ctr, 4),
                       "parameters": sum(p.numel() for p in model.parameters()),
                       "train_seconds": round(seconds, 2)}
    return model, card


def main():
    out = pathlib.Path(sys.argv[1])
    torch.set_num_threads(1)  # faster than 2 on a busy 2-core machine
    generator = torch.Generator().manual_seed(7)
    users = ctr_model.user_features([f"user-{n}" for n in range(1, 3001)])
    data = generate(users, 60_000, generator)
    test = generate(users, 20_000, generator)
    test_users = ctr_model.user_features([f"held-out-{n}" for n in range(1000)])
    best_ctr = float(torch.sigmoid(true_logit(test_users, ctr_model.item_features())).max(1).values.mean())
    print(f"  generated {len(data[1])} training impressions (click rate {float(data[1].mean()):.3f}); "
          f"a perfect recommender would get a click-through rate of {best_ctr:.3f}")
    for version, spec in VERSIONS.items():
        model, card = train(version, spec, data, test, test_users)
        package = out / f"ctr-model-{version}" / "site-packages" / "ctr_model"
        package.mkdir(parents=True, exist_ok=True)
        for source in ("__init__.py", "serve.py"):
            shutil.copy(pathlib.Path(ctr_model.__file__).with_name(source), package / source)
        torch.save(model.state_dict(), package / "weights.pt")
        (package / "card.json").write_text(json.dumps(card, indent=2) + "\n")
        m = card["metrics"]
        kind = "logistic regression" if not spec["hidden"] else f"MLP {spec['hidden']}"
        print(f"  ctr-model {version}: {kind}, {m['parameters']} parameters, trained in "
              f"{m['train_seconds']} s; held out: log loss {m['log_loss']}, AUC {m['auc']}, "
              f"click-through rate of its recommendations {m['recommended_ctr']}")


if __name__ == "__main__":
    main()
