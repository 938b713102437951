#include "jobs/runner.h"

#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service/service.h"
#include "util/log.h"

#define MAX_THREADS 8

struct sb_jobs {
    sb_store *store;
    sb_jobs_config cfg;
    pthread_t threads[MAX_THREADS];
    unsigned nthreads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;
    unsigned wakeups;
};

typedef struct {
    sb_job *job;
    int64_t now;
} claim_op;

static sb_err claim_fn(sb_db *w, void *arg)
{
    claim_op *c = arg;
    return sb_store_job_claim(w, c->now, c->job);
}

typedef struct {
    int64_t id;
    const char *state;
    const char *error;
    int64_t run_at;
} finish_op;

static sb_err finish_fn(sb_db *w, void *arg)
{
    finish_op *f = arg;
    return sb_store_job_finish(w, f->id, f->state, f->error, f->run_at, sb_now());
}

static sb_err recover_fn(sb_db *w, void *arg)
{
    return sb_store_jobs_recover(w, sb_now());
}

static const sb_job_type *find_type(const char *kind)
{
    for (size_t i = 0; i < sb_job_type_count; i++)
        if (strcmp(sb_job_types[i].kind, kind) == 0)
            return &sb_job_types[i];
    return NULL;
}

static int64_t backoff_ms(const sb_jobs *jobs, int attempts)
{
    int64_t d = jobs->cfg.backoff_base_ms;
    for (int i = 1; i < attempts && d < jobs->cfg.backoff_max_ms; i++)
        d *= 2;
    if (d > jobs->cfg.backoff_max_ms)
        d = jobs->cfg.backoff_max_ms;
    /* ±20% jitter so retries of many jobs do not arrive together. */
    int64_t jitter = d / 5;
    if (jitter > 0)
        d += (int64_t)randombytes_uniform((uint32_t)(2 * jitter + 1)) - jitter;
    return d;
}

static void run_one(sb_jobs *jobs, sb_job *job)
{
    const sb_job_type *type = find_type(job->kind);
    char err[512] = "";
    sb_job_result res = SB_JOB_FAIL;
    if (type)
        res = type->run(jobs, job, err, sizeof err);
    else
        snprintf(err, sizeof err, "unknown job kind %s", job->kind);
    finish_op f = {.id = job->id, .error = err[0] ? err : NULL};
    if (res == SB_JOB_DONE && job->reschedule_at) {
        f.state = "queued";
        f.run_at = job->reschedule_at;
    } else if (res == SB_JOB_DONE) {
        f.state = "done";
        f.run_at = sb_now();
    } else if (res == SB_JOB_RETRY && job->attempts < job->max_attempts) {
        f.state = "queued";
        f.run_at = sb_now() + backoff_ms(jobs, job->attempts);
        sb_warn("msg=\"job will be retried\" job=%lld kind=%s attempt=%d err=\"%s\"", (long long)job->id, job->kind,
                job->attempts, err);
    } else {
        f.state = "failed";
        f.run_at = sb_now();
        sb_warn("msg=\"job failed\" job=%lld kind=%s attempt=%d err=\"%s\"", (long long)job->id, job->kind,
                job->attempts, err);
        if (type && type->failed)
            type->failed(jobs, job, err[0] ? err : "failed");
        if (job->reschedule_at) { /* a recurring job keeps its schedule */
            f.state = "queued";
            f.run_at = job->reschedule_at;
        }
    }
    if (sb_store_write(jobs->store, finish_fn, &f) != SB_OK)
        sb_error("msg=\"cannot record job outcome\" job=%lld", (long long)job->id);
}

static void *runner_main(void *arg)
{
    sb_jobs *jobs = arg;
    for (;;) {
        pthread_mutex_lock(&jobs->mu);
        bool stop = jobs->stopping;
        unsigned seen = jobs->wakeups;
        pthread_mutex_unlock(&jobs->mu);
        if (stop)
            break;
        /* Claiming is a write (and a commit): only when the read side says a job is due. */
        sb_db *r = sb_store_reader(jobs->store);
        int64_t next = r ? sb_store_job_next_due(r) : 0, now = sb_now();
        if (next && next <= now) {
            sb_job job;
            claim_op c = {.job = &job, .now = now};
            if (sb_store_write(jobs->store, claim_fn, &c) == SB_OK) {
                run_one(jobs, &job);
                sb_job_release(&job);
                continue;
            }
            next = 0;
        }
        /* Nothing due: sleep until the next due job, a wake-up, or a second at most. */
        int64_t wait_ms = next && next > now ? next - now : 1000;
        if (wait_ms > 1000)
            wait_ms = 1000;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += wait_ms / 1000;
        ts.tv_nsec += (wait_ms % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_mutex_lock(&jobs->mu);
        while (!jobs->stopping && jobs->wakeups == seen)
            if (pthread_cond_timedwait(&jobs->cv, &jobs->mu, &ts) != 0)
                break;
        pthread_mutex_unlock(&jobs->mu);
    }
    return NULL;
}

sb_jobs *sb_jobs_start(sb_store *st, const sb_jobs_config *cfg)
{
    sb_jobs *jobs = calloc(1, sizeof *jobs);
    if (!jobs)
        return NULL;
    jobs->store = st;
    jobs->cfg = *cfg;
    if (!jobs->cfg.threads)
        jobs->cfg.threads = 2;
    if (jobs->cfg.threads > MAX_THREADS)
        jobs->cfg.threads = MAX_THREADS;
    if (!jobs->cfg.backoff_base_ms)
        jobs->cfg.backoff_base_ms = 5000;
    if (!jobs->cfg.backoff_max_ms)
        jobs->cfg.backoff_max_ms = 3600 * 1000;
    pthread_mutex_init(&jobs->mu, NULL);
    pthread_cond_init(&jobs->cv, NULL);
    sb_store_write(st, recover_fn, NULL);
    for (unsigned i = 0; i < jobs->cfg.threads; i++)
        if (pthread_create(&jobs->threads[jobs->nthreads], NULL, runner_main, jobs) == 0)
            jobs->nthreads++;
    return jobs;
}

void sb_jobs_wake(sb_jobs *jobs)
{
    if (!jobs)
        return;
    pthread_mutex_lock(&jobs->mu);
    jobs->wakeups++;
    pthread_cond_broadcast(&jobs->cv);
    pthread_mutex_unlock(&jobs->mu);
}

void sb_jobs_stop(sb_jobs *jobs)
{
    if (!jobs)
        return;
    pthread_mutex_lock(&jobs->mu);
    jobs->stopping = true;
    pthread_cond_broadcast(&jobs->cv);
    pthread_mutex_unlock(&jobs->mu);
    for (unsigned i = 0; i < jobs->nthreads; i++)
        pthread_join(jobs->threads[i], NULL);
    pthread_mutex_destroy(&jobs->mu);
    pthread_cond_destroy(&jobs->cv);
    free(jobs);
}

sb_store *sb_jobs_store(sb_jobs *jobs)
{
    return jobs->store;
}
