/*
 * test_outbox: the channel dispatcher and the outbox backend, on real
 * directories under $TMPDIR: what files appear and what they hold, that a
 * second send delivers nothing, that a crash between the two files of a
 * draft is completed on the retry, and that failures say which path.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "channel.h"
#include "unit.h"

static char root[64];

/* Removes path and everything under it. */
static void
rm_rf(const char *path)
{
	char sub[1024];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			rm_rf(sub);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
}

/* A fresh directory path under root (not created). */
static const char *
fresh(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, name);
	rm_rf(path);
	return path;
}

/* The content of dir/name into a static buffer, or NULL. */
static const char *
slurp(const char *dir, const char *name)
{
	static char data[4096];
	char path[512];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	n = fread(data, 1, sizeof(data) - 1, f);
	data[n] = '\0';
	fclose(f);
	return data;
}

/* Writes data to dir/name. */
static void
spit(const char *dir, const char *name, const char *data)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fputs(data, f);
	fclose(f);
}

/* Number of entries in dir other than . and .., and how many hidden. */
static int
entries(const char *dir, int *hidden)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	*hidden = 0;
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (de->d_name[0] == '.')
			(*hidden)++;
	}
	closedir(d);
	return n;
}

static struct owner_msg
msg(void)
{
	struct owner_msg m = {
		.id = "draft-SKU-1-20240301",
		.subject = "Reorder: Beans",
		.text = "text",
		.slack_json = "{\"text\":\"Reorder: Beans\",\"blocks\":[]}",
		.eml = "Subject: Reorder: Beans\n\nbody\n",
	};
	m.eml_len = strlen(m.eml);
	return m;
}

/* An independent FNV-1a, to compute what channel_safe_id must append. */
static uint32_t
fnv(const char *s)
{
	uint32_t h = 0x811c9dc5u;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 0x01000193u;
	}
	return h;
}

TEST(open_makes_directories)
{
	const char *dir = fresh("a");
	char uri[512], sub[512], err[256];
	struct notifier *n;
	struct mailer *m;
	struct stat st;

	snprintf(uri, sizeof(uri), "outbox:%s/b/c//d/", dir);
	n = notify_open(uri, err, sizeof(err));
	CHECK(n != NULL);
	snprintf(sub, sizeof(sub), "%s/b/c/d", dir);
	CHECK(stat(sub, &st) == 0 && S_ISDIR(st.st_mode));
	notify_close(n);
	m = mailer_open(uri, err, sizeof(err));	/* exists: fine */
	CHECK(m != NULL);
	mailer_close(m);
	notify_close(NULL);
	mailer_close(NULL);
}

TEST(open_refuses)
{
	static const struct {
		const char	*uri, *notify, *mail;
	} cases[] = {
		{ "sms:+6512345678",
		    "unknown notify channel \"sms\" (known: outbox, slack, "
		    "email)",
		    "unknown mail transport \"sms\" (known: outbox, smtp, "
		    "smtps, ses)" },
		{ "sendgrid://user:s3cret@mail.example:587",
		    "unknown notify channel \"sendgrid\" (known: outbox, "
		    "slack, email)",
		    "unknown mail transport \"sendgrid\" (known: outbox, "
		    "smtp, smtps, ses)" },
		{ "xoxb-s3cret", "notify channel has no scheme, as in "
		    "outbox:DIR (known: outbox, slack, email)", "mail "
		    "transport has no scheme, as in outbox:DIR (known: outbox, "
		    "smtp, smtps, ses)" },
		{ "", "no notify channel given", "no mail transport given" },
		{ "outbox:", "outbox: no directory given (write outbox:DIR)",
		    "outbox: no directory given (write outbox:DIR)" },
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(notify_open(cases[i].uri, err, sizeof(err)) == NULL);
		CHECK_EQ_STR(err, cases[i].notify);
		CHECK(strstr(err, "s3cret") == NULL);
		CHECK(mailer_open(cases[i].uri, err, sizeof(err)) == NULL);
		CHECK_EQ_STR(err, cases[i].mail);
	}
	CHECK(notify_open(NULL, err, sizeof(err)) == NULL);
	CHECK(notify_open("OUTBOX:", NULL, 0) == NULL);	/* no room: fine */
}

