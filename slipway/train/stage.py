"""Train the example model: a scikit-learn MLP on the digits images that scikit-learn ships.

Plain pandas/scikit-learn functions: no Prefect, no MLflow. The `train` flow wires them.
"""

from __future__ import annotations

from dataclasses import dataclass

from slipway.errors import BadInput
from slipway.train.cnn import digits_image_frame
from slipway.train.digits import DIGITS, digits_frame
from slipway.train.params import TrainParams


@dataclass(frozen=True)
class Splits:
    train: object
    eval: object
    reference: object


def load_dataset(params: TrainParams):
    if params.arch == "cnn" and params.dataset == DIGITS:
        frame = digits_image_frame()
    elif params.dataset == DIGITS:
        frame = digits_frame()
    else:
        from slipway.data import read_table

        frame = read_table(params.dataset)
    if params.target_column not in frame.columns:
        raise BadInput(
            f"dataset {params.dataset}: target column {params.target_column!r} is missing "
            f"(columns: {', '.join(map(str, frame.columns[:10]))}...)"
        )
    if params.arch == "cnn":
        check_images(frame, params)
    if len(frame) < 20:
        raise BadInput(
            f"dataset {params.dataset}: {len(frame)} rows is too few to train on (need 20+)"
        )
    return frame


def check_images(frame, params: TrainParams) -> None:
    """A CNN's table holds one flattened image per row: exactly the pixel columns of its shape."""
    import numpy as np

    size = int(np.prod(params.input_shape))
    width = len(frame.columns) - 1
    if width != size:
        raise BadInput(
            f"dataset {params.dataset}: {width} feature columns, but arch cnn takes one flattened "
            f"{'x'.join(map(str, params.input_shape))} image ({size} pixel columns) per row: "
            "give 'digits' or a table of such images"
        )


def split(frame, params: TrainParams) -> Splits:
    """Stratified train / eval / reference split, reproducible from `split_seed` (not the
    model's seed: versions trained with other seeds share the split, so the champion comparison
    never scores a model on rows it trained on)."""
    from sklearn.model_selection import train_test_split

    y = frame[params.target_column]
    held_fraction = params.eval_fraction + params.reference_fraction
    train, held = train_test_split(
        frame, test_size=held_fraction, random_state=params.split_seed, stratify=y
    )
    eval_share = params.eval_fraction / held_fraction
    eval_, reference = train_test_split(
        held,
        train_size=eval_share,
        random_state=params.split_seed,
        stratify=held[params.target_column],
    )
    return Splits(
        train=train.reset_index(drop=True),
        eval=eval_.reset_index(drop=True),
        reference=reference.reset_index(drop=True),
    )


def fit(train, params: TrainParams):
    """StandardScaler + MLPClassifier pipeline fitted on the training split (arch cnn: the
    PyTorch CNN of slipway.train.cnn)."""
    if params.arch == "cnn":
        from slipway.train import cnn

        cnn.require_torch()
        x = cnn.to_images(train, params.target_column, params.input_shape)
        return cnn.fit_cnn(x, train[params.target_column].to_numpy(), params.epochs, params.seed)
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    features = train.drop(columns=[params.target_column])
    model = Pipeline(
        [
            ("scaler", StandardScaler()),
            (
                "mlp",
                MLPClassifier(
                    hidden_layer_sizes=params.hidden_layers,
                    max_iter=params.max_iter,
                    random_state=params.seed,
                    early_stopping=False,
                ),
            ),
        ]
    )
    model.fit(features.to_numpy(dtype="float32"), train[params.target_column].to_numpy())
    return model


def evaluate(
    model, frame, target_column: str, input_shape: list[int] | None = None
) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    if input_shape is not None:
        from slipway.train import cnn

        predicted = cnn.predict_labels(model, cnn.to_images(frame, target_column, input_shape))
    else:
        features = frame.drop(columns=[target_column]).to_numpy(dtype="float32")
        predicted = model.predict(features)
    truth = frame[target_column].to_numpy()
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "f1_macro": float(f1_score(truth, predicted, average="macro")),
    }


def parameter_count(model) -> int:
    if not hasattr(model, "steps"):  # a torch module
        from slipway.train.cnn import parameter_count as torch_count

        return torch_count(model)
    mlp = model[-1]
    return int(sum(w.size for w in mlp.coefs_) + sum(b.size for b in mlp.intercepts_))
