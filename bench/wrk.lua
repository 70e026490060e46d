-- wrk script for bench/http.ts: one scenario per run, a different user (token) on every request.
--
--   wrk -c 64 -d 10s --latency -s bench/wrk.lua http://127.0.0.1:3000 -- <kind> <users file> <nonce> [pause ms]
--
-- kind: stats | my-matches | chat | send | find. The users file has one "user match token" line
-- per user (generated up front by bench/http.ts). Each thread starts at its own place in the list
-- and walks it, so consecutive requests come from different users. With a pause, each connection
-- waits that many milliseconds after a reply before its next request (paced load). done() prints one JSON line
-- (requests, duration, errors, latency quantiles in microseconds) that bench/http.ts parses.

local threads = {}
local counter = 1

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  kind = args[1]
  nonce = args[3] or "n"
  local pause = tonumber(args[4] or "0")
  -- Defined only when pacing: wrk looks for delay() after init, and a delay of 0 still costs a timer.
  if pause > 0 then
    delay = function()
      return pause
    end
  end
  users = {}
  for line in io.lines(args[2]) do
    local user, match, token = line:match("^(%d+) (%d+) (%S+)$")
    if user then
      table.insert(users, { user = user, match = match, auth = "Bearer " .. token })
    end
  end
  position = ((tid or 1) * 7919) % #users
  sent = 0
  json = { ["content-type"] = "application/json" }
end

function request()
  position = position % #users + 1
  local u = users[position]
  local headers = { authorization = u.auth }
  if kind == "stats" then
    return wrk.format("GET", "/api/mystery/stats/" .. u.user, headers)
  elseif kind == "my-matches" then
    return wrk.format("GET", "/api/mystery/my-matches/" .. u.user, headers)
  elseif kind == "chat" then
    return wrk.format("GET", "/api/mystery/chat/" .. u.match .. "?limit=50", headers)
  elseif kind == "send" then
    sent = sent + 1
    headers["content-type"] = "application/json"
    local body = '{"match_id":' .. u.match .. ',"message_text":"bench message","client_msg_id":"' ..
      nonce .. "-" .. (tid or 0) .. "-" .. sent .. '"}'
    return wrk.format("POST", "/api/mystery/send-message", headers, body)
  else
    headers["content-type"] = "application/json"
    return wrk.format("POST", "/api/mystery/find-match", headers, "{}")
  end
end

function done(summary, latency, requests)
  local q = {}
  for i = 1, 1000 do
    q[i] = latency:percentile(i / 10)
  end
  local e = summary.errors
  io.write(string.format(
    '{"wrk":true,"requests":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"quantiles_us":[%s]}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, table.concat(q, ",")))
end
