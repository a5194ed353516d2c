-- wrk script for the hookfan benchmark: every request is a POST of the same
-- JSON body with the headers the caller passes in the environment.
--   BENCH_BODY     the request body (JSON)
--   BENCH_KEY      an API key, sent as "Authorization: Bearer KEY" (optional)
--   BENCH_KEYS     several API keys, one a line (instead of BENCH_KEY): each
--                  thread sends them in turn, one request each, starting
--                  at a key of its own, so a round's load is spread evenly
--                  over the keys' workspaces
--   BENCH_HEADERS  more headers, "Name: value" lines separated by "\n" (optional)
local body = os.getenv("BENCH_BODY") or "{}"
local key = os.getenv("BENCH_KEY")
local extra = os.getenv("BENCH_HEADERS")
local keys = {}
for k in (os.getenv("BENCH_KEYS") or ""):gmatch("[^\n]+") do
  keys[#keys + 1] = k
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
if key and key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end
if extra then
  for line in extra:gmatch("[^\n]+") do
    local name, value = line:match("^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
end

if #keys > 1 then
  -- In the main state: give each thread its own first key.
  local threads = 0
  function setup(thread)
    thread:set("first", threads)
    threads = threads + 1
  end

  -- In each thread: one request per key, made once, sent in turn.
  -- (wrk runs 2 threads here: the second starts halfway through the keys.)
  local requests, turn = {}, 0
  function init(args)
    for i, k in ipairs(keys) do
      wrk.headers["Authorization"] = "Bearer " .. k
      requests[i] = wrk.format()
    end
    turn = ((first or 0) * math.floor(#keys / 2)) % #keys
  end

  function request()
    turn = turn % #requests + 1
    return requests[turn]
  end
elseif #keys == 1 then
  wrk.headers["Authorization"] = "Bearer " .. keys[1]
end
