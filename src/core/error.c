#include "core/error.h"

static const sb_err_info table[SB_E_COUNT] = {
    [SB_OK] = {200, "ok", "ok"},
    [SB_E_BAD_REQUEST] = {400, "bad_request", "The request is not valid."},
    [SB_E_INVALID_JSON] = {400, "invalid_json", "The body is not valid JSON."},
    [SB_E_UNAUTHORIZED] = {401, "unauthorized", "Authentication is required."},
    [SB_E_FORBIDDEN] = {403, "forbidden", "You are not allowed to do this."},
    [SB_E_CSRF] = {403, "csrf_failed", "Missing or wrong X-CSRF-Token header."},
    [SB_E_NOT_FOUND] = {404, "not_found", "Not found."},
    [SB_E_METHOD] = {405, "method_not_allowed", "Method not allowed."},
    [SB_E_CONFLICT] = {409, "conflict", "The request conflicts with the current state."},
    [SB_E_TRANSITION] = {409, "invalid_transition", "This status change is not allowed."},
    [SB_E_TOO_LARGE] = {413, "payload_too_large", "The request body is too large."},
    [SB_E_VALIDATION] = {422, "validation_failed", "A field has an invalid value."},
    [SB_E_RATE_LIMITED] = {429, "rate_limited", "Too many requests; try again later."},
    [SB_E_INTERNAL] = {500, "internal_error", "Internal error."},
    [SB_E_UNAVAILABLE] = {503, "unavailable", "The server is shutting down or overloaded."},
};

const sb_err_info *sb_err_lookup(sb_err e)
{
    if ((unsigned)e >= SB_E_COUNT)
        e = SB_E_INTERNAL;
    return &table[e];
}
