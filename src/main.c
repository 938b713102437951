/* switchboard: the customer-support server and its administration commands. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *f)
{
    fputs("usage:\n"
          "  switchboard serve --data DIR --listen HOST:PORT [--max-body BYTES] [--max-email BYTES] [--threads N]\n"
          "                    [--conn-limit N] [--conn-timeout SECONDS] [--secure-cookies]\n"
          "  switchboard user add --data DIR --email E --name N --role admin|supervisor|agent|trainee\n"
          "                    [--password-stdin]\n"
          "  switchboard token create --data DIR --email E [--scope all|read]\n"
          "  switchboard mailbox add --data DIR --address A [--name N] [--team T] [--smtp smtp://HOST:PORT]\n"
          "                    [--smtp-user U --smtp-password-stdin] [--imap imap://HOST:PORT/FOLDER --imap-user U\n"
          "                    --imap-password-stdin] [--poll SECONDS]\n"
          "  switchboard mailgate --url URL --token T [--mailbox ADDRESS] < message\n"
          "  switchboard calendar due --calendar FILE --from T --minutes N\n"
          "  switchboard calendar between --calendar FILE --from A --to B\n"
          "  switchboard calendar check --calendar FILE\n"
          "  switchboard dev seed --data DIR --conversations N --messages M   (benchmarks only)\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return sb_cli_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "user") == 0)
        return sb_cli_user(argc - 2, argv + 2);
    if (strcmp(cmd, "token") == 0)
        return sb_cli_token(argc - 2, argv + 2);
    if (strcmp(cmd, "mailgate") == 0)
        return sb_cli_mailgate(argc - 2, argv + 2);
    if (strcmp(cmd, "mailbox") == 0)
        return sb_cli_mailbox(argc - 2, argv + 2);
    if (strcmp(cmd, "dev") == 0)
        return sb_cli_dev(argc - 2, argv + 2);
    if (strcmp(cmd, "calendar") == 0)
        return sb_cli_calendar(argc - 2, argv + 2);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "switchboard: unknown command \"%s\"\n", cmd);
    usage(stderr);
    return 2;
}
