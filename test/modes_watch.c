/*
 * modes_watch.c: watch a FreeSWITCH cert dir while fscert installs into
 * it, and check what a reader could see at every observed instant.
 *
 * usage: modes_watch -m MODE [-g GID] [-a REFDIR_A -b REFDIR_B] CERTDIR
 *
 * Watches CERTDIR and CERTDIR/.fscert/prev with inotify.  On every
 * IN_CREATE, IN_ATTRIB, IN_MODIFY, IN_CLOSE_WRITE and IN_MOVED_TO event
 * for a file it lstat()s the file and records its mode (one
 * "observation"):
 *   - a key-bearing file (agent.pem, wss.pem, or their temp files
 *     .agent.pem.*.tmp, .wss.pem.*.tmp) must never have group or other
 *     bits beyond MODE (0600, or 0640), and when it has group bits its
 *     group must be GID (-g);
 *   - cafile.pem and its temp files must never be writable by group or
 *     others, nor executable (at most 0644).
 * Besides, after each batch of events and whenever 1 ms passes without
 * one, it "samples" agent.pem, cafile.pem and wss.pem of both
 * directories as a reader (FreeSWITCH) would: each must exist (none is
 * ever deleted), have a mode as above, and, with -a/-b, hold exactly the
 * bytes of REFDIR_A's or REFDIR_B's file of the same name (the file of
 * a clean install of lineage A or B: complete, never half-written).
 * The same content check is made when one of the three is renamed into
 * place (IN_MOVED_TO).  IN_DELETE or IN_MOVED_FROM of one of the three
 * is a violation too.
 *
 * Prints "ready" once the watches are set, and runs until SIGTERM or
 * SIGINT; then drains the queued events and prints one summary line:
 *   "observations N (E on events, the rest in S samples; key-bearing K,
 *    T of them temp files: 0600 xA 0640 xB), content checks C,
 *    vanished V, violations X"
 * (vanished: a temp file renamed before its event was read).
 * with one "violation: ..." line before it for each of the first 50.
 * Exits 0 when there was no violation, 1 when there was, 2 on usage or
 * setup errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define NDIRS 2 /* CERTDIR, CERTDIR/.fscert/prev */
#define NFILES 3
#define REF_MAX (256 * 1024)
#define SHOW_MAX 50

static const char *const files[NFILES] = {
	"agent.pem",
	"cafile.pem",
	"wss.pem",
};

struct ref {
	unsigned char *data;
	size_t len;
};

static volatile sig_atomic_t stop;

static mode_t key_max = 0600; /* -m */
static long want_gid = -1; /* -g */
static struct ref refs[2][NFILES]; /* -a, -b */
static int have_refs;
static char dirs[NDIRS][PATH_MAX];
static int dirfds[NDIRS] = { -1, -1 };
static int wds[NDIRS] = { -1, -1 };

