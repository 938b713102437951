/* `switchboard user add` and `switchboard token create`. They write to the same database a
 * running server uses (SQLite WAL lets them). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "http/auth.h"
#include "service/internal.h"
#include "service/service.h"
#include "util/log.h"

static sb_store *open_store(const char *data)
{
    char err[512];
    sb_store *st = NULL;
    if (sodium_init() < 0) {
        fprintf(stderr, "switchboard: libsodium failed to initialise\n");
        return NULL;
    }
    sb_log_level = SB_LOG_WARN;
    if (sb_store_open(data, &st, err, sizeof err) < 0) {
        fprintf(stderr, "switchboard: %s\n", err);
        return NULL;
    }
    return st;
}

static char *read_password(void)
{
    char buf[1100];
    if (!fgets(buf, sizeof buf, stdin)) {
        fprintf(stderr, "switchboard user add: no password on standard input\n");
        return NULL;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    if (strlen(buf) < 8) {
        fprintf(stderr, "switchboard user add: the password must have at least 8 characters\n");
        return NULL;
    }
    char *hash = sb_auth_hash_password(buf);
    sodium_memzero(buf, sizeof buf);
    return hash;
}

int sb_cli_user(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "add") != 0) {
        fprintf(stderr, "usage: switchboard user add --data DIR --email E --name N --role ROLE [--password-stdin]\n");
        return 2;
    }
    static const char *const with_value[] = {"--data", "--email", "--name", "--role", NULL};
    static const char *const flags[] = {"--password-stdin", NULL};
    argc--, argv++;
    if (sb_cli_check(argc, argv, with_value, flags) < 0)
        return 2;
    const char *data = sb_cli_opt(argc, argv, "--data"), *email = sb_cli_opt(argc, argv, "--email"),
               *name = sb_cli_opt(argc, argv, "--name"), *role = sb_cli_opt(argc, argv, "--role");
    if (!data || !email || !name || !role) {
        fprintf(stderr, "switchboard user add: --data, --email, --name and --role are required\n");
        return 2;
    }
    if (sb_role_parse(role) < 0) {
        fprintf(stderr, "switchboard user add: --role must be admin, supervisor, agent or trainee\n");
        return 2;
    }
    const char *at = strchr(email, '@');
    if (!at || at == email || !at[1] || strlen(email) > 254) {
        fprintf(stderr, "switchboard user add: --email must be an email address\n");
        return 2;
    }
    if (!*name || strlen(name) > 200) {
        fprintf(stderr, "switchboard user add: --name must be 1 to 200 bytes\n");
        return 2;
    }
    char *hash = NULL;
    if (sb_cli_flag(argc, argv, "--password-stdin") && !(hash = read_password()))
        return 1;
    sb_store *st = open_store(data);
    if (!st) {
        free(hash);
        return 1;
    }
    json_t *fields = json_pack("{s:s, s:s, s:s}", "email", email, "name", name, "role", role);
    sb_entity_op op = {
        .actor = {"system", 0},
        .entity = SB_ENT_AGENT,
        .kind = SB_OP_CREATE,
        .fields = fields,
        .password_hash = hash,
    };
    sb_err err = sb_store_write(st, sb_svc_entity_write, &op);
    json_decref(fields);
    free(hash);
    sb_store_close(st);
    if (err != SB_OK) {
        fprintf(stderr, "switchboard user add: %s\n", op.errmsg[0] ? op.errmsg : sb_err_lookup(err)->default_message);
        return 1;
    }
    printf("agent %lld %s %s\n", (long long)op.id, email, role);
    return 0;
}

int sb_cli_token(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "create") != 0) {
        fprintf(stderr, "usage: switchboard token create --data DIR --email E [--scope all|read]\n");
        return 2;
    }
    static const char *const with_value[] = {"--data", "--email", "--scope", NULL};
    argc--, argv++;
    if (sb_cli_check(argc, argv, with_value, NULL) < 0)
        return 2;
    const char *data = sb_cli_opt(argc, argv, "--data"), *email = sb_cli_opt(argc, argv, "--email"),
               *scope = sb_cli_opt(argc, argv, "--scope");
    if (!data || !email) {
        fprintf(stderr, "switchboard token create: --data and --email are required\n");
        return 2;
    }
    if (scope && strcmp(scope, "all") != 0 && strcmp(scope, "read") != 0) {
        fprintf(stderr, "switchboard token create: --scope must be all or read\n");
        return 2;
    }
    sb_store *st = open_store(data);
    if (!st)
        return 1;
    int64_t id = 0;
    sb_role role;
    bool active = false;
    char *pw = NULL;
    sb_err err = sb_store_agent_credentials(sb_store_reader(st), email, &id, &role, &active, &pw);
    free(pw);
    if (err != SB_OK || !active) {
        fprintf(stderr, "switchboard token create: no active agent with email %s\n", email);
        sb_store_close(st);
        return 1;
    }
    char token[64];
    sb_token_op op = {.agent_id = id, .scope = scope ? scope : "all"};
    sb_auth_new_secret(SB_TOKEN_PREFIX, token, op.hash);
    err = sb_store_write(st, sb_svc_token_create, &op);
    sb_store_close(st);
    if (err != SB_OK) {
        fprintf(stderr, "switchboard token create: %s\n", sb_err_lookup(err)->default_message);
        return 1;
    }
    printf("%s\n", token);
    return 0;
}

static char *stdin_line(const char *what)
{
    char buf[600];
    if (!fgets(buf, sizeof buf, stdin)) {
        fprintf(stderr, "switchboard mailbox add: no %s on standard input\n", what);
        return NULL;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return strdup(buf);
}

typedef struct {
    json_t *fields;
    int64_t id;
    char errmsg[SB_ERRMSG];
} cli_mailbox_op;

static sb_err cli_mailbox_write(sb_db *w, void *arg)
{
    cli_mailbox_op *op = arg;
    json_t *team = json_object_get(op->fields, "team");
    if (team) {
        /* --team takes a team's name or id. */
        json_t *teams = sb_store_team_list(w);
        size_t i;
        json_t *t;
        int64_t found = 0;
        json_array_foreach(teams, i, t)
        {
            const char *name = json_string_value(json_object_get(t, "name"));
            char idtext[32];
            snprintf(idtext, sizeof idtext, "%lld", (long long)json_integer_value(json_object_get(t, "id")));
            if (strcasecmp(name, json_string_value(team)) == 0 || strcmp(idtext, json_string_value(team)) == 0)
                found = json_integer_value(json_object_get(t, "id"));
        }
        json_decref(teams);
        if (!found)
            return sb_svc_fail(op->errmsg, SB_E_VALIDATION, "no team %s", json_string_value(team));
        json_object_set_new(op->fields, "team_id", json_integer(found));
    }
    int64_t now = sb_now();
    sb_err err = sb_store_mailbox_insert(w, op->fields, now, &op->id);
    if (err == SB_E_CONFLICT)
        return sb_svc_fail(op->errmsg, err, "the mailbox %s exists", json_string_value(json_object_get(op->fields, "address")));
    if (err == SB_OK && json_object_get(op->fields, "imap_url")) {
        char key[48];
        snprintf(key, sizeof key, "imap.poll:%lld", (long long)op->id);
        json_t *payload = json_pack("{s:I}", "mailbox_id", (json_int_t)op->id);
        err = sb_store_job_enqueue(w, "imap.poll", payload, now, 1000000, key, now, NULL);
        json_decref(payload);
    }
    return err;
}

