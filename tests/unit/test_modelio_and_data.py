from __future__ import annotations

import pytest

from slipway.data import read_table
from slipway.errors import BadInput
from slipway.modelio import load_sklearn, save_sklearn


def test_skops_round_trip(tmp_path):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    path = save_sklearn(model, tmp_path / "m.skops")
    assert load_sklearn(path).predict([[1.0]])[0] == 1


def test_untrusted_types_are_refused(tmp_path):
    import skops.io as sio

    class Custom:  # a type skops can serialise but slipway will not trust
        pass

    path = tmp_path / "m.skops"
    sio.dump({"x": Custom()}, path)
    with pytest.raises(BadInput, match="does not trust"):
        load_sklearn(path)


def test_not_a_model_file(tmp_path):
    path = tmp_path / "m.skops"
    path.write_text("not a zip")
    with pytest.raises(BadInput, match="not a readable skops model"):
        load_sklearn(path)
    with pytest.raises(BadInput, match="no such model file"):
        load_sklearn(tmp_path / "absent.skops")


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("absent.csv", None, "no such file"),
        ("empty.csv", "", "the file is empty"),
        ("data.txt", "a\n1\n", "unsupported data file type"),
        ("bad.parquet", "not parquet", "cannot read as parquet"),
    ],
)
def test_read_table_bad_input(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(BadInput, match=message):
        read_table(path)
