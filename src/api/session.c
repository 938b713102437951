/* Login, logout, who am I, and API tokens. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "http/auth.h"
#include "realtime/hub.h"
#include "util/time.h"

#define LOGIN_MAX_FAILURES 10
#define LOGIN_WINDOW_S (15 * 60)

typedef struct {
    sb_session_op s;
    char cookie[64];
} login_op;

void sb_api_client_ip(sb_req *r, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(sb_req_connection(r), MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, n, "ip:?");
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        char buf[64];
        if (sa->sa_family == AF_INET && inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, sizeof buf)) {
            snprintf(out, n, "ip:%s", buf);
        } else if (sa->sa_family == AF_INET6) {
            /* One IPv6 client usually owns a whole /64: count it as one. */
            struct in6_addr a = ((const struct sockaddr_in6 *)sa)->sin6_addr;
            memset(a.s6_addr + 8, 0, 8);
            if (inet_ntop(AF_INET6, &a, buf, sizeof buf))
                snprintf(out, n, "ip:%s/64", buf);
        }
        /* Behind the configured reverse proxy, the client is the last X-Forwarded-For hop. */
        if (r->app->cfg.trusted_proxy[0] && strcmp(out + 3, r->app->cfg.trusted_proxy) == 0) {
            const char *xff = sb_req_header(r, "X-Forwarded-For");
            if (xff && *xff) {
                const char *last = strrchr(xff, ',');
                last = last ? last + 1 : xff;
                while (*last == ' ')
                    last++;
                snprintf(out, n, "ip:%.60s", last);
            }
        }
    }
}

int sb_api_login(sb_req *r)
{
    static const char *const fields[] = {"email", "password", NULL};
    const char *email, *password;
    int rc;
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "email", true, false, 254, &email)) != SB_OK ||
        (rc = sb_api_str(r, "password", true, true, 1024, &password)) != SB_OK)
        return rc;
    char ipkey[80], emailkey[300];
    sb_api_client_ip(r, ipkey, sizeof ipkey);
    snprintf(emailkey, sizeof emailkey, "email:");
    for (size_t i = 0, o = 6; email[i] && o < sizeof emailkey - 1; i++, o++) {
        emailkey[o] = (char)(email[i] >= 'A' && email[i] <= 'Z' ? email[i] + 32 : email[i]);
        emailkey[o + 1] = '\0';
    }
    int64_t now = sb_time_now_ms();
    unsigned wait = sb_ratelimit_check(r->app->login_limit, ipkey, now);
    unsigned wait2 = sb_ratelimit_check(r->app->login_limit, emailkey, now);
    if (wait2 > wait)
        wait = wait2;
    if (wait) {
        sb_req_retry_after(r, wait);
        return sb_req_fail(r, SB_E_RATE_LIMITED, "too many failed logins; try again in %u seconds", wait);
    }
    int64_t id = 0;
    sb_role role;
    bool active = false;
    char *hash = NULL;
    sb_db *db = sb_req_db(r);
    if (!db)
        return sb_req_fail(r, SB_E_UNAVAILABLE, "database unavailable");
    sb_store_agent_credentials(db, email, &id, &role, &active, &hash);
    /* Verify against a fixed hash for unknown users so timing does not reveal who exists. */
    static const char dummy[] = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
                                "3q9lUfbn3QvdVLdZr3PxnSBfXz2f7H2pBd9Z6mB5y1E";
    bool ok = sb_auth_verify_password(hash ? hash : dummy, password) && hash && active;
    free(hash);
    if (!ok) {
        sb_ratelimit_fail(r->app->login_limit, ipkey, now);
        sb_ratelimit_fail(r->app->login_limit, emailkey, now);
        return sb_req_fail(r, SB_E_UNAUTHORIZED, "wrong email or password");
    }
    sb_ratelimit_clear(r->app->login_limit, emailkey);
    login_op *op = calloc(1, sizeof *op);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->s.agent_id = id;
    sb_auth_new_secret("", op->cookie, op->s.hash);
    unsigned char unused[32];
    sb_auth_new_secret("", op->s.csrf, unused);
    op->s.expires = now + (int64_t)r->app->cfg.session_hours * 3600 * 1000;
    r->who.agent_id = id; /* for the log line */
    r->authenticated = true;
    return sb_req_submit(r, sb_svc_session_write, op, free, NULL);
}

int sb_api_login_finish(sb_req *r)
{
    login_op *op = r->op;
    char cookie[256];
    snprintf(cookie, sizeof cookie, SB_SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%d%s", op->cookie,
             r->app->cfg.session_hours * 3600, r->app->cfg.secure_cookies ? "; Secure" : "");
    r->set_cookie = strdup(cookie);
    json_t *agent = sb_store_agent_get(sb_req_db(r), op->s.agent_id);
    return sb_req_json(r, 200, json_pack("{s:o, s:s}", "agent", agent ? agent : json_null(), "csrf_token", op->s.csrf));
}