int sb_cli_mailbox(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "add") != 0) {
        fprintf(stderr, "usage: switchboard mailbox add --data DIR --address A [--name N] [--team T] [--smtp URL]\n"
                        "       [--smtp-user U --smtp-password-stdin] [--imap URL --imap-user U --imap-password-stdin]\n");
        return 2;
    }
    static const char *const with_value[] = {"--data", "--address", "--name", "--team", "--smtp", "--smtp-user",
                                             "--imap", "--imap-user", "--poll", NULL};
    static const char *const flags[] = {"--smtp-password-stdin", "--imap-password-stdin", NULL};
    argc--, argv++;
    if (sb_cli_check(argc, argv, with_value, flags) < 0)
        return 2;
    const char *data = sb_cli_opt(argc, argv, "--data"), *address = sb_cli_opt(argc, argv, "--address");
    if (!data || !address || !strchr(address, '@') || strpbrk(address, " <>\"+,;")) {
        fprintf(stderr, "switchboard mailbox add: --data and a plain --address are required\n");
        return 2;
    }
    const char *smtp = sb_cli_opt(argc, argv, "--smtp"), *imap = sb_cli_opt(argc, argv, "--imap");
    if (smtp && strncmp(smtp, "smtp://", 7) != 0 && strncmp(smtp, "smtps://", 8) != 0) {
        fprintf(stderr, "switchboard mailbox add: --smtp must be smtp://HOST:PORT or smtps://HOST:PORT\n");
        return 2;
    }
    if (imap && strncmp(imap, "imap://", 7) != 0 && strncmp(imap, "imaps://", 8) != 0) {
        fprintf(stderr, "switchboard mailbox add: --imap must be imap://HOST:PORT/FOLDER or imaps://...\n");
        return 2;
    }
    json_t *f = json_pack("{s:s}", "address", address);
    const char *pairs[][2] = {{"--name", "name"}, {"--team", "team"}, {"--smtp", "smtp_url"},
                              {"--smtp-user", "smtp_user"}, {"--imap", "imap_url"}, {"--imap-user", "imap_user"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        const char *v = sb_cli_opt(argc, argv, pairs[i][0]);
        if (v)
            json_object_set_new(f, pairs[i][1], json_string(v));
    }
    const char *poll = sb_cli_opt(argc, argv, "--poll");
    if (poll)
        json_object_set_new(f, "imap_poll_seconds", json_integer(atoi(poll) > 0 ? atoi(poll) : 60));
    if (sb_cli_flag(argc, argv, "--smtp-password-stdin")) {
        char *pw = stdin_line("SMTP password");
        if (!pw) {
            json_decref(f);
            return 1;
        }
        json_object_set_new(f, "smtp_password", json_string(pw));
        free(pw);
    }
    if (sb_cli_flag(argc, argv, "--imap-password-stdin")) {
        char *pw = stdin_line("IMAP password");
        if (!pw) {
            json_decref(f);
            return 1;
        }
        json_object_set_new(f, "imap_password", json_string(pw));
        free(pw);
    }
    sb_store *st = open_store(data);
    if (!st) {
        json_decref(f);
        return 1;
    }
    cli_mailbox_op op = {.fields = f};
    sb_err err = sb_store_write(st, cli_mailbox_write, &op);
    sb_store_close(st);
    json_decref(f);
    if (err != SB_OK) {
        fprintf(stderr, "switchboard mailbox add: %s\n", op.errmsg[0] ? op.errmsg : sb_err_lookup(err)->default_message);
        return 1;
    }
    printf("mailbox %lld %s\n", (long long)op.id, address);
    return 0;
}