TEST(open_unusable_directory)
{
	const char *dir = fresh("file");
	char uri[512], err[512], want[512];

	spit(root, "file", "not a directory");
	snprintf(uri, sizeof(uri), "outbox:%s/sub", dir);
	CHECK(notify_open(uri, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want), "outbox: cannot create directory "
	    "%s/sub: %s", dir, strerror(ENOTDIR));
	CHECK_EQ_STR(err, want);
	snprintf(uri, sizeof(uri), "outbox:%s", dir);
	CHECK(mailer_open(uri, err, sizeof(err)) == NULL);
	CHECK(strstr(err, dir) != NULL);
	rm_rf(dir);
}

TEST(notify_writes_both)
{
	const char *dir = fresh("n1");
	struct owner_msg m = msg();
	char uri[512], err[256], ref[512], want[512];
	struct notifier *n;
	int hidden;

	snprintf(uri, sizeof(uri), "outbox:%s", dir);
	if ((n = notify_open(uri, err, sizeof(err))) == NULL) {
		CHECK(n != NULL);
		return;
	}
	CHECK_EQ_INT(notify_send(n, &m, ref, sizeof(ref)), CHANNEL_SENT);
	snprintf(want, sizeof(want), "%s/draft-SKU-1-20240301.json", dir);
	CHECK_EQ_STR(ref, want);
	CHECK_EQ_STR(slurp(dir, "draft-SKU-1-20240301.json"),
	    "{\"text\":\"Reorder: Beans\",\"blocks\":[]}\n");
	CHECK_EQ_STR(slurp(dir, "draft-SKU-1-20240301.eml"), m.eml);
	CHECK_EQ_INT(entries(dir, &hidden), 2);
	CHECK_EQ_INT(hidden, 0);			/* no temporary left */
	CHECK_EQ_STR(notify_error(n), "");
	notify_close(n);
}

TEST(notify_second_send_is_already)
{
	const char *dir = fresh("n2");
	struct owner_msg m = msg();
	char uri[512], err[256], ref[512];
	struct notifier *n;
	struct stat a, b;
	int hidden;

	snprintf(uri, sizeof(uri), "outbox:%s", dir);
	if ((n = notify_open(uri, err, sizeof(err))) == NULL) {
		CHECK(n != NULL);
		return;
	}
	CHECK_EQ_INT(notify_send(n, &m, NULL, 0), CHANNEL_SENT);
	snprintf(uri, sizeof(uri), "%s/draft-SKU-1-20240301.json", dir);
	CHECK(stat(uri, &a) == 0);
	/* Same id, other bytes: still nothing delivered, nothing changed. */
	m.slack_json = "{\"text\":\"changed\"}";
	m.eml = "Subject: changed\n\n";
	m.eml_len = strlen(m.eml);
	CHECK_EQ_INT(notify_send(n, &m, ref, sizeof(ref)), CHANNEL_ALREADY);
	CHECK_EQ_STR(ref, uri);
	CHECK(stat(uri, &b) == 0 && a.st_ino == b.st_ino &&
	    a.st_mtime == b.st_mtime && a.st_size == b.st_size);
	CHECK_EQ_STR(slurp(dir, "draft-SKU-1-20240301.json"),
	    "{\"text\":\"Reorder: Beans\",\"blocks\":[]}\n");
	CHECK_EQ_STR(slurp(dir, "draft-SKU-1-20240301.eml"),
	    "Subject: Reorder: Beans\n\nbody\n");
	CHECK_EQ_INT(entries(dir, &hidden), 2);
	notify_close(n);

	/* A new notifier on the same folder knows it too. */
	snprintf(uri, sizeof(uri), "outbox:%s", dir);
	n = notify_open(uri, err, sizeof(err));
	CHECK(n != NULL);
	if (n != NULL)
		CHECK_EQ_INT(notify_send(n, &m, NULL, 0), CHANNEL_ALREADY);
	notify_close(n);
}

