"""`slipway train`: run the `train` flow."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json, quiet_prefect_for_json


def register(sub, common) -> None:
    p = sub.add_parser(
        "train", parents=[common], help="train the example model (digits MLP) and log it"
    )
    p.add_argument(
        "--arch",
        choices=["mlp", "cnn"],
        default="mlp",
        help="mlp: scikit-learn MLP on 64 pixels; cnn: PyTorch CNN on [N,1,32,32] images (.pt2)",
    )
    p.add_argument("--epochs", type=int, default=8, help="cnn: training epochs")
    p.add_argument(
        "--dataset", default="digits", help="'digits' or a CSV/Parquet file with a label column"
    )
    p.add_argument("--target-column", default="digit")
    p.add_argument("--hidden-layers", default="256,128", help="comma-separated layer sizes")
    p.add_argument("--max-iter", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    add_json_flag(p)
    p.set_defaults(handler=handle)


def parse_layers(text: str) -> tuple[int, ...]:
    from slipway.errors import BadInput

    try:
        layers = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise BadInput(
            f"--hidden-layers {text!r}: give positive integers separated by commas"
        ) from None
    if not layers or any(n <= 0 for n in layers):
        raise BadInput(f"--hidden-layers {text!r}: give positive integers separated by commas")
    return layers


def handle(args) -> int:
    quiet_prefect_for_json(args)
    from slipway.cli.preflight import require, require_files

    if args.dataset != "digits":
        require_files(args.dataset, what="dataset")
    layers = parse_layers(args.hidden_layers)
    require(store=True)
    from flows.train import train
    from slipway.errors import BadInput
    from slipway.train.params import TrainParams

    if args.epochs < 1:
        raise BadInput(f"--epochs {args.epochs}: give 1 or more")
    params = TrainParams(
        arch=args.arch,
        epochs=args.epochs,
        dataset=args.dataset,
        target_column=args.target_column,
        hidden_layers=layers,
        max_iter=args.max_iter,
        seed=args.seed,
    )
    result = train(params)
    if args.json:
        emit_json(result)
    else:
        print(f"run id:    {result.run_id}")
        print(f"model:     {result.model_uri}")
        for name, uri in result.data_uris.items():
            print(f"{name + ':':<10} {uri}")
        print(f"accuracy:  {result.metrics['accuracy']:.4f} (eval)")
    return 0
