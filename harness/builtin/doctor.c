/*
 * builtin/doctor.c - `kflake doctor`: can this machine run kernels, and
 * if not, what fixes it. The checks live in doctor.c (run, check, bisect
 * and ci share the fast ones); this file prints them.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "builtin.h"
#include "doctor.h"
#include "util.h"

static const char doctor_usage[] =
"usage: kflake doctor [--kvm] [--db PATH] [--executor local|slurm] [--json]\n"
"   or: kflake doctor --packages\n"
"\n"
"Check, in about a second, what a run needs: the programs of the kernel\n"
"build, the test payload and the guest (which uses the host's /usr), the\n"
"QEMU version, KVM (or why TCG is used), free disk in the cache and\n"
"beside the database, that the database can be written and migrated\n"
"(it is created when missing, as a run would), and that the default\n"
"kernel source is there. One line per check, with the fix for each\n"
"problem. Run it first when something is off.\n"
"\n"
"  --kvm        run the 10 s KVM boot probe now, rather than report the\n"
"               cached answer of the last probe on this host boot\n"
"  --db PATH    database to check (default: $KFLAKE_DB or\n"
"               ~/.local/share/kflake/kflake.db)\n"
"  --executor slurm\n"
"               also check the Slurm executor: sbatch, squeue, scancel\n"
"               and sinfo, and that a controller (SLURM_CONF, else\n"
"               /etc/slurm/slurm.conf) answers with a partition up\n"
"  --packages   print the Debian packages the checks look for, one a\n"
"               line (.ci/install-deps installs them all)\n"
"  --json       one JSON object: {\"ok\", \"checks\": [{\"name\", \"status\",\n"
"               \"detail\", \"fix\"}], \"install\"}\n"
"\n"
"Exit status: 0 when a run can work (warnings allowed), 1 when a check\n"
"failed, 2 on bad usage.\n";

static const struct option doctor_options[] = {
	{ "kvm", no_argument, NULL, 'k' },
	{ "db", required_argument, NULL, 'd' },
	{ "json", no_argument, NULL, 'j' },
	{ "packages", no_argument, NULL, 'p' },
	{ "executor", required_argument, NULL, 'e' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char *const status_names[] = { "ok", "warn", "FAIL" };

static void print_json(const struct doctor_report *r, const char *install)
{
	json_t *root = json_object(), *arr = json_array();
	size_t i;

	for (i = 0; i < r->n; i++) {
		const struct doctor_check *c = &r->checks[i];
		json_t *o = json_object();

		json_object_set_new(o, "name", json_string(c->name));
		json_object_set_new(o, "status", json_string(
			c->status == DOCTOR_OK ? "ok" :
			c->status == DOCTOR_WARN ? "warn" : "fail"));
		json_object_set_new(o, "detail", json_string(c->detail));
		json_object_set_new(o, "fix", c->fix ? json_string(c->fix)
						      : json_null());
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "ok",
			    json_boolean(doctor_worst(r) != DOCTOR_FAIL));
	json_object_set_new(root, "checks", arr);
	json_object_set_new(root, "install", install ? json_string(install)
						     : json_null());
	json_dumpf(root, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(root);
}

static void print_lines(const struct doctor_report *r, const char *install)
{
	size_t i, fails = 0;

	for (i = 0; i < r->n; i++) {
		const struct doctor_check *c = &r->checks[i];

		printf("%-5s %s: %s", status_names[c->status], c->name,
		       c->detail);
		if (c->fix)
			printf("; fix: %s", c->fix);
		putchar('\n');
		fails += c->status == DOCTOR_FAIL;
	}
	if (!fails)
		printf("doctor: this machine can run kflake\n");
	else
		printf("doctor: %zu check(s) failed%s%s\n", fails,
		       install ? "; to install what is missing: " : "",
		       install ? install : "");
}

int cmd_doctor(int argc, char **argv)
{
	struct doctor_report r;
	const char *db = NULL;
	unsigned flags = 0;
	int json = 0, packages = 0, c, ret;
	char *install;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", doctor_options, NULL)) != -1) {
		switch (c) {
		case 'k':
			flags |= DOCTOR_PROBE_KVM;
			break;
		case 'd':
			db = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'p':
			packages = 1;
			break;
		case 'e':
			if (!strcmp(optarg, "slurm")) {
				flags |= DOCTOR_SLURM;
			} else if (strcmp(optarg, "local")) {
				error("doctor: --executor %s: not local or "
				      "slurm", optarg);
				return util_usage_error("doctor");
			}
			break;
		case 'h':
			fputs(doctor_usage, stdout);
			return 0;
		default:
			return util_usage_error("doctor");
		}
	}
	if (optind < argc) {
		error("doctor: unexpected argument '%s'", argv[optind]);
		return util_usage_error("doctor");
	}
	if (packages) {
		char *list = doctor_packages(), *p;

		for (p = list; *p; p++)
			putchar(*p == ' ' ? '\n' : *p);
		putchar('\n');
		free(list);
		return 0;
	}
	doctor_run(&r, db, NULL, flags);
	install = doctor_install_line(&r);
	if (json)
		print_json(&r, install);
	else
		print_lines(&r, install);
	ret = doctor_worst(&r) == DOCTOR_FAIL ? KFLAKE_EXIT_FAIL : 0;
	free(install);
	doctor_report_release(&r);
	return ret;
}