TEST(notify_completes_after_crash)
{
	const char *dir = fresh("n3");
	struct owner_msg m = msg();
	char uri[512], err[256];
	struct notifier *n;
	int hidden;

	snprintf(uri, sizeof(uri), "outbox:%s", dir);
	if ((n = notify_open(uri, err, sizeof(err))) == NULL) {
		CHECK(n != NULL);
		return;
	}
	/* The crash came after the .eml: the retry writes the .json. */
	spit(dir, "draft-SKU-1-20240301.eml", "first try\n");
	CHECK_EQ_INT(notify_send(n, &m, NULL, 0), CHANNEL_SENT);
	CHECK_EQ_STR(slurp(dir, "draft-SKU-1-20240301.eml"), "first try\n");
	CHECK_EQ_STR(slurp(dir, "draft-SKU-1-20240301.json"),
	    "{\"text\":\"Reorder: Beans\",\"blocks\":[]}\n");
	CHECK_EQ_INT(notify_send(n, &m, NULL, 0), CHANNEL_ALREADY);

	/* Only the .json (the .eml was removed): the .eml is written. */
	m.id = "draft-2";
	spit(dir, "draft-2.json", "{}\n");
	CHECK_EQ_INT(notify_send(n, &m, NULL, 0), CHANNEL_SENT);
	CHECK_EQ_STR(slurp(dir, "draft-2.eml"), m.eml);
	CHECK_EQ_STR(slurp(dir, "draft-2.json"), "{}\n");
	CHECK_EQ_INT(entries(dir, &hidden), 4);
	CHECK_EQ_INT(hidden, 0);
	notify_close(n);
}

TEST(notify_payload_forms)
{
	const char *dir = fresh("n4");
	struct owner_msg m = msg();
	char uri[512], err[256];
	struct notifier *n;
	int hidden;

	snprintf(uri, sizeof(uri), "outbox:%s", dir);
	if ((n = notify_open(uri, err, sizeof(err))) == NULL) {
		CHECK(n != NULL);
		return;
	}
	/* A payload that ends in a newline gets no second one. */
	m.id = "a";
	m.slack_json = "{}\n";
	m.eml = NULL;
	CHECK_EQ_INT(notify_send(n, &m, NULL, 0), CHANNEL_SENT);
	CHECK_EQ_STR(slurp(dir, "a.json"), "{}\n");
	CHECK_EQ_INT(entries(dir, &hidden), 1);		/* no .eml */
	/* eml_len bytes exactly, NUL included. */
	m.id = "b";
	m.eml = "ab\0cd";
	m.eml_len = 5;
	CHECK_EQ_INT(notify_send(n, &m, NULL, 0), CHANNEL_SENT);
	snprintf(uri, sizeof(uri), "%s/b.eml", dir);
	{
		struct stat st;

		CHECK(stat(uri, &st) == 0 && st.st_size == 5);
	}
	m.id = "c";
	m.slack_json = NULL;
	CHECK_EQ_INT(notify_send(n, &m, NULL, 0), CHANNEL_ERR);
	CHECK(strstr(notify_error(n), "c has no Slack payload") != NULL);
	notify_close(n);
}

TEST(send_refuses_bad_ids)
{
	static const char *const bad[] = {
		"", ".hidden", "../up", "a/b", "a b", "caf\xc3\xa9", NULL
	};
	const char *dir = fresh("ids");
	const char *rcpt[] = { "a@example.com", NULL };
	struct owner_msg m = msg();
	char uri[512], err[256], ref[64] = "x", *longid;
	struct notifier *n;
	struct mailer *ml;
	size_t i;
	int hidden;

	snprintf(uri, sizeof(uri), "outbox:%s", dir);
	n = notify_open(uri, err, sizeof(err));
	ml = mailer_open(uri, err, sizeof(err));
	if (n == NULL || ml == NULL) {
		CHECK(n != NULL && ml != NULL);
		notify_close(n);
		mailer_close(ml);
		return;
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m.id = bad[i];
		CHECK_EQ_INT(notify_send(n, &m, ref, sizeof(ref)),
		    CHANNEL_ERR);
		CHECK_EQ_STR(ref, "");
		CHECK(strstr(notify_error(n), "invalid message id") != NULL);
		CHECK_EQ_INT(mailer_send(ml, bad[i], "f@example.com", rcpt,
		    "x", 1, NULL, 0), CHANNEL_ERR);
		CHECK(strstr(mailer_error(ml), "invalid message id") != NULL);
	}
	longid = malloc(CHANNEL_ID_MAX + 2);
	memset(longid, 'a', CHANNEL_ID_MAX + 1);
	longid[CHANNEL_ID_MAX + 1] = '\0';
	m.id = longid;
	CHECK_EQ_INT(notify_send(n, &m, NULL, 0), CHANNEL_ERR);
	longid[CHANNEL_ID_MAX] = '\0';			/* the longest */
	CHECK_EQ_INT(notify_send(n, &m, NULL, 0), CHANNEL_SENT);
	CHECK_EQ_INT(entries(dir, &hidden), 2);
	free(longid);
	notify_close(n);
	mailer_close(ml);
}

