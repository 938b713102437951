/* The outbound half of the email channel: the email.send job composes a reply (multipart/
 * alternative: the agent's Markdown as text, rendered safely as HTML) that continues the
 * customer's thread, and hands it to the mailbox's SMTP server with libcurl. */
#ifndef SB_CHANNELS_EMAIL_OUTBOUND_H
#define SB_CHANNELS_EMAIL_OUTBOUND_H

#include "jobs/runner.h"

sb_job_result sb_email_send_job(sb_jobs *jobs, sb_job *job, char *err, size_t errlen);
void sb_email_send_failed(sb_jobs *jobs, sb_job *job, const char *err);

/* Composition, exposed for tests: returns the message text with CRLF line endings (caller
 * frees with g_free) or NULL. */
typedef struct {
    const char *from_name, *from_addr, *reply_to, *to_name, *to_addr;
    const char *const *cc; /* NULL-terminated addresses */
    const char *subject, *message_id, *in_reply_to;
    const char *const *references; /* NULL-terminated, oldest first */
    const char *markdown;
    int automatic; /* adds Auto-Submitted: auto-replied */
    long long conversation_id;
    const struct sb_email_file *files; /* attachments */
    size_t nfiles;
} sb_email_compose;

typedef struct sb_email_file {
    const char *filename, *content_type;
    const char *data;
    size_t size;
} sb_email_file;
char *sb_email_compose_message(const sb_email_compose *m);

/* Hands a composed message to an SMTP server (libcurl): 0 sent, 1 temporary failure, 2 permanent
 * (5xx). rcpts is NULL-terminated. Used by the SLA alert mail too. */
int sb_email_smtp_send(const char *url, const char *user, const char *password, const char *from,
                       const char *const *rcpts, const char *message, char *err, size_t errlen);

/* Markdown -> safe HTML (raw HTML in the source is not passed through). Caller frees. */
char *sb_markdown_to_html(const char *markdown);

#endif
