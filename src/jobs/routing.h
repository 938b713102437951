/* The routing sweep job: while conversations wait in a team's queue because nobody was
 * eligible, it assigns them as capacity frees or shifts start (every SB_ROUTING_SWEEP_MS). */
#ifndef SB_JOBS_ROUTING_H
#define SB_JOBS_ROUTING_H

#include "jobs/runner.h"

sb_job_result sb_routing_sweep_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen);

#endif