TEST(mailer_writes_once)
{
	static const char raw[] = "From: a@example.com\r\nTo: b@example.com"
	    "\r\nSubject: PO\r\n\r\nbody\r\n";
	const char *dir = fresh("m1");
	const char *rcpt[] = { "b@example.com", NULL };
	const char *none[] = { NULL };
	char uri[512], err[256], ref[512], want[512];
	struct mailer *m;
	int hidden;

	snprintf(uri, sizeof(uri), "outbox:%s", dir);
	if ((m = mailer_open(uri, err, sizeof(err))) == NULL) {
		CHECK(m != NULL);
		return;
	}
	CHECK_EQ_INT(mailer_send(m, "po-SKU-1-20240301", "a@example.com",
	    rcpt, raw, strlen(raw), ref, sizeof(ref)), CHANNEL_SENT);
	snprintf(want, sizeof(want), "%s/po-SKU-1-20240301.eml", dir);
	CHECK_EQ_STR(ref, want);
	CHECK_EQ_STR(slurp(dir, "po-SKU-1-20240301.eml"), raw);
	CHECK_EQ_INT(mailer_send(m, "po-SKU-1-20240301", "a@example.com",
	    rcpt, "other", 5, ref, sizeof(ref)), CHANNEL_ALREADY);
	CHECK_EQ_STR(ref, want);
	CHECK_EQ_STR(slurp(dir, "po-SKU-1-20240301.eml"), raw);
	CHECK_EQ_INT(entries(dir, &hidden), 1);
	CHECK_EQ_INT(hidden, 0);

	CHECK_EQ_INT(mailer_send(m, "po-2", "a@example.com", none, raw,
	    strlen(raw), NULL, 0), CHANNEL_ERR);
	CHECK_EQ_STR(mailer_error(m), "message po-2 has no recipient");
	CHECK_EQ_INT(mailer_send(m, "po-2", "a@example.com", rcpt, raw, 0,
	    NULL, 0), CHANNEL_ERR);
	CHECK_EQ_INT(entries(dir, &hidden), 1);
	mailer_close(m);
}

TEST(unwritable_directory)
{
	const char *dir = fresh("gone");
	const char *rcpt[] = { "b@example.com", NULL };
	struct owner_msg m = msg();
	char uri[512], err[256], want[512], ref[64] = "x";
	struct notifier *n;
	struct mailer *ml;

	/* The folder disappears under an open outbox. */
	snprintf(uri, sizeof(uri), "outbox:%s", dir);
	n = notify_open(uri, err, sizeof(err));
	ml = mailer_open(uri, err, sizeof(err));
	if (n == NULL || ml == NULL) {
		CHECK(n != NULL && ml != NULL);
		notify_close(n);
		mailer_close(ml);
		return;
	}
	rm_rf(dir);
	CHECK_EQ_INT(notify_send(n, &m, ref, sizeof(ref)), CHANNEL_ERR);
	CHECK_EQ_STR(ref, "");
	snprintf(want, sizeof(want), "outbox: cannot write "
	    "%s/draft-SKU-1-20240301.eml: %s", dir, strerror(ENOENT));
	CHECK_EQ_STR(notify_error(n), want);
	CHECK_EQ_INT(mailer_send(ml, "po-1", "a@example.com", rcpt, "x", 1,
	    NULL, 0), CHANNEL_ERR);
	CHECK(strstr(mailer_error(ml), "/gone/po-1.eml: ") != NULL);
	notify_close(n);
	mailer_close(ml);

	/* Permissions (root writes anyway, so only as another user). */
	if (geteuid() != 0) {
		dir = fresh("ro");
		snprintf(uri, sizeof(uri), "outbox:%s", dir);
		if ((n = notify_open(uri, err, sizeof(err))) != NULL) {
			chmod(dir, 0555);
			CHECK_EQ_INT(notify_send(n, &m, NULL, 0),
			    CHANNEL_ERR);
			CHECK(strstr(notify_error(n), strerror(EACCES)));
			chmod(dir, 0755);
			notify_close(n);
		}
		CHECK(n != NULL);
	}
}

