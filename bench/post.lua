-- wrk script: POSTs the GraphQL bodies listed (one JSON body per line) in $BODIES, round
-- robin, with $AUTH as the Authorization header when set. A response counts as bad unless
-- it is HTTP 200 without "errors" and (for mutations) with empty userErrors only.
-- Prints machine-readable lines at the end: RPS, P50/P99 (microseconds), BAD, ERR.
local threads = {}
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do
  if #line > 0 then table.insert(bodies, line) end
end

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  n = 0
  -- Each thread sends its own share of the bodies, so no two requests in flight work on
  -- the same service (the mutation path pauses then resumes one service per request).
  local threads_total = tonumber(os.getenv("THREADS") or "2")
  if #bodies >= threads_total then
    span = math.floor(#bodies / threads_total)
    base = (id % threads_total) * span
  else
    span = #bodies
    base = 0
  end
  math.randomseed(id + 1)
  wrk.method = os.getenv("METHOD") or "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  local auth = os.getenv("AUTH")
  if auth and #auth > 0 then wrk.headers["Authorization"] = auth end
end

-- At a fixed rate (RATE requests/s over CONNS connections), each connection waits a random
-- time around its share of the interval before each request: both servers are offered the
-- same load, and the latency measured is the one a client sees below saturation.
local rate = tonumber(os.getenv("RATE") or "")
if rate then
  local interval = tonumber(os.getenv("CONNS") or "16") * 1000 / rate
  function delay()
    return math.floor(math.random() * 2 * interval)
  end
end

function request()
  n = n + 1
  if wrk.method == "GET" then return wrk.format() end
  return wrk.format(nil, nil, nil, bodies[base + (n % span) + 1])
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true)
     or string.find(body, '"userErrors":[{', 1, true) then
    bad = bad + 1
    if bad == 1 and os.getenv("DUMP") then io.write(status, " ", string.sub(body, 1, 500), "\n") end
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  local e = summary.errors
  io.write(string.format("RPS %.2f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("P50 %d\nP99 %d\n", latency:percentile(50), latency:percentile(99)))
  io.write(string.format("BAD %d\nERR %d\n", total, e.connect + e.read + e.write + e.status + e.timeout))
  io.write(string.format("REQ %d\n", summary.requests))
end
