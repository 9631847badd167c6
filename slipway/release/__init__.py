"""The release: the whole DAG (train -> validate-data -> convert-and-quantize ->
benchmark-latency -> register-version -> promote or canary) as one parameter form and one
result. The wiring is flows/release.py; what happens after registration is decided by the
pure `slipway.core.release.next_step`.
"""
