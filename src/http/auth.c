#include "http/auth.h"

#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "util/time.h"

void sb_auth_hash(const char *secret, unsigned char hash[32])
{
    crypto_hash_sha256(hash, (const unsigned char *)secret, strlen(secret));
}

void sb_auth_new_secret(const char *prefix, char out[64], unsigned char hash[32])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    size_t plen = strlen(prefix);
    memcpy(out, prefix, plen);
    sodium_bin2base64(out + plen, 64 - plen, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    sb_auth_hash(out, hash);
}

char *sb_auth_hash_password(const char *password)
{
    char *out = malloc(crypto_pwhash_STRBYTES);
    if (!out)
        return NULL;
    if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

bool sb_auth_verify_password(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

static bool unsafe_method(const char *m)
{
    return strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "OPTIONS") != 0;
}

void sb_auth_request(sb_req *r)
{
    if (r->route->auth <= SB_AUTH_PUBLIC)
        return; /* public, or a widget visitor (checked by the handler) */
    unsigned char hash[32];
    sb_db *db = sb_req_db(r);
    if (!db) {
        sb_req_fail(r, SB_E_UNAVAILABLE, "database unavailable");
        return;
    }
    const char *authz = sb_req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (authz) {
        if (strncasecmp(authz, "Bearer ", 7) != 0 || strlen(authz + 7) > 128) {
            sb_req_fail(r, SB_E_UNAUTHORIZED, "use Authorization: Bearer TOKEN");
            return;
        }
        sb_auth_hash(authz + 7, hash);
        if (sb_store_token_lookup(db, hash, &r->who) != SB_OK) {
            sb_req_fail(r, SB_E_UNAUTHORIZED, "invalid or revoked token");
            return;
        }
    } else {
        const char *cookie = sb_req_cookie(r, SB_SESSION_COOKIE);
        if (!cookie || strlen(cookie) > 128) {
            sb_req_fail(r, SB_E_UNAUTHORIZED, "authentication required");
            return;
        }
        sb_auth_hash(cookie, hash);
        if (sb_store_session_lookup(db, hash, sb_time_now_ms(), &r->who) != SB_OK) {
            sb_req_fail(r, SB_E_UNAUTHORIZED, "session expired; log in again");
            return;
        }
        r->session_auth = true;
        if (unsafe_method(r->method)) {
            const char *csrf = sb_req_header(r, "X-CSRF-Token");
            size_t n = strlen(r->who.csrf);
            if (!csrf || strlen(csrf) != n || n == 0 || sodium_memcmp(csrf, r->who.csrf, n) != 0) {
                sb_req_fail(r, SB_E_CSRF, "missing or wrong X-CSRF-Token header");
                return;
            }
        }
    }
    r->authenticated = true;
    memcpy(r->cred_hash, hash, sizeof r->cred_hash);
    if ((int)r->who.role < (int)r->route->auth) {
        sb_req_fail(r, SB_E_FORBIDDEN, "your role (%s) may not do this", sb_role_name(r->who.role));
        return;
    }
    if (r->who.read_only && unsafe_method(r->method))
        sb_req_fail(r, SB_E_FORBIDDEN, "this token has the read scope");
}

/* ---- rate limiter: a fixed-size open-addressing table; old windows are reused ---- */

#define RL_SLOTS 4096

typedef struct {
    char key[128];
    unsigned count;
    int64_t window_start;
} rl_slot;

struct sb_ratelimit {
    pthread_mutex_t mu;
    unsigned max, window_s;
    rl_slot slots[RL_SLOTS];
};

sb_ratelimit *sb_ratelimit_new(unsigned max, unsigned window_s)
{
    sb_ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    pthread_mutex_init(&rl->mu, NULL);
    rl->max = max;
    rl->window_s = window_s;
    return rl;
}

void sb_ratelimit_free(sb_ratelimit *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->mu);
    free(rl);
}

static rl_slot *rl_find(sb_ratelimit *rl, const char *key, int64_t now, bool create)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    int64_t window_ms = (int64_t)rl->window_s * 1000;
    rl_slot *reuse = NULL;
    for (unsigned i = 0; i < 32; i++) {
        rl_slot *s = &rl->slots[(h + i) % RL_SLOTS];
        if (s->key[0] && strncmp(s->key, key, sizeof s->key - 1) == 0)
            return s;
        if (!reuse && (!s->key[0] || now - s->window_start >= window_ms))
            reuse = s;
    }
    if (!create)
        return NULL;
    if (!reuse) { /* the neighbourhood is full of live windows: take the oldest of them */
        reuse = &rl->slots[h % RL_SLOTS];
        for (unsigned i = 1; i < 32; i++) {
            rl_slot *s = &rl->slots[(h + i) % RL_SLOTS];
            if (s->window_start < reuse->window_start)
                reuse = s;
        }
    }
    snprintf(reuse->key, sizeof reuse->key, "%s", key);
    reuse->count = 0;
    reuse->window_start = now;
    return reuse;
}

unsigned sb_ratelimit_check(sb_ratelimit *rl, const char *key, int64_t now)
{
    pthread_mutex_lock(&rl->mu);
    rl_slot *s = rl_find(rl, key, now, false);
    unsigned wait = 0;
    int64_t window_ms = (int64_t)rl->window_s * 1000;
    if (s && now - s->window_start < window_ms && s->count >= rl->max)
        wait = (unsigned)((s->window_start + window_ms - now + 999) / 1000);
    pthread_mutex_unlock(&rl->mu);
    return wait;
}

void sb_ratelimit_fail(sb_ratelimit *rl, const char *key, int64_t now)
{
    pthread_mutex_lock(&rl->mu);
    rl_slot *s = rl_find(rl, key, now, true);
    if (now - s->window_start >= (int64_t)rl->window_s * 1000) {
        s->count = 0;
        s->window_start = now;
    }
    s->count++;
    pthread_mutex_unlock(&rl->mu);
}

void sb_ratelimit_clear(sb_ratelimit *rl, const char *key)
{
    pthread_mutex_lock(&rl->mu);
    rl_slot *s = rl_find(rl, key, 0, false);
    if (s)
        memset(s, 0, sizeof *s);
    pthread_mutex_unlock(&rl->mu);
}
