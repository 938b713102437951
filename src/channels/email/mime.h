/* Parsing an RFC 5322 message with GMime into what the helpdesk needs: decoded headers,
 * the text and HTML bodies in UTF-8, attachments, threading headers, and the signals that
 * tell auto-replies, bulk mail and bounces apart. Never fails on bad input: a message that
 * cannot be understood comes back with parsed = false and a warning; the caller keeps the
 * raw bytes. */
#ifndef SB_CHANNELS_EMAIL_MIME_H
#define SB_CHANNELS_EMAIL_MIME_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    size_t max_parts;       /* MIME parts walked (default 200) */
    size_t max_depth;       /* multipart / message/rfc822 nesting (default 20) */
    size_t max_attachment;  /* bytes per attachment; larger ones are listed but not kept (default 25 MiB) */
    size_t max_body;        /* bytes of text or HTML body kept (default 2 MiB) */
    size_t max_addresses;   /* To + Cc addresses kept (default 100) */
} sb_mime_limits;

typedef struct {
    char *filename;     /* UTF-8, RFC 2231/2047 decoded; a safe default when missing */
    char *content_type; /* "image/png" */
    char *content_id;   /* without <>, or NULL */
    bool is_inline;     /* Content-Disposition inline (or a cid-referenced related part) */
    bool truncated;     /* over max_attachment: data is NULL, size is the real size */
    unsigned char *data;
    size_t size;
} sb_mime_part;

typedef struct {
    char *name; /* display name, UTF-8, may be "" */
    char *addr; /* lowercase-domain address, never NULL */
} sb_mime_addr;

typedef struct {
    bool parsed;        /* false: not a usable message (the raw bytes must be shown instead) */
    char *warning;      /* human text for agents when parsing failed or degraded, or NULL */

    char *message_id;   /* without <>, or NULL */
    char *in_reply_to;  /* without <>, or NULL */
    char **references;  /* without <>, oldest first */
    size_t nreferences;
    char *subject;      /* decoded UTF-8, "" when missing */
    sb_mime_addr from;  /* from.addr "" when missing */
    sb_mime_addr reply_to; /* addr NULL when missing */
    sb_mime_addr *to;
    size_t nto;
    sb_mime_addr *cc;
    size_t ncc;
    long long date_ms;  /* Date header as epoch ms, 0 when missing or bad */

    char *text;         /* UTF-8 plain text body ("" when none), CRLF normalised to LF */
    char *html;         /* UTF-8 HTML body as sent (unsanitised), or NULL */
    sb_mime_part *parts; /* attachments and inline images */
    size_t nparts;

    /* Loop and noise protection signals (RFC 3834 and common practice). */
    bool auto_submitted;  /* Auto-Submitted present and not "no" */
    bool precedence_bulk; /* Precedence: bulk, list or junk */
    bool x_autoreply;     /* X-Autoreply, X-Autorespond, X-Auto-Response-Suppress: All/OOF */
    bool list_mail;       /* List-Id, List-Unsubscribe or List-Post */
    bool from_robot;      /* MAILER-DAEMON, postmaster, no-reply/noreply senders */
    /* Delivery status notifications (multipart/report; report-type=delivery-status). */
    bool is_bounce;
    char *bounced_message_id; /* Message-ID of the returned message, without <>, or NULL */
    char *bounced_recipient;  /* Final-Recipient address, or NULL */
    char *bounce_status;      /* "5.1.1", or NULL */
} sb_mime_message;

/* Fills *out (owned by the caller, free with sb_mime_release). Returns 0, or -1 when out of
 * memory. A message GMime cannot parse still returns 0 with parsed = false. Thread-safe after
 * sb_mime_init. */
void sb_mime_init(void);
void sb_mime_limits_default(sb_mime_limits *lim);
int sb_mime_parse(const char *raw, size_t len, const sb_mime_limits *lim, sb_mime_message *out);
void sb_mime_release(sb_mime_message *m);

#endif
