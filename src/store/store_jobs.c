/* The durable job queue: deliveries, polls and timers survive restarts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

sb_err sb_store_job_enqueue(sb_db *w, const char *kind, json_t *payload, int64_t run_at, int max_attempts,
                            const char *unique_key, int64_t now, int64_t *id_out)
{
    char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    sb_stmt *s = sb_db_prepare(w, "INSERT INTO jobs(kind, payload, run_at, max_attempts, unique_key, created_at,"
                                  " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                                  " ON CONFLICT(unique_key) DO UPDATE SET state = 'queued', run_at = excluded.run_at,"
                                  "   attempts = 0, payload = excluded.payload, updated_at = excluded.updated_at"
                                  "   WHERE jobs.state IN ('done', 'failed')"
                                  " RETURNING id");
    if (!s) {
        free(text);
        return SB_E_INTERNAL;
    }
    sb_db_bind_text(s, 1, kind);
    sb_db_bind_text(s, 2, text ? text : "{}");
    sb_db_bind_int(s, 3, run_at);
    sb_db_bind_int(s, 4, max_attempts > 0 ? max_attempts : 10);
    sb_db_bind_opt_text(s, 5, unique_key);
    sb_db_bind_int(s, 6, now);
    sb_db_bind_int(s, 7, now);
    free(text);
    int rc = sb_db_step(s);
    int64_t id = rc == SB_DB_ROW ? sb_db_col_int(s, 0) : 0;
    if (rc == SB_DB_ROW)
        rc = sb_db_step(s);
    sb_db_reset(s);
    if (rc != SB_DB_DONE)
        return SB_E_INTERNAL;
    if (id_out)
        *id_out = id; /* 0 when a job with the same unique_key exists */
    return SB_OK;
}

sb_err sb_store_job_claim(sb_db *w, int64_t now, sb_job *job)
{
    memset(job, 0, sizeof *job);
    sb_stmt *s = sb_db_prepare(w, "UPDATE jobs SET state = 'running', attempts = attempts + 1, updated_at = ?1"
                                  " WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= ?1"
                                  "   ORDER BY run_at, id LIMIT 1)"
                                  " RETURNING id, kind, payload, attempts, max_attempts");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, now);
    int rc = sb_db_step(s);
    sb_err err = SB_E_NOT_FOUND;
    if (rc == SB_DB_ROW) {
        job->id = sb_db_col_int(s, 0);
        snprintf(job->kind, sizeof job->kind, "%s", sb_db_col_text(s, 1));
        job->payload = json_loads(sb_db_col_text(s, 2), 0, NULL);
        if (!job->payload)
            job->payload = json_object();
        job->attempts = (int)sb_db_col_int(s, 3);
        job->max_attempts = (int)sb_db_col_int(s, 4);
        err = SB_OK;
        rc = sb_db_step(s);
    }
    sb_db_reset(s);
    if (rc != SB_DB_DONE)
        err = SB_E_INTERNAL;
    return err;
}

sb_err sb_store_job_finish(sb_db *w, int64_t id, const char *state, const char *error, int64_t run_at, int64_t now)
{
    sb_stmt *s = sb_db_prepare(w, "UPDATE jobs SET state = ?, last_error = ?, run_at = ?, updated_at = ? WHERE id = ?");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_text(s, 1, state);
    sb_db_bind_opt_text(s, 2, error);
    sb_db_bind_int(s, 3, run_at);
    sb_db_bind_int(s, 4, now);
    sb_db_bind_int(s, 5, id);
    int rc = sb_db_step(s);
    sb_db_reset(s);
    return rc == SB_DB_DONE ? SB_OK : SB_E_INTERNAL;
}

sb_err sb_store_jobs_recover(sb_db *w, int64_t now)
{
    /* A job that was running when the process died runs again: deliveries are at least once. */
    sb_stmt *s = sb_db_prepare(w, "UPDATE jobs SET state = 'queued', run_at = ?1, updated_at = ?1 WHERE state = 'running'");
    if (!s)
        return SB_E_INTERNAL;
    sb_db_bind_int(s, 1, now);
    int rc = sb_db_step(s);
    sb_db_reset(s);
    return rc == SB_DB_DONE ? SB_OK : SB_E_INTERNAL;
}

int64_t sb_store_job_next_due(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT MIN(run_at) FROM jobs WHERE state = 'queued'");
    if (!s)
        return 0;
    int64_t t = sb_db_step(s) == SB_DB_ROW && !sb_db_col_null(s, 0) ? sb_db_col_int(s, 0) : 0;
    sb_db_reset(s);
    return t;
}

void sb_job_release(sb_job *job)
{
    json_decref(job->payload);
    job->payload = NULL;
}

json_t *sb_store_job_counts(sb_db *db)
{
    sb_stmt *s = sb_db_prepare(db, "SELECT kind, state, COUNT(*) AS n FROM jobs WHERE state <> 'done'"
                                   " GROUP BY kind, state ORDER BY kind, state");
    return s ? sb_store_rows_json(s) : NULL;
}
