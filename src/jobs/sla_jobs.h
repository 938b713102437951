/* jobs/: the SLA feature's job kinds (rows in kinds.c). */
#ifndef SB_JOBS_SLA_JOBS_H
#define SB_JOBS_SLA_JOBS_H

#include "jobs/runner.h"

sb_job_result sb_sla_check_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen);
sb_job_result sb_autoclose_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen);
sb_job_result sb_webhook_deliver_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen);
sb_job_result sb_alert_email_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen);

#endif
