-- wrk script: POST a new conversation (a durable write through the group-commit writer).
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("SB_TOKEN")
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
    n = n + 1
    local body = string.format('{"subject":"Cannot export invoice %d","body":"Hello, the export button '
        .. 'fails with an error since this morning. Order %d.","contact":{"email":"c%d@example.com","name":"C"}}',
        n, n, n % 5000)
    return wrk.format(nil, "/api/v1/conversations", nil, body)
end