static unsigned long n_events, n_obs, n_key, n_temp, n_samples, n_content;
static unsigned long n_gone, n_viol;
static unsigned long n_overflow;
static unsigned long mode_seen[01000]; /* key-bearing modes seen */

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
violation(const char *fmt, ...)
{
	va_list ap;

	n_viol++;
	if (n_viol > SHOW_MAX)
		return;
	printf("violation: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Which of the three files name is or is a temp file of: index, or -1. */
static int
file_of(const char *name, int *is_temp)
{
	char pat[64];
	int i;

	*is_temp = 0;
	for (i = 0; i < NFILES; i++) {
		if (strcmp(name, files[i]) == 0)
			return i;
		(void)snprintf(pat, sizeof(pat), ".%s.*.tmp", files[i]);
		if (fnmatch(pat, name, FNM_PERIOD) == 0) {
			*is_temp = 1;
			return i;
		}
	}
	return -1;
}

static int
key_bearing(int f)
{
	return f == 0 || f == 2; /* agent.pem, wss.pem */
}

/* Check the mode of dir d's entry name (file f), as lstat gave it. */
static void
check_mode(
    int d, const char *name, int f, const struct stat *st, const char *when)
{
	mode_t m = st->st_mode & 07777;

	if (f < 0)
		return;
	if (!S_ISREG(st->st_mode))
		violation(
		    "%s/%s: not a regular file (%s)", dirs[d], name, when);
	if (key_bearing(f)) {
		n_key++;
		if (name[0] == '.')
			n_temp++;
		mode_seen[m & 0777]++;
		if ((m & ~key_max) != 0)
			violation("%s/%s: mode %04o, more open than %04o (%s)",
			    dirs[d], name, (unsigned)m, (unsigned)key_max,
			    when);
		if ((m & 070) != 0 && want_gid != -1 &&
		    (long)st->st_gid != want_gid)
			violation("%s/%s: mode %04o with group %ld, not %ld "
				  "(%s)",
			    dirs[d], name, (unsigned)m, (long)st->st_gid,
			    want_gid, when);
		if ((m & 070) != 0 && want_gid == -1)
			violation("%s/%s: mode %04o: group bits without a "
				  "configured group (%s)",
			    dirs[d], name, (unsigned)m, when);
	} else if ((m & ~(mode_t)0644) != 0) {
		violation("%s/%s: mode %04o, more open than 0644 (%s)", dirs[d],
		    name, (unsigned)m, when);
	}
}

/* Read at most REF_MAX bytes of the open fd into a new buffer. */
static int
read_all(int fd, unsigned char **out, size_t *len)
{
	unsigned char *b;
	size_t have = 0;
	ssize_t n;

	if ((b = malloc(REF_MAX + 1)) == NULL)
		return -1;
	for (;;) {
		n = read(fd, b + have, REF_MAX + 1 - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(b);
			return -1;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > REF_MAX) {
			free(b);
			errno = EFBIG;
			return -1;
		}
	}
	*out = b;
	*len = have;
	return 0;
}

/*
 * Open dir d's file f as a reader would and check its mode (on the open
 * file: the inode read) and, with references, its bytes.
 */
static void
check_file(int d, int f, const char *when)
{
	unsigned char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int fd, r;

	fd = openat(dirfds[d], files[f], O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			violation(
			    "%s/%s: missing (%s)", dirs[d], files[f], when);
		else
			violation("%s/%s: open: %s (%s)", dirs[d], files[f],
			    strerror(errno), when);
		return;
	}
	if (fstat(fd, &st) == 0) {
		n_obs++;
		check_mode(d, files[f], f, &st, when);
	}
	if (!have_refs) {
		(void)close(fd);
		return;
	}
	if (read_all(fd, &buf, &len) == -1) {
		violation("%s/%s: read: %s (%s)", dirs[d], files[f],
		    strerror(errno), when);
		(void)close(fd);
		return;
	}
	(void)close(fd);
	n_content++;
	for (r = 0; r < 2; r++)
		if (len == refs[r][f].len &&
		    memcmp(buf, refs[r][f].data, len) == 0)
			break;
	if (r == 2)
		violation("%s/%s: %zu bytes, neither lineage A's nor B's "
			  "version (%s)",
		    dirs[d], files[f], len, when);
	free(buf);
}

static void
sample(void)
{
	int d, f;

	n_samples++;
	for (d = 0; d < NDIRS; d++)
		for (f = 0; f < NFILES; f++)
			check_file(d, f, "sample");
}

static void
handle(const struct inotify_event *ev)
{
	struct stat st;
	char when[64];
	int d, f, tmp;

	if (ev->mask & IN_Q_OVERFLOW) {
		n_overflow++;
		return;
	}
	if (ev->len == 0 || (ev->mask & IN_ISDIR))
		return;
	for (d = 0; d < NDIRS; d++)
		if (wds[d] == ev->wd)
			break;
	if (d == NDIRS)
		return;
	f = file_of(ev->name, &tmp);
	if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
		if (f >= 0 && !tmp)
			violation("%s/%s: %s", dirs[d], ev->name,
			    (ev->mask & IN_DELETE) ? "deleted" : "moved away");
		return;
	}
	(void)snprintf(when, sizeof(when), "on %s",
	    (ev->mask & IN_CREATE)            ? "IN_CREATE"
		: (ev->mask & IN_ATTRIB)      ? "IN_ATTRIB"
		: (ev->mask & IN_MODIFY)      ? "IN_MODIFY"
		: (ev->mask & IN_CLOSE_WRITE) ? "IN_CLOSE_WRITE"
		: (ev->mask & IN_MOVED_TO)    ? "IN_MOVED_TO"
					      : "event");
	if (fstatat(dirfds[d], ev->name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		/* A temp file already renamed into place: nothing to see. */
		n_gone++;
		return;
	}
	n_events++;
	n_obs++;
	check_mode(d, ev->name, f, &st, when);
	if (f >= 0 && !tmp && (ev->mask & IN_MOVED_TO))
		check_file(d, f, when);
}

/* Drain what the inotify fd holds now; returns the number of events. */
static int
drain(int in)
{
	_Alignas(struct inotify_event) char buf[64 * 1024];
	const struct inotify_event *ev;
	ssize_t n;
	char *p;
	int count = 0;

	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return count;
		for (p = buf; p < buf + n;
		     p += sizeof(struct inotify_event) + ev->len) {
			ev = (const struct inotify_event *)(void *)p;
			handle(ev);
			count++;
		}
	}
}

static int
load_ref(const char *dir, int r)
{
	char path[PATH_MAX];
	int f, fd;

	for (f = 0; f < NFILES; f++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, files[f]);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
		    read_all(fd, &refs[r][f].data, &refs[r][f].len) == -1) {
			fprintf(stderr, "modes_watch: %s: %s\n", path,
			    strerror(errno));
			return -1;
		}
		(void)close(fd);
	}
	return 0;
}

