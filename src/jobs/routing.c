#include "jobs/routing.h"

#include <stdio.h>

#include "service/service.h"

sb_job_result sb_routing_sweep_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen)
{
    sb_sweep_op op = {0};
    sb_err rc = sb_store_write(sb_jobs_store(jobs), sb_svc_routing_sweep, &op);
    if (rc != SB_OK) {
        snprintf(err, errlen, "sweep failed (%d)", (int)rc);
        return SB_JOB_RETRY;
    }
    if (op.more) /* still waiting: look again later */
        job->reschedule_at = sb_now() + SB_ROUTING_SWEEP_MS;
    return SB_JOB_DONE;
}
