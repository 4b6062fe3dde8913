/*
 * builtin/serve.c - `kflake serve`: options, then the status pages and
 * JSON API of web.c until SIGINT or SIGTERM.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "util.h"
#include "web.h"

static const char serve_usage[] =
"usage: kflake serve [--listen HOST:PORT] [--allow-host NAME]... [--db PATH]\n"
"                    [--threads N]\n"
"\n"
"Serve the status pages (overview, runs, flakes, test history, crashes,\n"
"series) and their JSON API under /api/ from a read-only view of the\n"
"database, while runs keep writing to it.\n"
"\n"
"  --listen HOST:PORT  numeric address and port (default 127.0.0.1:8080);\n"
"                      port 0 picks a free one. The first line printed is\n"
"                      \"listening on http://HOST:PORT/\". There is no\n"
"                      authentication: keep it on loopback or behind a proxy\n"
"  --allow-host NAME   also answer requests whose Host header is NAME (a\n"
"                      DNS name or address the pages are reached by;\n"
"                      repeatable). Loopback names and the --listen address\n"
"                      are always allowed; any other Host gets 421, so a\n"
"                      web page cannot read the API through DNS rebinding\n"
"  --db PATH           database (default: $KFLAKE_DB or\n"
"                      ~/.local/share/kflake/kflake.db)\n"
"  --threads N         worker threads (default: one per CPU, at least 2)\n"
"\n"
"Exit status: 0 after SIGINT or SIGTERM, 1 when it cannot serve, 2 on bad\n"
"usage.\n";

enum { OPT_LISTEN = 256, OPT_DB, OPT_THREADS, OPT_ALLOW_HOST };

static const struct option serve_options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "db", required_argument, NULL, OPT_DB },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "allow-host", required_argument, NULL, OPT_ALLOW_HOST },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* A Host header value: a DNS name or an address, nothing else. */
static int valid_host_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 253)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789.-:") == n;
}

static int parse_args(int argc, char **argv, struct web_config *cfg,
		      char **host, const char ***hosts, size_t *alloc)
{
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "h", serve_options, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN:
			free(*host);
			*host = NULL;
			if (web_parse_listen(optarg, host, &cfg->port))
				return KFLAKE_EXIT_USAGE;
			cfg->host = *host;
			break;
		case OPT_DB:
			cfg->db_path = optarg;
			break;
		case OPT_THREADS:
			if (util_parse_int(optarg, 1, 64, &v)) {
				error("--threads %s: expected 1..64", optarg);
				return KFLAKE_EXIT_USAGE;
			}
			cfg->threads = (int)v;
			break;
		case OPT_ALLOW_HOST:
			if (!valid_host_name(optarg)) {
				error("--allow-host '%s': expected a host name "
				      "or address (no port)", optarg);
				return KFLAKE_EXIT_USAGE;
			}
			ALLOC_GROW(*hosts, cfg->nallow_hosts, *alloc);
			(*hosts)[cfg->nallow_hosts++] = optarg;
			cfg->allow_hosts = *hosts;
			break;
		case 'h':
			fputs(serve_usage, stdout);
			return -1;
		default:
			return util_usage_error("serve");
		}
	}
	if (optind < argc) {
		error("serve: unexpected argument '%s'", argv[optind]);
		return KFLAKE_EXIT_USAGE;
	}
	return 0;
}

static int is_loopback(const char *host)
{
	return !strncmp(host, "127.", 4) || !strcmp(host, "::1");
}

int cmd_serve(int argc, char **argv)
{
	struct web_config cfg = { .host = "127.0.0.1", .port = 8080 };
	const char **hosts = NULL;
	struct web_server *srv;
	char *host = NULL;
	size_t alloc = 0;
	sigset_t set;
	int ret, sig;

	ret = parse_args(argc, argv, &cfg, &host, &hosts, &alloc);
	if (ret) {
		free(host);
		free(hosts);
		return ret < 0 ? KFLAKE_EXIT_OK : ret;
	}
	if (!is_loopback(cfg.host))
		warning("serve: listening on %s; the pages have no "
			"authentication", cfg.host);
	/* Block before the server's threads exist so they inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	srv = web_start(&cfg);
	free(hosts);
	if (!srv) {
		free(host);
		return KFLAKE_EXIT_FAIL;
	}
	if (strchr(cfg.host, ':'))
		printf("listening on http://[%s]:%d/\n", cfg.host,
		       web_port(srv));
	else
		printf("listening on http://%s:%d/\n", cfg.host, web_port(srv));
	fflush(stdout);
	sigwait(&set, &sig);
	info("serve: %s, stopping", strsignal(sig));
	web_stop(srv);
	free(host);
	return KFLAKE_EXIT_OK;
}
