/*
 * doctor.h - what a kernel run needs from the machine, checked in about
 * a second with the fix for each problem: the programs of the kernel
 * build, the test payload and the guest (which sees the host's /usr over
 * 9p), QEMU, KVM or why TCG, free disk, the database and the default
 * kernel source. `kflake doctor` prints every check; run, check, bisect
 * and ci call doctor_preflight() first, so a missing tool fails in a
 * second rather than after a 10-minute build.
 */
#ifndef KFLAKE_DOCTOR_H
#define KFLAKE_DOCTOR_H

#include <stddef.h>

/*
 * Free space a cold default run needs in the cache. Measured: a cold
 * `make run` left 2.2 GiB there (the imported tree 1.5 GiB and its git
 * objects 0.5 GiB, the build directory 187 MiB, the image 31 MiB, the
 * payload 2 MiB) and 33 MiB in ccache's own cache; with a margin for
 * other configs' objects and kept logs.
 */
#define DOCTOR_COLD_CACHE_MB 3500

enum doctor_status { DOCTOR_OK, DOCTOR_WARN, DOCTOR_FAIL };

struct doctor_check {
	const char *name;		/* "build programs", "qemu", ... */
	enum doctor_status status;
	char *detail;			/* what was found */
	char *fix;			/* how to fix it; NULL when ok */
};

struct doctor_report {
	struct doctor_check *checks;
	size_t n, alloc;
	char *packages;			/* missing Debian packages, " "-separated */
};

#define DOCTOR_FAST 1		/* only what doctor_preflight checks */
#define DOCTOR_PROBE_KVM 2	/* run the 10 s KVM probe now */
#define DOCTOR_SLURM 4		/* --executor slurm: client and cluster */

/*
 * Run the checks into r. db: the database (NULL: the default); tree:
 * the tree a job will use (NULL: the default linux-source-6.1, whose
 * presence is then checked).
 */
void doctor_run(struct doctor_report *r, const char *db, const char *tree,
		unsigned flags);
/* Worst status of all checks. */
enum doctor_status doctor_worst(const struct doctor_report *r);
/* "apt-get install -y PKG..." (with sudo when not root) or NULL. */
char *doctor_install_line(const struct doctor_report *r);
void doctor_report_release(struct doctor_report *r);
/* Every Debian package the checks ask for, space-separated (malloc'ed). */
char *doctor_packages(void);

/*
 * The fast checks a job needs before it imports a tree or builds: host
 * programs (build, payload), guest tools, QEMU version, free disk in the
 * cache and beside the database db (NULL: the default), and, when tree is NULL (the default tree),
 * that linux-source-6.1 is installed or already imported. Returns 0 when
 * all pass; else prints one "kflake: error:" line per problem, then the
 * apt-get line that fixes them, and returns -1. The caller picks the
 * exit status (check: 128, a harness fault).
 */
int doctor_preflight(const char *tree, const char *db);
/*
 * The same for a job on executor ("local", "slurm"; NULL: local): with
 * "slurm" also the Slurm client programs and a controller that answers
 * with a partition up (sinfo, at most SLURM_PING_TIMEOUT).
 */
int doctor_preflight_for(const char *tree, const char *db,
			 const char *executor);

#endif
