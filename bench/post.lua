-- wrk script for the hookfan benchmark: every request is a POST of the same
-- JSON body with the headers the caller passes in the environment.
--   BENCH_BODY     the request body (JSON)
--   BENCH_KEY      an API key, sent as "Authorization: Bearer KEY" (optional)
--   BENCH_HEADERS  more headers, "Name: value" lines separated by "\n" (optional)
local body = os.getenv("BENCH_BODY") or "{}"
local key = os.getenv("BENCH_KEY")
local extra = os.getenv("BENCH_HEADERS")

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
