"""`slipway drift REFERENCE CURRENT`: compare two datasets or whylogs profiles under a policy."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json


def register(sub, common) -> None:
    p = sub.add_parser(
        "drift",
        parents=[common],
        help="compare two datasets (CSV/Parquet) or whylogs profiles (.bin); exit 1 on drift",
        description="Per-column drift of CURRENT against REFERENCE (KS, chi-square, Hellinger as "
        "the "
        "policy says). Exit 0 no drift, 1 drift, 2 bad input.",
    )
    p.add_argument("reference", help="reference data: .csv, .parquet or a whylogs profile .bin")
    p.add_argument("current", help="current data: .csv, .parquet or a whylogs profile .bin")
    p.add_argument("--policy", help="drift policy YAML (default: built-in thresholds)")
    add_json_flag(p)
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from slipway.drift.policy_file import load_policy
    from slipway.drift.scoring import load_profile_or_table, score

    policy = load_policy(args.policy)
    reference = load_profile_or_table(args.reference)
    current = load_profile_or_table(args.current)
    scores = score(reference, current, policy)
    flagged = list(scores.drifted) + (
        [scores.prediction] if scores.prediction and scores.prediction.drifted else []
    )
    drifted = bool(flagged or scores.missing)
    if args.json:
        emit_json(
            {
                "drift": drifted,
                "drifted": [f.model_dump(mode="json") for f in flagged],
                "missing": scores.missing,
                "scores": scores.model_dump(mode="json"),
            }
        )
    else:
        print(
            f"compared {len(scores.features)} columns, {scores.rows} current rows: "
            + (f"{len(flagged)} drifted" if drifted else "no drift")
        )
        for f in flagged:
            p = "" if f.pvalue is None else f", p-value {f.pvalue:.2g}"
            print(
                f"  drift  {f.name}: {f.test} statistic {f.statistic:.4f} >= threshold "
                f"{f.threshold:g}{p}"
            )
        for name in scores.missing:
            print(f"  drift  {name}: missing from CURRENT")
    return 1 if drifted else 0
