/* The one error contract: every layer returns an sb_err; the HTTP layer maps it through
 * sb_err_table to a status and a JSON code. Append only: numbers are stable. */
#ifndef SB_CORE_ERROR_H
#define SB_CORE_ERROR_H

typedef enum {
    SB_OK = 0,
    SB_E_BAD_REQUEST = 1,
    SB_E_INVALID_JSON = 2,
    SB_E_UNAUTHORIZED = 3,
    SB_E_FORBIDDEN = 4,
    SB_E_CSRF = 5,
    SB_E_NOT_FOUND = 6,
    SB_E_METHOD = 7,
    SB_E_CONFLICT = 8,
    SB_E_TRANSITION = 9,
    SB_E_TOO_LARGE = 10,
    SB_E_VALIDATION = 11,
    SB_E_RATE_LIMITED = 12,
    SB_E_INTERNAL = 13,
    SB_E_UNAVAILABLE = 14,
    SB_E_COUNT
} sb_err;

typedef struct {
    unsigned http_status;
    const char *code;
    const char *default_message;
} sb_err_info;

const sb_err_info *sb_err_lookup(sb_err e);

#endif