TEST(write_failure_leaves_nothing)
{
	const char *dir = fresh("full");
	struct owner_msg m = msg();
	char uri[512], err[256], big[4096], want[512];
	struct rlimit old, lim;
	struct notifier *n;
	int hidden, rc;

	snprintf(uri, sizeof(uri), "outbox:%s", dir);
	if ((n = notify_open(uri, err, sizeof(err))) == NULL) {
		CHECK(n != NULL);
		return;
	}
	/* A file size limit makes write() fail as a full disk would. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	m.eml = big;
	m.eml_len = strlen(big);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 100;
	setrlimit(RLIMIT_FSIZE, &lim);
	rc = notify_send(n, &m, NULL, 0);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	CHECK_EQ_INT(rc, CHANNEL_ERR);
	snprintf(want, sizeof(want), "outbox: cannot write "
	    "%s/draft-SKU-1-20240301.eml: %s", dir, strerror(EFBIG));
	CHECK_EQ_STR(notify_error(n), want);
	CHECK_EQ_INT(entries(dir, &hidden), 0);		/* no temp, no file */
	/* Room again: the retry delivers it. */
	CHECK_EQ_INT(notify_send(n, &m, NULL, 0), CHANNEL_SENT);
	CHECK_EQ_INT(entries(dir, &hidden), 2);
	notify_close(n);
}

TEST(safe_id)
{
	static const struct {
		const char	*in, *keep;	/* keep: before the hash */
		int		 hashed;
	} cases[] = {
		{ "SKU-1", "SKU-1", 0 },
		{ "a.b_c-D9", "a.b_c-D9", 0 },
		{ "draft-SKU-1-20240301", "draft-SKU-1-20240301", 0 },
		{ "a b", "a_b", 1 },
		{ "a/b", "a_b", 1 },
		{ "../x", "_._x", 1 },
		{ ".hidden", "_hidden", 1 },
		{ "caf\xc3\xa9", "caf__", 1 },
		{ "", "_", 1 },
	};
	char out[CHANNEL_ID_MAX + 1], want[512], *longin;
	size_t i;

	/* The hash is FNV-1a 32: check the helper on published vectors. */
	CHECK(fnv("") == 0x811c9dc5u);
	CHECK(fnv("a") == 0xe40c292cu);
	CHECK(fnv("foobar") == 0xbf9cf968u);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		channel_safe_id(cases[i].in, out, sizeof(out));
		if (cases[i].hashed)
			snprintf(want, sizeof(want), "%s-%08" PRIx32,
			    cases[i].keep, fnv(cases[i].in));
		else
			snprintf(want, sizeof(want), "%s", cases[i].keep);
		CHECK_EQ_STR(out, want);
	}
	CHECK_EQ_STR((channel_safe_id("", out, sizeof(out)), out),
	    "_-811c9dc5");
	/* Distinct inputs that map alike stay distinct. */
	channel_safe_id("a b", want, sizeof(want));
	channel_safe_id("a/b", out, sizeof(out));
	CHECK(strcmp(out, want) != 0);

	/* Too long: cut, and hashed so that it stays unique. */
	longin = malloc(301);
	memset(longin, 'x', 300);
	longin[300] = '\0';
	channel_safe_id(longin, out, sizeof(out));
	CHECK_EQ_INT(strlen(out), CHANNEL_ID_MAX);
	snprintf(want, sizeof(want), "%.*s-%08" PRIx32, CHANNEL_ID_MAX - 9,
	    longin, fnv(longin));
	CHECK_EQ_STR(out, want);
	free(longin);

	/* A tiny buffer gets what fits, NUL-terminated. */
	memset(out, '#', sizeof(out));
	channel_safe_id("SKU-1", out, 5);
	CHECK_EQ_STR(out, "SKU-");
	channel_safe_id("a b", out, 3);
	CHECK_EQ_STR(out, "a_");
	channel_safe_id("SKU-1", out, 6);
	CHECK_EQ_STR(out, "SKU-1");
	out[0] = '#';
	channel_safe_id("x", out, 0);
	CHECK(out[0] == '#');
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	int rc;

	snprintf(root, sizeof(root), "%s/ir-outbox-XXXXXX",
	    tmp != NULL && *tmp != '\0' && strlen(tmp) < 32 ? tmp : "/tmp");
	if (mkdtemp(root) == NULL) {
		perror(root);
		return 1;
	}
	RUN(open_makes_directories);
	RUN(open_refuses);
	RUN(open_unusable_directory);
	RUN(notify_writes_both);
	RUN(notify_second_send_is_already);
	RUN(notify_completes_after_crash);
	RUN(notify_payload_forms);
	RUN(send_refuses_bad_ids);
	RUN(mailer_writes_once);
	RUN(unwritable_directory);
	RUN(write_failure_leaves_nothing);
	RUN(safe_id);
	rc = unit_summary();
	rm_rf(root);
	return rc;
}
