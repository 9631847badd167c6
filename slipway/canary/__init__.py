"""canary-release adapters: metrics sources, registry-held progress, pre-flight, traffic."""
