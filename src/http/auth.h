/* Credentials: bearer tokens, session cookies with CSRF tokens, password hashing, and the
 * login rate limiter. Tokens and sessions are 256-bit random values stored as SHA-256. */
#ifndef SB_HTTP_AUTH_H
#define SB_HTTP_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

#define SB_TOKEN_PREFIX "sbt_"
#define SB_SESSION_COOKIE "sb_session"

/* Authenticates r for its route; sets r->err (401/403/csrf) on failure. */
void sb_auth_request(sb_req *r);

/* A new random secret as text (prefix + base64url of 32 bytes) and its SHA-256. */
void sb_auth_new_secret(const char *prefix, char out[64], unsigned char hash[32]);
void sb_auth_hash(const char *secret, unsigned char hash[32]);
/* argon2id; returns a malloc'd hash string or NULL. */
char *sb_auth_hash_password(const char *password);
bool sb_auth_verify_password(const char *hash, const char *password);

/* Failed-login limiter: at most `max` failures per `window_s` per key. */
sb_ratelimit *sb_ratelimit_new(unsigned max, unsigned window_s);
void sb_ratelimit_free(sb_ratelimit *rl);
/* 0 when allowed, else seconds until the key may try again. */
unsigned sb_ratelimit_check(sb_ratelimit *rl, const char *key, int64_t now_ms);
void sb_ratelimit_fail(sb_ratelimit *rl, const char *key, int64_t now_ms);
void sb_ratelimit_clear(sb_ratelimit *rl, const char *key);

#endif
