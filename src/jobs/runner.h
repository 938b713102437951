/* jobs/: the runner that turns the durable job queue into work: outbound deliveries, IMAP
 * polls, timers. Jobs are claimed through the writer, run outside it, and finished through
 * it; a failed attempt is retried with exponential backoff until max_attempts. */
#ifndef SB_JOBS_RUNNER_H
#define SB_JOBS_RUNNER_H

#include <stddef.h>

#include "store/store.h"

typedef struct sb_jobs sb_jobs;

typedef enum { SB_JOB_DONE = 0, SB_JOB_RETRY, SB_JOB_FAIL } sb_job_result;

typedef struct {
    const char *kind;
    sb_job_result (*run)(sb_jobs *jobs, sb_job *job, char *err, size_t errlen);
    /* Called once when the job fails for good (after its last attempt or a permanent error). */
    void (*failed)(sb_jobs *jobs, sb_job *job, const char *err);
} sb_job_type;

typedef struct {
    unsigned threads;        /* default 2 */
    unsigned backoff_base_ms; /* first retry delay, doubled per attempt (default 5000) */
    unsigned backoff_max_ms;  /* default 1 hour */
} sb_jobs_config;

sb_jobs *sb_jobs_start(sb_store *st, const sb_jobs_config *cfg);
/* Wakes the runner (after a commit that may have queued work). */
void sb_jobs_wake(sb_jobs *jobs);
/* Lets running jobs finish, then stops. */
void sb_jobs_stop(sb_jobs *jobs);
sb_store *sb_jobs_store(sb_jobs *jobs);

/* The table of job kinds (jobs/kinds.c). */
extern const sb_job_type sb_job_types[];
extern const size_t sb_job_type_count;

#endif
