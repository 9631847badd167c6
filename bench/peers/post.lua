-- wrk script of the peers benchmark: POST one row per request with the headers the server needs.
-- The body, content type and Authorization header come from the environment (set per target
-- by bench/peers/load.py); done() prints one line the bench parses (latencies in microseconds).
-- No response() callback: defining one makes wrk hand every body to Lua; errors.status counts
-- the answers with a status above 399.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") or "application/json"
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %.1f %.1f\n", summary.requests, summary.duration,
    e.connect + e.read + e.write + e.timeout + e.status, latency:percentile(50),
    latency:percentile(99)))
end
