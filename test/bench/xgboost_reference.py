"""Fit XGBoost (tree_method="hist") on the gbdt benchmark data and score
both models on the held-out rows.

Usage: python3 xgboost_reference.py DIR
DIR contains train.csv and test.csv (id, f01..f20, y), gbdt_test.csv (id, p)
and gbdt_seconds, written by gbdt_bench.sh.  Prints one line per model: the
best fit time of three (XGBoost with 1 and with 2 threads), ROC AUC, log loss
and accuracy on the test rows.
"""
import sys
import time

import numpy as np
import xgboost


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    return data[:, 1:-1], data[:, -1]


def roc_auc(y, p):
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    sorted_p = p[order]
    # Average ranks over ties.
    i = 0
    while i < len(p):
        j = i
        while j + 1 < len(p) and sorted_p[j + 1] == sorted_p[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n_pos = y.sum()
    n_neg = len(y) - n_pos
    return (ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def report(name, seconds, y, p):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    log_loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    accuracy = np.mean((p > 0.5) == (y == 1))
    print(f"{name:10s} fit {seconds:6.3f} s  auc {roc_auc(y, p):.4f}  "
          f"log_loss {log_loss:.4f}  accuracy {accuracy:.4f}")


def main():
    directory = sys.argv[1]
    x_train, y_train = load(f"{directory}/train.csv")
    x_test, y_test = load(f"{directory}/test.csv")
    ours = np.loadtxt(f"{directory}/gbdt_test.csv", delimiter=",", skiprows=1)
    gbdt_seconds = float(open(f"{directory}/gbdt_seconds").read())

    for n_threads in (1, 2):
        model = xgboost.XGBClassifier(
            n_estimators=100, learning_rate=0.1, tree_method="hist",
            grow_policy="lossguide", max_depth=6, max_leaves=63, max_bin=255,
            min_child_weight=1.0, reg_lambda=1.0, reg_alpha=0.0,
            n_jobs=n_threads, random_state=0)
        best = None
        for _ in range(3):
            start = time.perf_counter()
            model.fit(x_train, y_train)
            seconds = time.perf_counter() - start
            best = seconds if best is None else min(best, seconds)
        report(f"xgboost/{n_threads}", best, y_test,
               model.predict_proba(x_test)[:, 1])
    report("gbdt", gbdt_seconds, y_test, ours[:, 1])


if __name__ == "__main__":
    main()
