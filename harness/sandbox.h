/*
 * sandbox.h - bubblewrap command lines for what kflake runs on behalf of
 * strangers: QEMU with the guest's curated root, and builds of patch
 * series and fetched trees. Both see a curated view of the host built
 * from bind mounts: the system (/usr, /lib*, /bin, /sbin, a list of
 * /etc files) read-only, plus the paths the caller names; never the
 * home directories, other checkouts, the database or the other trees
 * and kernels in the cache. No network, no capabilities, own /tmp, and
 * killed when kflake dies (--die-with-parent).
 */
#ifndef KFLAKE_SANDBOX_H
#define KFLAKE_SANDBOX_H

#include <stddef.h>

enum sandbox_kind {
	SANDBOX_GUEST,	/* QEMU as an unprivileged uid; the guest's view below */
	SANDBOX_BUILD,	/* make, gcc: /proc, /dev, own /tmp, an environment */
};

struct sandbox_bind {
	char *path;	/* resolved: what is bound */
	char *dest;	/* where: the path as the caller named it */
	int writable;
	int dev;	/* a device node (/dev/kvm) */
	int private;	/* for the sandboxed program, not in a guest's view */
};

struct sandbox_layer {
	char *dir;	/* mounted over itself: lower = dir */
	char *opts;	/* overlay mount options */
};

struct sandbox {
	enum sandbox_kind kind;
	struct sandbox_bind *binds;
	size_t nbinds, alloc;
	struct sandbox_layer *layers;
	size_t nlayers, layers_alloc;
	char **env;		/* SANDBOX_BUILD: the whole environment */
	size_t nenv, env_alloc;
	const char *chdir;
	char **argv;		/* built by sandbox_argv() */
	size_t argc, argv_alloc;
};

void sandbox_init(struct sandbox *sb, enum sandbox_kind kind);
/*
 * Make path visible, read-only or writable, at the place the caller
 * names it (what is bound is path with its links resolved, so a command
 * line naming a cache reached through a link works inside). Returns -1
 * (with an error) when path does not exist.
 */
int sandbox_ro(struct sandbox *sb, const char *path);
int sandbox_rw(struct sandbox *sb, const char *path);
/* SANDBOX_GUEST: for QEMU itself (the kernel, the output share), not the guest. */
int sandbox_private_ro(struct sandbox *sb, const char *path);
int sandbox_private_rw(struct sandbox *sb, const char *path);
int sandbox_dev(struct sandbox *sb, const char *path);
/*
 * A private writable layer over dir (overlayfs; without root, in a user
 * namespace of its own, Linux 5.11 or later): the sandbox
 * writes dir, the writes land in scratch/<name>.upper and the real dir
 * never changes. Also binds dir writable. runcmd must call
 * sandbox_child_setup (child_fn) to mount the layers.
 */
int sandbox_layer(struct sandbox *sb, const char *dir, const char *scratch,
		  const char *name);
/* runcmd child_fn: a private mount namespace holding sb's layers. */
int sandbox_child_setup(void *sb);
/* SANDBOX_BUILD: add "KEY=VALUE" to the (otherwise empty) environment. */
void sandbox_setenv(struct sandbox *sb, const char *kv);
/*
 * The full command line: bwrap, its options, then (for a guest run by
 * root) setpriv dropping to SANDBOX_UID, then cmd. Owned by sb.
 */
const char *const *sandbox_argv(struct sandbox *sb, const char *const *cmd);
void sandbox_release(struct sandbox *sb);

/*
 * Where a guest's view is assembled inside QEMU's sandbox; QEMU exports
 * it as the guest's root over 9p.
 */
#define SANDBOX_GUEST_ROOT "/guest"

/* The uid/gid QEMU runs as when kflake runs as root (nobody/nogroup). */
#define SANDBOX_UID 65534
#define SANDBOX_GID 65534
/* 1 when the guest's QEMU runs as SANDBOX_UID (kflake is root). */
int sandbox_drops_privileges(void);

/* Is bubblewrap installed? (Its absence is a one-line error, not a crash.) */
int sandbox_available(void);

#endif
