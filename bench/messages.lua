-- wrk script: GET the messages of a random conversation among the seeded ones.
local token = os.getenv("SB_TOKEN")
local count = tonumber(os.getenv("SB_CONVERSATIONS") or "100000")
math.randomseed(42)
wrk.headers["Authorization"] = "Bearer " .. token
request = function()
    return wrk.format("GET", "/api/v1/conversations/" .. math.random(1, count) .. "/messages")
end
