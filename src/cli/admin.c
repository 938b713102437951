/* `switchboard user add` and `switchboard token create`. They write to the same database a
 * running server uses (SQLite WAL lets them). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "http/auth.h"
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
