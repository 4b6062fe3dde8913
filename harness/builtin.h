/*
 * builtin.h - the subcommands, one per file in harness/builtin/, each
 * with its usage text beside its code.
 */
#ifndef KFLAKE_BUILTIN_H
#define KFLAKE_BUILTIN_H

struct builtin {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

int cmd_run(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_bisect(int argc, char **argv);
int cmd_bisects(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_series(int argc, char **argv);
int cmd_poll(int argc, char **argv);
int cmd_ci(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_alert(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_tally(int argc, char **argv);
int cmd_worker(int argc, char **argv);

#endif
