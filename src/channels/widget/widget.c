#include "channels/widget/widget.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SETTINGS_KEY "widget"

json_t *sb_widget_settings_load(sb_db *db)
{
    json_t *s = json_pack("{s:b, s:s, s:s, s:s, s:s, s:[]}", "enabled", 1, "title", "Chat with us", "greeting",
                          "Hi! Ask us anything, we usually answer within minutes.", "accent_color", "#2563eb",
                          "secret", "", "allowed_origins");
    char *text = sb_store_setting_get(db, SETTINGS_KEY);
    json_t *stored = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (json_is_object(stored))
        json_object_update_existing(s, stored);
    json_decref(stored);
    return s;
}

json_t *sb_widget_settings_public(const json_t *s)
{
    return json_pack("{s:O, s:O, s:O, s:O}", "enabled", json_object_get(s, "enabled"), "title",
                     json_object_get(s, "title"), "greeting", json_object_get(s, "greeting"), "accent_color",
                     json_object_get(s, "accent_color"));
}

static bool color_ok(const char *c)
{
    if (!c || strlen(c) != 7 || c[0] != '#')
        return false;
    for (int i = 1; i < 7; i++)
        if (!isxdigit((unsigned char)c[i]))
            return false;
    return true;
}

/* scheme://host[:port], nothing else: the form of an Origin header. */
static bool origin_ok(const char *o)
{
    size_t n = strlen(o);
    const char *host;
    if (n == 0 || n > SB_WIDGET_ORIGIN_LEN)
        return false;
    if (strncmp(o, "https://", 8) == 0)
        host = o + 8;
    else if (strncmp(o, "http://", 7) == 0)
        host = o + 7;
    else
        return false;
    if (!*host)
        return false;
    for (const char *p = host; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".-:[]", *p))
            return false;
    return true;
}

static bool text_ok(const json_t *v, size_t min, size_t max)
{
    return json_is_string(v) && json_string_length(v) >= min && json_string_length(v) <= max;
}

bool sb_widget_settings_check(const json_t *patch, char *err, size_t errlen)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)patch, key, v)
    {
        if (strcmp(key, "enabled") == 0) {
            if (!json_is_boolean(v))
                return snprintf(err, errlen, "enabled must be true or false"), false;
        } else if (strcmp(key, "title") == 0) {
            if (!text_ok(v, 1, SB_WIDGET_TITLE_MAX))
                return snprintf(err, errlen, "title must be 1 to %d bytes", SB_WIDGET_TITLE_MAX), false;
        } else if (strcmp(key, "greeting") == 0) {
            if (!text_ok(v, 0, SB_WIDGET_GREETING_MAX))
                return snprintf(err, errlen, "greeting must be at most %d bytes", SB_WIDGET_GREETING_MAX), false;
        } else if (strcmp(key, "accent_color") == 0) {
            if (!color_ok(json_string_value(v)))
                return snprintf(err, errlen, "accent_color must be a colour like #2563eb"), false;
        } else if (strcmp(key, "allowed_origins") == 0) {
            if (!json_is_array(v) || json_array_size(v) > SB_WIDGET_ORIGINS_MAX)
                return snprintf(err, errlen, "allowed_origins must be a list of at most %d origins",
                                SB_WIDGET_ORIGINS_MAX), false;
            size_t i;
            json_t *o;
            json_array_foreach(v, i, o)
            {
                if (!json_is_string(o) || !origin_ok(json_string_value(o)))
                    return snprintf(err, errlen, "allowed_origins[%zu] must be an origin like https://www.example.com "
                                    "(scheme, host and port only)", i), false;
            }
        } else if (strcmp(key, "secret") == 0) {
            return snprintf(err, errlen, "secret cannot be set; use POST /api/v1/settings/widget/rotate-secret"), false;
        } else {
            return snprintf(err, errlen, "unknown field %.64s", key), false;
        }
    }
    return true;
}

bool sb_widget_origin_allowed(const json_t *settings, const char *origin, const char *self)
{
    const json_t *list = json_object_get(settings, "allowed_origins");
    if (!origin || json_array_size(list) == 0 || (self && strcasecmp(origin, self) == 0))
        return true;
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        if (strcasecmp(json_string_value(o), origin) == 0)
            return true;
    }
    return false;
}

void sb_widget_user_hash(const char *secret, const char *user_id, char out[65])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)user_id, strlen(user_id));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, 65, mac, sizeof mac);
}

