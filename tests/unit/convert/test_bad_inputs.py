"""Every input a user can get wrong fails with one clear message naming the thing (exit 2)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from slipway.convert import onnx_checks, sklearn_onnx
from slipway.convert.params import OptimizeParams
from slipway.convert.prepare import prepare
from slipway.convert.sources import load_source
from slipway.errors import BadInput


def params(model, eval_path, tmp_path, **kw) -> OptimizeParams:
    return OptimizeParams(
        model=str(model),
        eval_data=str(eval_path),
        target_column="digit",
        out=str(tmp_path / "out"),
        **kw,
    )


@pytest.mark.parametrize("name", ["model.h5", "model.txt", "model"])
def test_unsupported_file_type(tmp_path, name):
    # given a file of a type slipway does not read
    path = tmp_path / name
    path.write_bytes(b"\x00")
    # when loaded / then the message names the type and the accepted ones
    with pytest.raises(BadInput, match=r"unsupported model file type .*\.skops"):
        load_source(str(path))


def test_missing_model_file(tmp_path):
    with pytest.raises(BadInput, match="no such model file"):
        load_source(str(tmp_path / "absent.skops"))


def test_corrupt_onnx(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"this is not protobuf \xff\xfe" * 10)
    with pytest.raises(BadInput, match="not a readable ONNX model|ONNX checker refuses"):
        onnx_checks.load_checked(path)


@pytest.mark.parametrize("suffix", [".pkl", ".joblib"])
def test_pickle_refused_without_trust(tmp_path, small_model, suffix):
    # given a joblib/pickle file of a real model
    import joblib

    path = tmp_path / f"model{suffix}"
    joblib.dump(small_model[0], path)
    # when loaded without the trust flag / then refused, saying why and what to do
    with pytest.raises(BadInput, match=r"run arbitrary code.*--trust-pickle"):
        load_source(str(path))
    # and with the trust flag it loads
    assert load_source(str(path), trust_pickle=True).model is not None


def test_pipeline_step_without_converter_is_named():
    # given a pipeline whose middle step skl2onnx cannot convert
    from sklearn.kernel_approximation import AdditiveChi2Sampler
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    x = np.abs(np.random.default_rng(0).normal(size=(40, 4))).astype(np.float32)
    y = (x[:, 0] > x[:, 1]).astype(int)
    model = Pipeline([("chi2", AdditiveChi2Sampler()), ("clf", LogisticRegression())]).fit(x, y)
    # when converted / then the step is named with its type
    with pytest.raises(
        BadInput, match=r"no skl2onnx converter for pipeline step chi2 \(.*AdditiveChi2Sampler\)"
    ):
        sklearn_onnx.to_onnx(model, Path("/nonexistent/never-written.onnx"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (  # issue 19 item 7: the missing column is named, not counted
            lambda f: f.drop(columns=["pixel_05", "pixel_17"]),
            r"columns do not match the model \(missing: pixel_05, pixel_17; unexpected: -\)",
        ),
        (lambda f: f.assign(extra=1.0), r"unexpected: extra\)"),
        (lambda f: f.drop(columns=["digit"]), r"target column 'digit' is missing"),
    ],
)
def test_eval_columns_must_match_model(tmp_path, small_model, change, message):
    # given eval data whose columns do not fit the model
    _, model_path, _, frame = small_model
    bad = tmp_path / "eval.parquet"
    change(frame).to_parquet(bad)
    # when preparing / then the message says what does not match
    with pytest.raises(BadInput, match=message):
        prepare(params(model_path, bad, tmp_path))


def test_out_dir_must_be_empty(tmp_path, small_model):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").write_text("keep")
    with pytest.raises(BadInput, match="not empty"):
        prepare(params(small_model[1], small_model[2], tmp_path))


def test_unknown_target_is_refused():
    with pytest.raises(ValueError, match="unknown target.*openvino-int4"):
        OptimizeParams(
            model="m.skops", eval_data="e.csv", target_column="y", targets=["openvino-int4"]
        )


def external_model(folder: Path, location: str) -> Path:
    """A one-Add ONNX model whose initializer lives in external data at `location`."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weight = numpy_helper.from_array(np.ones(2048, np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Add", ["input", "w"], ["out"])],
        "g",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [2048])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [2048])],
        [weight],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    folder.mkdir(parents=True, exist_ok=True)
    onnx.save(
        model,
        str(folder / "model.onnx"),
        save_as_external_data=True,
        location="weights.bin",
        size_threshold=0,
    )
    loaded = onnx.load(str(folder / "model.onnx"), load_external_data=False)
    for entry in loaded.graph.initializer[0].external_data:
        if entry.key == "location":
            entry.value = location
    onnx.save(loaded, str(folder / "model.onnx"))
    return folder / "model.onnx"


