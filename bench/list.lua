-- wrk script: the first page of the open queue.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("SB_TOKEN")
wrk.path = "/api/v1/conversations?status=open&limit=25"
