#include "jobs/bot_jobs.h"

#include <stdio.h>

#include "service/kb.h"

typedef struct {
    int64_t conversation_id;
    int64_t attempt_id;
    char token[65];
    char errmsg[SB_ERRMSG];
} offer_arg;

static sb_err offer_fn(sb_db *w, void *arg)
{
    offer_arg *a = arg;
    return sb_svc_bot_offer(w, a->conversation_id, NULL, NULL, &a->attempt_id, a->token, a->errmsg);
}

sb_job_result sb_bot_offer_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen)
{
    offer_arg a = {.conversation_id = json_integer_value(json_object_get(job->payload, "conversation_id"))};
    sb_err rc = sb_store_write(sb_jobs_store(jobs), offer_fn, &a);
    if (rc == SB_E_NOT_FOUND) {
        snprintf(err, errlen, "%s", a.errmsg);
        return SB_JOB_FAIL;
    }
    if (rc != SB_OK) {
        snprintf(err, errlen, "%s", a.errmsg[0] ? a.errmsg : "bot offer failed");
        return SB_JOB_RETRY;
    }
    return SB_JOB_DONE; /* answered, or the gate or the confidence said no (recorded) */
}
