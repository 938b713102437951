/* The job kinds: adding one is adding a row. */
#include "channels/email/imap.h"
#include "channels/email/outbound.h"
#include "jobs/bot_jobs.h"
#include "jobs/routing.h"
#include "jobs/runner.h"
#include "jobs/sla_jobs.h"

const sb_job_type sb_job_types[] = {
    {"email.send", sb_email_send_job, sb_email_send_failed},
    {"imap.poll", sb_imap_poll_job, NULL},
    /* SLA (issue 5 part A) */
    {"sla.check", sb_sla_check_job, NULL},
    {"resolution.autoclose", sb_autoclose_job, NULL},
    {"webhook.deliver", sb_webhook_deliver_job, NULL},
    {"alert.email", sb_alert_email_job, NULL},
    /* answer bot (issue 6) */
    {"bot.offer", sb_bot_offer_job, NULL},
    {"routing.sweep", sb_routing_sweep_job, NULL}, /* routing (issue 5 B) */
};

const size_t sb_job_type_count = sizeof sb_job_types / sizeof sb_job_types[0];
