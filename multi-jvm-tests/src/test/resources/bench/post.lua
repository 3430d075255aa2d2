-- wrk script of the throughput benchmark (io.starfish.multijvm.bench.ThroughputBenchmark).
-- Every request POSTs BENCH_BODY to BENCH_PATH_PREFIX .. <random id in 1..BENCH_ENTITIES>;
-- at the end one line "BENCH_RESULT {json}" carries the counts and latency percentiles (us).
local prefix = os.getenv("BENCH_PATH_PREFIX")
local body = os.getenv("BENCH_BODY")
local entities = tonumber(os.getenv("BENCH_ENTITIES") or "1000")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

init = function(args)
  math.randomseed(os.time() * 1000 + (seed or 0))
end

request = function()
  return wrk.format(nil, prefix .. math.random(entities), nil, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"durationUs":%d,"non2xx":%d,"socketErrors":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
