/* The answer bot's job: offer an answer on a new conversation, outside the channel's own
 * transaction (queued by sb_svc_bot_queue). */
#ifndef SB_JOBS_BOT_JOBS_H
#define SB_JOBS_BOT_JOBS_H

#include "jobs/runner.h"

sb_job_result sb_bot_offer_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen);

#endif