int sb_api_logout(sb_req *r)
{
    const char *cookie = sb_req_cookie(r, SB_SESSION_COOKIE);
    if (!r->session_auth || !cookie)
        return sb_req_fail(r, SB_E_BAD_REQUEST, "not logged in with a session");
    sb_session_op *op = calloc(1, sizeof *op);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->remove = true;
    sb_auth_hash(cookie, op->hash);
    return sb_req_submit(r, sb_svc_session_write, op, free, NULL);
}

int sb_api_logout_finish(sb_req *r)
{
    sb_hub_recheck(r->app->hub); /* streams opened with this session end */
    r->set_cookie = strdup(SB_SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    r->status = 204;
    return SB_OK;
}

int sb_api_me(sb_req *r)
{
    json_t *agent = sb_store_agent_get(sb_req_db(r), r->who.agent_id);
    if (!agent)
        return sb_req_fail(r, SB_E_UNAUTHORIZED, "unknown agent");
    return sb_req_json(r, 200,
                       json_pack("{s:o, s:o}", "agent", agent, "csrf_token",
                                 r->session_auth ? json_string(r->who.csrf) : json_null()));
}

typedef struct {
    sb_token_op t;
    char token[64];
} token_op;

int sb_api_token_create(sb_req *r)
{
    static const char *const fields[] = {"scope", "agent_id", NULL};
    const char *scope;
    bool present;
    int64_t agent_id;
    int rc;
    if (!r->body)
        r->body = json_object();
    if ((rc = sb_api_need_object(r)) != SB_OK || (rc = sb_api_only(r, fields)) != SB_OK ||
        (rc = sb_api_str(r, "scope", false, false, 8, &scope)) != SB_OK ||
        (rc = sb_api_id(r, "agent_id", &present, &agent_id)) != SB_OK)
        return rc;
    if (scope && strcmp(scope, "all") != 0 && strcmp(scope, "read") != 0)
        return sb_req_fail(r, SB_E_VALIDATION, "scope must be all or read");
    if (!agent_id)
        agent_id = r->who.agent_id;
    if (agent_id != r->who.agent_id && r->who.role != SB_ROLE_ADMIN)
        return sb_req_fail(r, SB_E_FORBIDDEN, "only an admin may create tokens for another agent");
    if (!sb_store_agent_is_active(sb_req_db(r), agent_id))
        return sb_req_fail(r, SB_E_VALIDATION, "agent_id %lld is not an active agent", (long long)agent_id);
    token_op *op = calloc(1, sizeof *op);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->t.agent_id = agent_id;
    op->t.scope = scope && strcmp(scope, "read") == 0 ? "read" : "all";
    sb_auth_new_secret(SB_TOKEN_PREFIX, op->token, op->t.hash);
    return sb_req_submit(r, sb_svc_token_create, op, free, NULL);
}

int sb_api_token_create_finish(sb_req *r)
{
    token_op *op = r->op;
    return sb_req_json(r, 201,
                       json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)op->t.id, "token", op->token, "scope",
                                 op->t.scope, "agent_id", (json_int_t)op->t.agent_id));
}

int sb_api_tokens_list(sb_req *r)
{
    int64_t agent = r->who.agent_id;
    int rc = SB_OK;
    if (r->who.role == SB_ROLE_ADMIN && (rc = sb_api_query_id(r, "agent_id", &agent)) != SB_OK)
        return rc;
    if (r->who.role == SB_ROLE_ADMIN && !sb_req_query(r, "agent_id"))
        agent = 0; /* an admin sees every token */
    json_t *items = sb_store_token_list(sb_req_db(r), agent < 0 ? r->who.agent_id : agent);
    if (!items)
        return sb_req_fail(r, SB_E_INTERNAL, "query failed");
    return sb_req_json(r, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

typedef struct {
    int64_t id, agent_id;
} revoke_op;

static sb_err revoke_fn(sb_db *w, void *arg)
{
    revoke_op *op = arg;
    return sb_store_token_revoke(w, op->id, op->agent_id, sb_now());
}

int sb_api_token_revoke(sb_req *r)
{
    revoke_op *op = calloc(1, sizeof *op);
    if (!op)
        return sb_req_fail(r, SB_E_INTERNAL, "out of memory");
    op->id = r->ids[0];
    op->agent_id = r->who.role == SB_ROLE_ADMIN ? 0 : r->who.agent_id; /* others' tokens stay out of reach */
    return sb_req_submit(r, revoke_fn, op, free, NULL);
}

int sb_api_token_revoke_finish(sb_req *r)
{
    sb_hub_recheck(r->app->hub);
    r->status = 204;
    return SB_OK;
}
