/* The inbound half of the email channel: raw RFC 5322 bytes -> parsed, sanitised message with
 * its raw bytes and attachments durably in the blob store -> a service ingest operation. The
 * CPU-heavy work happens here, on the caller's thread, never on the writer thread. */
#ifndef SB_CHANNELS_EMAIL_INBOUND_H
#define SB_CHANNELS_EMAIL_INBOUND_H

#include <stddef.h>

#include "service/service.h"

typedef struct sb_email_inbound sb_email_inbound;

/* `raw` must stay valid until the operation ran (it is written in the same transaction).
 * Returns 0 and *out (free with sb_email_inbound_free), or an sb_err with a message:
 * SB_E_VALIDATION when the bytes are not an email at all, SB_E_INTERNAL when the blob store
 * failed. The operation to submit is sb_email_inbound_op(*out). */
int sb_email_inbound_prepare(const char *data_dir, const char *raw, size_t len, const char *mailbox_hint,
                             sb_email_inbound **out, char *err, size_t errlen);
sb_email_ingest_op *sb_email_inbound_op(sb_email_inbound *in);
void sb_email_inbound_free(void *in);

#endif