def test_external_data_inside_folder_loads(tmp_path):
    path = external_model(tmp_path / "m", "weights.bin")
    assert onnx_checks.load_checked(path).graph.initializer[0].name == "w"


@pytest.mark.parametrize("location", ["../weights.bin", "/etc/passwd", "sub/../../weights.bin"])
def test_external_data_outside_folder_is_refused(tmp_path, location):
    # given a model whose external data points outside its folder
    path = external_model(tmp_path / "m", "weights.bin")
    (tmp_path / "weights.bin").write_bytes((tmp_path / "m" / "weights.bin").read_bytes())
    external_model(tmp_path / "m", location)
    # when loaded / then refused before reading the data
    with pytest.raises(BadInput, match="outside the model's folder"):
        onnx_checks.load_checked(path)


def test_external_data_symlink_is_refused(tmp_path):
    path = external_model(tmp_path / "m", "weights.bin")
    (tmp_path / "outside.bin").write_bytes((tmp_path / "m" / "weights.bin").read_bytes())
    (tmp_path / "m" / "link.bin").symlink_to(tmp_path / "outside.bin")
    external_model(tmp_path / "m", "link.bin")
    with pytest.raises(BadInput, match="symlink"):
        onnx_checks.load_checked(path)


def test_a_model_without_column_names_says_so(tmp_path, small_model):
    # given a model that records no column names and eval data with one column less
    import copy

    from slipway.modelio import save_sklearn

    model = copy.deepcopy(small_model[0])
    del model.slipway_feature_names_
    path = save_sklearn(model, tmp_path / "nameless.skops")
    bad = tmp_path / "eval.parquet"
    small_model[3].drop(columns=["pixel_05"]).to_parquet(bad)
    # when prepared / then the message counts and says why it cannot name the column
    with pytest.raises(BadInput, match=r"takes 64 and records no column names"):
        prepare(params(path, bad, tmp_path))


def test_column_transformer_selecting_columns_by_name_is_refused(tmp_path):
    # given a pipeline fitted on a table with a string column, selecting columns by name
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    table = pd.DataFrame({"age": [1.0, 2, 3, 4, 5, 6], "city": ["a", "b", "a", "c", "b", "a"]})
    pre = ColumnTransformer(
        [("num", StandardScaler(), ["age"]), ("cat", OneHotEncoder(), ["city"])]
    )
    model = Pipeline([("pre", pre), ("clf", LogisticRegression())]).fit(table, [0, 1, 0, 1, 1, 0])
    # when converted / then the message names the columns and the way out
    with pytest.raises(BadInput, match=r"selects columns by name \(age, city\).*integer position"):
        sklearn_onnx.to_onnx(model, tmp_path / "m.onnx")


def test_column_transformer_by_position_still_converts(tmp_path):
    # given a ColumnTransformer over numeric columns picked by integer position
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    pre = ColumnTransformer([("a", StandardScaler(), [0, 1]), ("b", MinMaxScaler(), [2])])
    model = Pipeline([("pre", pre), ("reg", LinearRegression())]).fit(x, x @ [1.0, 2.0, 3.0])
    # when converted / then the ONNX graph runs and agrees with scikit-learn
    import onnxruntime as ort

    path = sklearn_onnx.to_onnx(model, tmp_path / "m.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"input": x})
    np.testing.assert_allclose(out.ravel(), model.predict(x), rtol=1e-3, atol=1e-3)
