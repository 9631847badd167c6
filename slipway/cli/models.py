"""`slipway models list|show`: registered models, their aliases and each version's evidence."""

from __future__ import annotations

from slipway.cli._output import add_json_flag, emit_json


def register(sub, common) -> None:
    p = sub.add_parser("models", parents=[common], help="list registered models or show a version's evidence")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    ls = msub.add_parser("list", parents=[common], help="registered models with their aliases")
    add_json_flag(ls)
    ls.set_defaults(handler=handle_list)
    show = msub.add_parser("show", parents=[common], help="one version's tags and evidence bundle")
    show.add_argument("name", metavar="NAME")
    show.add_argument("ref", metavar="VERSION|ALIAS", nargs="?", default="champion",
                      help="a version number or an alias (default: champion)")
    add_json_flag(show)
    show.set_defaults(handler=handle_show)


def handle_list(args) -> int:
    from slipway import registry

    c = registry.client()
    models = []
    for model in c.search_registered_models():
        latest = max((int(v.version) for v in c.search_model_versions(f"name='{model.name}'")), default=None)
        models.append({"name": model.name, "aliases": {a: str(v) for a, v in sorted(model.aliases.items())},
                       "latest_version": latest})
    if args.json:
        emit_json(models)
        return 0
    if not models:
        print("no registered models (register one with `slipway register`)")
    for m in models:
        aliases = ", ".join(f"{a}={v}" for a, v in m["aliases"].items()) or "no aliases"
        print(f"{m['name']}: latest version {m['latest_version']}; {aliases}")
    return 0


def handle_show(args) -> int:
    from slipway import registry
    from slipway.core.evidence import evidence_problems

    c = registry.client()
    mv = registry.resolve_version(args.name, args.ref, c)
    evidence = registry.read_evidence(args.name, str(mv.version), c)
    aliases = sorted(a for a, v in c.get_registered_model(args.name).aliases.items() if str(v) == str(mv.version))
    problems = evidence_problems(evidence)
    if args.json:
        emit_json({"name": args.name, "version": str(mv.version), "aliases": aliases, "run_id": mv.run_id,
                   "source": mv.source, "tags": dict(mv.tags), "evidence": evidence.model_dump(mode="json"),
                   "problems": problems})
        return 0
    print(f"{args.name} version {mv.version}  aliases: {', '.join(aliases) or '-'}  status: {mv.tags.get('slipway.status', '-')}")
    print(f"serving:  {evidence.candidate or '-'} ({evidence.runtime or '-'}) sha256 {evidence.serving_sha256 or '-'}")
    print("gates:")
    for gate, result in evidence.gates.items():
        print(f"  {gate:<16} {result.status:<8} {result.summary}")
    host = evidence.latency.host
    if host:
        print("latency host: " + ", ".join(f"{k}={v}" for k, v in host.items()))
    if isinstance(evidence.latency.table, list):
        for row in evidence.latency.table[:20]:
            print("  " + "  ".join(f"{k}={v}" for k, v in row.items()))
    env = evidence.environment
    print(f"environment: python {env.python or '-'}, packages sha256 {env.packages_sha256 or '-'}")
    print(f"code revision: {evidence.code_revision or '-'}   training run: {evidence.training_run_id or '-'}")
    for key, value in evidence.data_fingerprints.items():
        print(f"data {key}: {value}")
    if evidence.stored_candidates:
        print("stored candidates: " + ", ".join(f"{k} ({v[:12]})" for k, v in evidence.stored_candidates.items()))
    print("promotable: yes" if not problems else "promotable: no: " + "; ".join(problems))
    return 0
