-- wrk script: POST raw emails from the mix in $SB_MIX (files written by make_ingest_mix.py),
-- each with a unique Message-ID and one of 2,000 senders.
local dir = os.getenv("SB_MIX")
local names = {"plain.eml", "alternative.eml", "attachments.eml", "reply.eml"}
local bodies = {}
for i, n in ipairs(names) do
    local f = assert(io.open(dir .. "/" .. n, "rb"))
    bodies[i] = f:read("*a")
    f:close()
end
local counter = 0
local thread_id = 0
function setup(thread)
    thread_id = thread_id + 1
    thread:set("tid", thread_id)
end
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("SB_TOKEN")
wrk.headers["Content-Type"] = "message/rfc822"
request = function()
    counter = counter + 1
    local body = bodies[(counter % #bodies) + 1]
    body = body:gsub("MSGID", string.format("b%d.%d.%d", tid or 0, counter, math.random(1, 1e9)))
    body = body:gsub("SENDER", string.format("c%d", counter % 2000))
    return wrk.format(nil, "/api/v1/inbound/email?mailbox=support@support.test", nil, body)
end
