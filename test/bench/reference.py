#!/usr/bin/python3
"""Reference scores for test/bench/families.sh and search.sh: scikit-learn, XGBoost.

Trains each reference method with its library defaults on the same rows that
the benchmark trained automl on, and scores it on the same test rows.  The
inputs are prepared as automl prepares numeric columns.  NULL and NaN become
the training median, and each column is standardised with the training mean
and standard deviation (a constant column becomes all zeros).  Every column
with a missing training value also gets a 0/1 missing-indicator column.

    reference.py [--methods NAME,...] DATA.tsv.gz SPLIT.csv TASK DATASET OUT.csv

--methods runs only the named methods of the task (for example
"xgboost,sklearn/hist_gbdt"), in the order given; by default all of them run.

SPLIT.csv has a header and one line "row_id,is_train" per data row, where
row_id numbers the data lines of DATA.tsv.gz from 1 and is_train is t or f.
One CSV line per method is appended to OUT.csv, with the columns of
RESULT_COLUMNS.  A method that raises is recorded as failed with its message,
and one whose library is not installed as skipped.
"""
import argparse
import csv
import gzip
import sys
import time
import warnings

import numpy as np

RESULT_COLUMNS = ["dataset", "method", "status", "accuracy", "balanced_accuracy",
                  "r2", "rmse", "fit_seconds", "predict_seconds", "error"]
SEED = 1
XGB_THREADS = 2


