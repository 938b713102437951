/* IMAP polling with libcurl: new (unseen) messages of a mailbox's folder are fetched without
 * marking them, stored durably, and only then flagged \Seen, so a crash in between fetches
 * them again (and de-duplication by Message-ID keeps them single). */
#ifndef SB_CHANNELS_EMAIL_IMAP_H
#define SB_CHANNELS_EMAIL_IMAP_H

#include "jobs/runner.h"

#define SB_IMAP_MAX_MESSAGE (30u << 20)

sb_job_result sb_imap_poll_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen);

#endif