static int
usage(void)
{
	fprintf(stderr,
	    "usage: modes_watch -m MODE [-g GID] "
	    "[-a REFDIR_A -b REFDIR_B] CERTDIR\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const uint32_t mask = IN_CREATE | IN_ATTRIB | IN_MODIFY |
	    IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE;
	const char *ref_a = NULL, *ref_b = NULL;
	struct sigaction sa;
	struct pollfd pfd;
	char *end;
	int c, d, in, i;

	while ((c = getopt(argc, argv, "a:b:g:m:")) != -1) {
		switch (c) {
		case 'a':
			ref_a = optarg;
			break;
		case 'b':
			ref_b = optarg;
			break;
		case 'g':
			want_gid = strtol(optarg, &end, 10);
			if (*end != '\0' || want_gid < 0)
				return usage();
			break;
		case 'm':
			key_max = (mode_t)strtol(optarg, &end, 8);
			if (*end != '\0' ||
			    (key_max != 0600 && key_max != 0640))
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (optind + 1 != argc || (ref_a == NULL) != (ref_b == NULL))
		return usage();
	if (ref_a != NULL) {
		if (load_ref(ref_a, 0) == -1 || load_ref(ref_b, 1) == -1)
			return 2;
		have_refs = 1;
	}
	(void)snprintf(dirs[0], sizeof(dirs[0]), "%s", argv[optind]);
	(void)snprintf(
	    dirs[1], sizeof(dirs[1]), "%s/.fscert/prev", argv[optind]);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: poll returns EINTR and the loop ends. */
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1) {
		perror("modes_watch: sigaction");
		return 2;
	}

	if ((in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1) {
		perror("modes_watch: inotify_init1");
		return 2;
	}
	for (d = 0; d < NDIRS; d++) {
		dirfds[d] = open(dirs[d], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfds[d] == -1 ||
		    (wds[d] = inotify_add_watch(in, dirs[d], mask)) == -1) {
			fprintf(stderr, "modes_watch: %s: %s\n", dirs[d],
			    strerror(errno));
			return 2;
		}
	}
	printf("ready\n");
	fflush(stdout);

	pfd.fd = in;
	pfd.events = POLLIN;
	while (!stop) {
		if (poll(&pfd, 1, 1) == -1 && errno != EINTR) {
			perror("modes_watch: poll");
			return 2;
		}
		(void)drain(in);
		sample();
	}
	/* The runs are over: what is queued still counts. */
	(void)drain(in);
	sample();

	if (n_overflow > 0)
		violation("inotify queue overflowed %lu times: events lost",
		    n_overflow);
	if (n_viol > SHOW_MAX)
		printf("(%lu more violations not shown)\n", n_viol - SHOW_MAX);
	printf("observations %lu (%lu on events, the rest in %lu samples; "
	       "key-bearing %lu, %lu of them temp files:",
	    n_obs, n_events, n_samples, n_key, n_temp);
	for (i = 0; i < 01000; i++)
		if (mode_seen[i] > 0)
			printf(" %04o x%lu", (unsigned)i, mode_seen[i]);
	printf("), content checks %lu, vanished %lu, violations %lu\n",
	    n_content, n_gone, n_viol);
	return n_viol > 0 ? 1 : 0;
}
