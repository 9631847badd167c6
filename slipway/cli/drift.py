"""`slipway drift REFERENCE CURRENT`: compare two datasets or whylogs profiles under a policy."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json

EXIT_CODES = {"no drift": 0, "drift": 1, "alert": 1, "no-data": 3}
CORRECTION_NAMES = {"bh": "Benjamini-Hochberg", "holm": "Holm", "none": "no correction"}


def register(sub, common) -> None:
    p = sub.add_parser(
        "drift",
        parents=[common],
        help="compare two datasets (CSV/Parquet) or whylogs profiles (.bin); exit 1 on drift",
        description=(
            "Per-column drift of CURRENT against REFERENCE (KS, chi-square, Hellinger and the "
            "share of nulls, as the policy says), p-values adjusted over all columns; the "
            "dataset verdict follows the policy's retrain rules (important columns, weighted "
            "share, prediction drift). Exit 0 no drift, 1 drift or a column that is missing or "
            "cannot be scored (all null, type changed), 2 bad input, 3 too few rows to judge "
            "(fewer than the policy's min_rows: the verdict is no-data)."
        ),
    )
    p.add_argument("reference", help="reference data: .csv, .parquet or a whylogs profile .bin")
    p.add_argument("current", help="current data: .csv, .parquet or a whylogs profile .bin")
    p.add_argument("--policy", help="drift policy YAML (default: built-in thresholds)")
    add_json_flag(p)
    p.set_defaults(handler=handle)


def handle(args) -> int:
    from datetime import UTC, datetime

    from slipway.core.drift import dataset_verdict
    from slipway.drift.policy_file import load_policy
    from slipway.drift.scoring import load_profile_or_table, score

    policy = load_policy(args.policy)
    reference = load_profile_or_table(args.reference)
    current = load_profile_or_table(args.current)
    scores = score(reference, current, policy)
    verdict, decision = dataset_verdict(scores, policy, datetime.now(UTC))
    flagged = list(scores.drifted)
    if scores.prediction and scores.prediction.drifted:
        flagged.append(scores.prediction)
    if args.json:
        emit_json(
            {
                "verdict": verdict,
                "drift": verdict == "drift",
                "drifted": [f.model_dump(mode="json") for f in flagged],
                "unscorable": [f.model_dump(mode="json") for f in scores.unscorable],
                "missing": scores.missing,
                "reasons": decision.reasons,
                "scores": scores.model_dump(mode="json"),
            }
        )
        return EXIT_CODES[verdict]
    how = CORRECTION_NAMES[policy.correction]
    below = (
        f" ({len(flagged)} drifted below the policy's rules)"
        if verdict == "no drift" and flagged
        else ""
    )
    print(
        f"compared {len(scores.features)} columns ({scores.tests} tests, {how} at alpha "
        f"{policy.alpha:g}), {scores.rows} current rows: {verdict}{below}"
    )
    if verdict != "no-data":
        for f in flagged:
            _print_drift(f)
        for f in scores.unscorable:
            print(f"  unscorable  {f.name}: {f.unscorable or 'the test could not run'}")
        for name in scores.missing:
            print(f"  missing  {name}: missing from CURRENT")
    for reason in decision.reasons:
        print(f"  {verdict}: {reason}")
    return EXIT_CODES[verdict]


def _print_drift(f) -> None:
    if f.distribution_drifted:
        p = "" if f.pvalue is None else f", p-value {f.pvalue:.2g}"
        if f.adjusted_pvalue is not None:
            p += f" (adjusted {f.adjusted_pvalue:.2g})"
        print(
            f"  drift  {f.name}: {f.test} statistic {f.statistic:.4f} >= threshold "
            f"{f.threshold:g}{p}"
        )
    if f.nulls is not None and f.nulls.drifted:
        print(f"  drift  {f.name}: {f.nulls.describe()}")
    if f.unseen:
        print(
            f"  note  {f.name}: {f.unseen} categories never seen in REFERENCE "
            f"({f.unseen_rows:g} rows)"
        )