def read_table(path):
    """Return (features as a float matrix, target strings) of a PMLB file."""
    with gzip.open(path, "rt", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        header = next(reader)
        target = header.index("target")
        rows = [row for row in reader if row]
    features = [[cell for i, cell in enumerate(row) if i != target] for row in rows]
    x = np.array([[to_float(cell) for cell in row] for row in features], dtype=float)
    y = [row[target] for row in rows]
    return x, y


def to_float(cell):
    """Return cell as a float, or NaN when it is empty or not a number."""
    try:
        return float(cell)
    except ValueError:
        return float("nan")


def read_split(path, n_rows):
    """Return a boolean mask of training rows from the split file."""
    mask = np.zeros(n_rows, dtype=bool)
    seen = np.zeros(n_rows, dtype=bool)
    with open(path, newline="") as handle:
        for record in csv.DictReader(handle):
            index = int(record["row_id"]) - 1
            mask[index] = record["is_train"] == "t"
            seen[index] = True
    if not seen.all():
        raise ValueError(f"split {path} covers {seen.sum()} of {n_rows} rows")
    return mask


def prepare(x_train, x_test):
    """Impute medians, standardise and add missing indicators, fitted on train."""
    missing_train = np.isnan(x_train)
    missing_test = np.isnan(x_test)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(x_train, axis=0)
    median = np.where(np.isnan(median), 0.0, median)
    x_train = np.where(missing_train, median, x_train)
    x_test = np.where(missing_test, median, x_test)
    mean = x_train.mean(axis=0)
    scale = x_train.std(axis=0)
    scale[scale < 1e-12] = 1.0
    # Indicators stay 0/1, as automl leaves them unscaled.
    with_missing = missing_train.any(axis=0)
    x_train = np.hstack([(x_train - mean) / scale, missing_train[:, with_missing]])
    x_test = np.hstack([(x_test - mean) / scale, missing_test[:, with_missing]])
    return x_train, x_test


def classifiers():
    """Return (name, factory) pairs of the classification methods."""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.tree import DecisionTreeClassifier

    return [
        ("sklearn/logistic", lambda: LogisticRegression()),
        ("sklearn/tree", lambda: DecisionTreeClassifier(random_state=SEED)),
        ("sklearn/knn", lambda: KNeighborsClassifier()),
        ("sklearn/naive_bayes", lambda: GaussianNB()),
        ("sklearn/forest", lambda: RandomForestClassifier(random_state=SEED)),
        ("sklearn/hist_gbdt", lambda: HistGradientBoostingClassifier(random_state=SEED)),
        ("sklearn/mlp", lambda: MLPClassifier(random_state=SEED)),
        ("xgboost", lambda: xgboost_model("classification")),
    ]


def regressors():
    """Return (name, factory) pairs of the regression methods."""
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
    from sklearn.linear_model import Ridge
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.neural_network import MLPRegressor
    from sklearn.tree import DecisionTreeRegressor

    return [
        ("sklearn/ridge", lambda: Ridge()),
        ("sklearn/tree", lambda: DecisionTreeRegressor(random_state=SEED)),
        ("sklearn/knn", lambda: KNeighborsRegressor()),
        ("sklearn/forest", lambda: RandomForestRegressor(random_state=SEED)),
        ("sklearn/hist_gbdt", lambda: HistGradientBoostingRegressor(random_state=SEED)),
        ("sklearn/mlp", lambda: MLPRegressor(random_state=SEED)),
        ("xgboost", lambda: xgboost_model("regression")),
    ]


def xgboost_model(task):
    """Return an XGBoost model with 100 rounds of the hist method on 2 threads."""
    import xgboost

    options = dict(n_estimators=100, tree_method="hist", n_jobs=XGB_THREADS,
                   random_state=SEED)
    if task == "classification":
        return xgboost.XGBClassifier(**options)
    return xgboost.XGBRegressor(**options)


def score(task, y_true, y_pred):
    """Return the metric columns of one method's test predictions."""
    from sklearn import metrics

    if task == "classification":
        return {"accuracy": metrics.accuracy_score(y_true, y_pred),
                "balanced_accuracy": metrics.balanced_accuracy_score(y_true, y_pred)}
    return {"r2": metrics.r2_score(y_true, y_pred),
            "rmse": float(np.sqrt(metrics.mean_squared_error(y_true, y_pred)))}


def run_method(factory, task, data):
    """Fit one method, predict the test rows and return its result columns."""
    x_train, y_train, x_test, y_test = data
    model = factory()
    start = time.perf_counter()
    model.fit(x_train, y_train)
    fitted = time.perf_counter()
    y_pred = model.predict(x_test)
    done = time.perf_counter()
    result = score(task, y_test, y_pred)
    result.update(status="ok", fit_seconds=fitted - start, predict_seconds=done - fitted)
    return result


def load(data_path, split_path, task):
    """Return the prepared (x_train, y_train, x_test, y_test) and the labels."""
    x, labels = read_table(data_path)
    train = read_split(split_path, len(labels))
    x_train, x_test = prepare(x[train], x[~train])
    if task == "classification":
        # Class indices in place of labels, because XGBoost requires them.
        classes, y = np.unique(np.array(labels), return_inverse=True)
    else:
        classes, y = None, np.array([float(label) for label in labels])
    return (x_train, y[train], x_test, y[~train]), classes


def parse_arguments(argv):
    """Return the parsed command line."""
    parser = argparse.ArgumentParser(description="Reference scores for test/bench.")
    parser.add_argument("--methods", help="comma-separated methods to run (default: all)")
    for name in ("data", "split", "task", "dataset", "out"):
        parser.add_argument(name)
    arguments = parser.parse_args(argv[1:])
    if arguments.task not in ("classification", "regression"):
        parser.error(f"task must be classification or regression, not {arguments.task!r}")
    return arguments


def choose_methods(methods, names):
    """Return the (name, factory) pairs named in the comma-separated names."""
    if names is None:
        return methods
    by_name = dict(methods)
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in by_name]
    if unknown or not chosen:
        sys.exit(f"reference.py: unknown method {', '.join(unknown) or '(none)'}; "
                 f"choose among {', '.join(by_name)}")
    return [(name, by_name[name]) for name in chosen]


def main(argv):
    arguments = parse_arguments(argv)
    task, dataset = arguments.task, arguments.dataset
    methods = classifiers() if task == "classification" else regressors()
    methods = choose_methods(methods, arguments.methods)
    data, _ = load(arguments.data, arguments.split, task)
    out_path = arguments.out
    with open(out_path, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=RESULT_COLUMNS)
        for name, factory in methods:
            row = {"dataset": dataset, "method": name}
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    row.update(run_method(factory, task, data))
            except ImportError as error:
                row.update(status="skipped", error=f"{type(error).__name__}: {error}")
            except Exception as error:  # recorded, so one failure does not stop the run
                row.update(status="failed", error=f"{type(error).__name__}: {error}")
            writer.writerow(row)
            handle.flush()


if __name__ == "__main__":
    main(sys.argv)
