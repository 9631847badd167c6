"""benchmark-latency's harness: worker subprocesses, host record, inputs, the table and chart."""
