/* `switchboard serve`: wires store, hub, metrics and HTTP together and waits for a signal. */
#include <signal.h>
#include <sys/resource.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "api/api.h"
#include "channels/email/mime.h"
#include "channels/widget/widget.h"
#include "cli/cli.h"
#include "jobs/runner.h"
#include "service/service.h"
#include "http/auth.h"
#include "http/http.h"
#include "http/metrics.h"
#include "realtime/hub.h"
#include "util/log.h"

static int parse_listen(const char *s, sb_http_config *cfg)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s)
        return -1;
    size_t hlen = (size_t)(colon - s);
    if (s[0] == '[' && hlen >= 2 && s[hlen - 1] == ']') { /* [::1]:8080 */
        s++;
        hlen -= 2;
    }
    if (hlen >= sizeof cfg->listen_host)
        return -1;
    memcpy(cfg->listen_host, s, hlen);
    cfg->listen_host[hlen] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return -1;
    cfg->port = (unsigned short)port;
    return 0;
}

static long num_opt(int argc, char **argv, const char *name, long def, long min, long max)
{
    const char *v = sb_cli_opt(argc, argv, name);
    if (!v)
        return def;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < min || n > max) {
        fprintf(stderr, "switchboard: %s must be a number from %ld to %ld\n", name, min, max);
        exit(2);
    }
    return n;
}

/* After every commit: events to the streams, and a nudge to the job runner. */
static void on_commit(void *ctx, sb_db *w, const sb_event *events, size_t n)
{
    sb_app *app = ctx;
    sb_hub_publish(app->hub, w, events, n);
    if (n)
        sb_jobs_wake(app->jobs);
}

int sb_cli_serve(int argc, char **argv)
{
    static const char *const with_value[] = {"--data", "--listen", "--max-body", "--max-email", "--threads",
                                             "--conn-limit", "--conn-timeout", "--heartbeat", "--session-hours",
                                             "--job-backoff-ms", "--job-threads", "--trusted-proxy", "--streams-per-agent", NULL};
    static const char *const flags[] = {"--secure-cookies", "--quiet", "--test-clock", NULL};
    if (sb_cli_check(argc, argv, with_value, flags) < 0)
        return 2;
    const char *data = sb_cli_opt(argc, argv, "--data");
    const char *listen = sb_cli_opt(argc, argv, "--listen");
    if (!data || !listen) {
        fprintf(stderr, "switchboard serve: --data DIR and --listen HOST:PORT are required\n");
        return 2;
    }
    sb_app app;
    memset(&app, 0, sizeof app);
    if (parse_listen(listen, &app.cfg) < 0) {
        fprintf(stderr, "switchboard serve: --listen wants HOST:PORT, got \"%s\"\n", listen);
        return 2;
    }
    app.cfg.max_body = (size_t)num_opt(argc, argv, "--max-body", 1 << 20, 1024, 1L << 30);
    app.cfg.max_email = (size_t)num_opt(argc, argv, "--max-email", 30L << 20, 4096, 1L << 30);
    sb_jobs_config jobs_cfg = {
        .threads = (unsigned)num_opt(argc, argv, "--job-threads", 2, 1, 8),
        .backoff_base_ms = (unsigned)num_opt(argc, argv, "--job-backoff-ms", 5000, 10, 3600 * 1000),
    };
    app.cfg.threads = (unsigned)num_opt(argc, argv, "--threads", 0, 0, 256);
    app.cfg.conn_limit = (unsigned)num_opt(argc, argv, "--conn-limit", 20000, 16, 1000000);
    app.cfg.conn_timeout = (unsigned)num_opt(argc, argv, "--conn-timeout", 120, 1, 86400);
    app.cfg.session_hours = (int)num_opt(argc, argv, "--session-hours", 12, 1, 24 * 90);
    app.cfg.secure_cookies = sb_cli_flag(argc, argv, "--secure-cookies");
    const char *proxy = sb_cli_opt(argc, argv, "--trusted-proxy");
    if (proxy)
        snprintf(app.cfg.trusted_proxy, sizeof app.cfg.trusted_proxy, "%s", proxy);
    unsigned heartbeat = (unsigned)num_opt(argc, argv, "--heartbeat", 20, 1, 3600);
    if (sb_cli_flag(argc, argv, "--test-clock")) {
        sb_clock_enable_test();
        fprintf(stderr, "switchboard serve: --test-clock: the clock can be set over HTTP (tests only)\n");
    }
    if (sb_cli_flag(argc, argv, "--quiet"))
        sb_log_level = SB_LOG_WARN;

    if (sodium_init() < 0) {
        fprintf(stderr, "switchboard serve: libsodium failed to initialise\n");
        return 1;
    }
    /* Thousands of idle event streams need as many descriptors. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    /* Every thread inherits this mask; the main thread takes the signals with sigwait. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    sb_mime_init();
    char err[512];
    if (sb_store_open(data, &app.store, err, sizeof err) < 0) {
        fprintf(stderr, "switchboard serve: %s\n", err);
        return 1;
    }
    if (sb_store_write(app.store, sb_svc_init_keys, NULL) != SB_OK) {
        fprintf(stderr, "switchboard serve: cannot create the installation keys\n");
        sb_store_close(app.store);
        return 1;
    }
    unsigned per_agent = (unsigned)num_opt(argc, argv, "--streams-per-agent", 32, 1, 1000000);
    app.hub = sb_hub_new(app.store, heartbeat, per_agent);
    app.metrics = sb_metrics_new(sb_route_count);
    app.login_limit = sb_ratelimit_new(10, 15 * 60);
    app.webform_limit = sb_ratelimit_new(SB_WEBFORM_PER_IP, SB_WEBFORM_WINDOW_S);
    app.widget_limit = sb_ratelimit_new(SB_WIDGET_SESSIONS_PER_IP, SB_WIDGET_SESSIONS_WINDOW_S);
    if (!app.hub || !app.metrics || !app.login_limit || !app.webform_limit || !app.widget_limit) {
        fprintf(stderr, "switchboard serve: out of memory\n");
        return 1;
    }
    sb_store_set_commit_hook(app.store, on_commit, &app);
    app.jobs = sb_jobs_start(app.store, &jobs_cfg);
    if (sb_http_start(&app, err, sizeof err) < 0) {
        fprintf(stderr, "switchboard serve: %s\n", err);
        sb_jobs_stop(app.jobs);
        app.jobs = NULL;
        sb_store_set_commit_hook(app.store, NULL, NULL);
        sb_hub_free(app.hub);
        sb_store_close(app.store);
        return 1;
    }
    sb_info("msg=\"listening\" url=\"http://%s:%u\" data=\"%s\"", app.cfg.listen_host, app.cfg.port, data);
    int sig = 0;
    while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
        sb_info("msg=\"SIGHUP ignored\"");
    sb_info("msg=\"shutting down\" signal=%d", sig);
    sb_http_stop(&app);
    sb_jobs_stop(app.jobs);
    app.jobs = NULL;
    sb_store_set_commit_hook(app.store, NULL, NULL);
    sb_hub_free(app.hub);
    sb_store_close(app.store);
    sb_metrics_free(app.metrics);
    sb_ratelimit_free(app.login_limit);
    sb_ratelimit_free(app.webform_limit);
    sb_ratelimit_free(app.widget_limit);
    curl_global_cleanup();
    sb_info("msg=\"stopped\"");
    return 0;
}