bool sb_widget_user_hash_ok(const char *secret, const char *user_id, const char *user_hash)
{
    if (!secret || !*secret || !user_id || !user_hash || strlen(user_hash) != 64)
        return false;
    char want[65], got[65];
    sb_widget_user_hash(secret, user_id, want);
    for (int i = 0; i < 64; i++)
        got[i] = (char)tolower((unsigned char)user_hash[i]);
    got[64] = '\0';
    return sodium_memcmp(want, got, 64) == 0;
}

/* ---- writer operations ---- */

static void new_secret(json_t *s)
{
    unsigned char raw[32];
    char hex[65];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    sodium_memzero(raw, sizeof raw);
    json_object_set_new(s, "secret", json_string(hex));
}

sb_err sb_widget_settings_tx(sb_db *w, void *arg)
{
    sb_widget_settings_op *op = arg;
    json_t *s = sb_widget_settings_load(w);
    if (op->patch)
        json_object_update_existing(s, op->patch);
    if (op->rotate || !*json_string_value(json_object_get(s, "secret")))
        new_secret(s);
    char *text = json_dumps(s, JSON_COMPACT);
    sb_err err = text ? sb_store_setting_put(w, SETTINGS_KEY, text) : SB_E_INTERNAL;
    free(text);
    if (err != SB_OK) {
        json_decref(s);
        return err;
    }
    op->out = s;
    return SB_OK;
}

static sb_err emit_contact(sb_db *w, const char *type, int64_t contact_id, int64_t now)
{
    json_t *c = sb_store_contact_get(w, contact_id);
    json_t *data = json_pack("{s:o}", "contact", c ? c : json_null());
    sb_event_in ev = {
        .type = type,
        .contact_id = contact_id,
        .actor_type = "contact",
        .actor_id = contact_id,
        .data = data,
        .now = now,
    };
    sb_err err = sb_store_event_append(w, &ev, NULL);
    json_decref(data);
    return err;
}

static sb_err fail(char *errmsg, sb_err err, const char *msg)
{
    snprintf(errmsg, SB_ERRMSG, "%s", msg);
    return err;
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

sb_err sb_widget_session_tx(sb_db *w, void *arg)
{
    sb_widget_session_op *op = arg;
    int64_t now = sb_now();
    sb_err err;
    int64_t verified_contact = op->user_id ? sb_store_contact_find(w, "widget", op->user_id) : 0;
    if (op->has_existing) {
        sb_widget_visitor v;
        if (sb_store_widget_visitor_lookup(w, op->existing, &v) == SB_OK &&
            (!op->user_id || (v.verified && v.contact_id == verified_contact))) {
            op->reused = true;
            op->visitor_id = v.id;
            op->contact_id = v.contact_id;
            op->verified = v.verified;
            return sb_store_widget_visitor_touch(w, v.id, now);
        }
    }
    int64_t contact = verified_contact;
    if (!contact) {
        char fallback[64];
        const char *name = nonempty(op->name);
        if (!name) {
            snprintf(fallback, sizeof fallback, "Visitor %lld", (long long)sb_store_widget_visitor_next_number(w));
            name = fallback;
        }
        /* The email is a lead detail only: no identity, so it matches and merges with nothing. */
        if ((err = sb_store_contact_insert(w, name, nonempty(op->email), NULL, 0, now, &contact)) != SB_OK)
            return fail(op->errmsg, err, "cannot create the contact");
        if (op->user_id && (err = sb_store_identity_add(w, contact, "widget", op->user_id)) != SB_OK)
            return fail(op->errmsg, err, "cannot record the user id");
        if ((err = emit_contact(w, "contact.created", contact, now)) != SB_OK)
            return err;
    }
    op->contact_id = contact;
    op->verified = op->user_id != NULL;
    return sb_store_widget_visitor_insert(w, op->fresh, contact, op->verified, now, &op->visitor_id);
}

sb_err sb_widget_me_tx(sb_db *w, void *arg)
{
    sb_widget_me_op *op = arg;
    int64_t now = sb_now();
    const char *email = nonempty(op->email);
    if (email && op->verified) { /* a signed-in user's email comes from the site, not from the chat */
        json_t *c = sb_store_contact_get(w, op->contact_id);
        if (nonempty(json_string_value(json_object_get(c, "email"))))
            email = NULL;
        json_decref(c);
    }
    sb_err err = sb_store_contact_update(w, op->contact_id, nonempty(op->name), email, NULL, 0, now);
    if (err != SB_OK)
        return fail(op->errmsg, err, "cannot update the contact");
    return emit_contact(w, "contact.updated", op->contact_id, now);
}
