"""A held-out scikit-learn model (not the digits example): breast-cancer data, a scaled
logistic regression saved with skops, split into train / eval / reference CSVs, the way a user
brings a model to `slipway release`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TARGET = "malignant"


@dataclass(frozen=True)
class HeldOut:
    root: Path
    eval_data: Path
    reference_data: Path
    train_data: Path

    def model(self, name: str, *, C: float = 1.0, shuffle_labels: bool = False) -> Path:
        """Fit a StandardScaler + LogisticRegression on the train split and save it with skops.
        `shuffle_labels`: fitted on permuted labels (a model that learnt nothing)."""
        import numpy as np
        import pandas as pd
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        from slipway.modelio import save_sklearn

        frame = pd.read_csv(self.train_data)
        x, y = frame.drop(columns=[TARGET]), frame[TARGET].to_numpy()
        if shuffle_labels:
            y = np.random.default_rng(3).permutation(y)
        model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=500))
        model.fit(x, y)
        return save_sklearn(model, self.root / f"{name}.skops")

    def fitted(self, C: float = 1.0):
        import pandas as pd
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        frame = pd.read_csv(self.train_data)
        model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=500))
        return model.fit(frame.drop(columns=[TARGET]), frame[TARGET])


def make_heldout(root: Path) -> HeldOut:
    import pandas as pd
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    data = load_breast_cancer(as_frame=True)
    frame = data.frame.rename(columns=lambda c: str(c).replace(" ", "_"))
    frame = frame.rename(columns={"target": TARGET})
    train, held = train_test_split(frame, test_size=0.4, random_state=0, stratify=frame[TARGET])
    eval_, reference = train_test_split(held, test_size=0.5, random_state=0, stratify=held[TARGET])
    root.mkdir(parents=True, exist_ok=True)
    paths = {}
    # the reference is the data the model was trained for: the training rows and a held-out
    # sample of the same population (the suite and the contract are derived from it)
    everything_but_eval = pd.concat([train, reference])
    for split, part in (("train", train), ("eval", eval_), ("reference", everything_but_eval)):
        paths[split] = root / f"{split}.csv"
        pd.DataFrame(part).to_csv(paths[split], index=False)
    return HeldOut(root, paths["eval"], paths["reference"], paths["train"])
