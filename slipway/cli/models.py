"""`slipway models list|show`: registered models, their aliases and each version's evidence."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json


def register(sub, common) -> None:
    p = sub.add_parser(
        "models", parents=[common], help="list registered models or show a version's evidence"
    )
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    ls = msub.add_parser("list", parents=[common], help="registered models with their aliases")
    add_json_flag(ls)
    ls.set_defaults(handler=handle_list)
    show = msub.add_parser("show", parents=[common], help="one version's tags and evidence bundle")
    show.add_argument("name", metavar="NAME")
    show.add_argument(
        "ref",
        metavar="VERSION|ALIAS",
        nargs="?",
        default="champion",
        help="a version number or an alias (default: champion)",
    )
    add_json_flag(show)
    show.set_defaults(handler=handle_show)


def handle_list(args) -> int:
    from slipway.registry import open_registry

    models = [m.model_dump() for m in open_registry().models()]
    if args.json:
        emit_json(models)
        return 0
    if not models:
        print("no registered models (register one with `slipway register`)")
    for m in models:
        aliases = ", ".join(f"{a}={v}" for a, v in m["aliases"].items()) or "no aliases"
        print(f"{m['name']}: latest version {m['latest_version']}; {aliases}")
    return 0


def print_latency(evidence) -> None:
    """The stored benchmark as a table and its host as `key: value` lines (raw with --json)."""
    from slipway.latency.report import host_lines, stored_table_lines

    table = evidence.latency.table
    lines = stored_table_lines(table, evidence.candidate) if isinstance(table, list) else []
    slo = evidence.latency.slo_p99_ms
    if lines:
        print("latency" + (f" (SLO p99 <= {slo:g} ms at batch 1):" if slo else ":"))
        for line in lines:
            print("  " + line)
    if evidence.latency.host:
        print("latency host:")
        for line in host_lines(evidence.latency.host):
            print("  " + line)


def handle_show(args) -> int:
    from slipway.core.evidence import evidence_problems
    from slipway.core.tags import STATUS
    from slipway.registry import open_registry

    registry = open_registry()
    mv = registry.resolve(args.name, args.ref)
    evidence = registry.read_evidence(args.name, str(mv.version))
    aliases = registry.aliases_of(args.name, str(mv.version))
    problems = evidence_problems(evidence)
    if args.json:
        emit_json(
            {
                "name": args.name,
                "version": str(mv.version),
                "aliases": aliases,
                "run_id": mv.run_id,
                "source": mv.source,
                "tags": dict(mv.tags),
                "evidence": evidence.model_dump(mode="json"),
                "problems": problems,
            }
        )
        return 0
    print(
        f"{args.name} version {mv.version}  aliases: {', '.join(aliases) or '-'}  status: "
        f"{mv.tags.get(STATUS, '-')}"
    )
    print(
        f"serving:  {evidence.candidate or '-'} ({evidence.runtime or '-'}) sha256 "
        f"{evidence.serving_sha256 or '-'}"
    )
    print("gates:")
    for gate, result in evidence.gates.items():
        print(f"  {gate:<16} {result.status:<8} {result.summary}")
    print_latency(evidence)
    env = evidence.environment
    print(f"environment: python {env.python or '-'}, packages sha256 {env.packages_sha256 or '-'}")
    print(
        f"code revision: {evidence.code_revision or '-'}   training run: "
        f"{evidence.training_run_id or '-'}"
    )
    for key, value in evidence.data_fingerprints.items():
        print(f"data {key}: {value}")
    if evidence.stored_candidates:
        print(
            "stored candidates: "
            + ", ".join(f"{k} ({v[:12]})" for k, v in evidence.stored_candidates.items())
        )
    print("promotable: yes" if not problems else "promotable: no: " + "; ".join(problems))
    return 0
