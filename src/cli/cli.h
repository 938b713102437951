/* Command-line subcommands. Each returns the process exit code. */
#ifndef SB_CLI_CLI_H
#define SB_CLI_CLI_H

int sb_cli_serve(int argc, char **argv);
int sb_cli_user(int argc, char **argv);
int sb_cli_token(int argc, char **argv);
int sb_cli_dev(int argc, char **argv);
int sb_cli_mailgate(int argc, char **argv);
int sb_cli_mailbox(int argc, char **argv);
int sb_cli_calendar(int argc, char **argv);

/* Finds "--name value" in argv; NULL when absent. */
const char *sb_cli_opt(int argc, char **argv, const char *name);
int sb_cli_flag(int argc, char **argv, const char *name);
/* Rejects options not in the NULL-terminated list (flags end with no value). */
int sb_cli_check(int argc, char **argv, const char *const *with_value, const char *const *flags);

#endif
