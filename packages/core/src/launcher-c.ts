/**
 * The compiled process launcher: the same program and protocol as the perl one in
 * launcher-script.ts (read that for the protocol), in C. A perl process is some MB and touches
 * much of its memory after fork, so every fork copies pages; this one is a few hundred KB, and
 * starting a task through it costs about what `xargs` pays for one. launcher-build.ts compiles
 * it once per machine with the system's C compiler; without one, guild uses the perl launcher.
 *
 * One difference: a task's stdout and stderr are a pipe to this launcher, which creates the log
 * file at the task's first byte of output (header first), so a task that prints nothing leaves
 * no file — on some file systems creating a file costs more than starting the process. All
 * output a task wrote is in its log before its end is reported; a failure to save it is
 * reported as `W <id> <hex message>` before the task's `X` line. When Node goes away, the
 * launcher stays until its tasks' output is all saved.
 *
 * The text must not contain a backquote or a dollar sign followed by a brace (it is a template
 * literal).
 */
export const LAUNCHER_C = String.raw`
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

enum { FREE, FORMING, IDLE, TASK };

/* One child of the launcher: a zygote (forming or idle) or a task. */
struct kid {
  pid_t pid;
  int state;
  int jw;          /* write end of a zygote's job pipe, -1 when none */
  char id[24];     /* the task id, for a task */
  char start[24];  /* its start time, for an idle zygote */
  char *err;       /* a failure before exec, hex, when reported */
  int relay;       /* its output's relay (an index in relays), -1 when none */
  char *lost;      /* why its output could not be saved, hex, once its relay has closed */
};

/* A task's output on its way to its log file: the launcher holds the read end of the pipe that
 * is the task's stdout and stderr, and creates the log at the first byte, so a task that prints
 * nothing leaves no file. It lasts until every writer is gone (a task's leftover background
 * processes may write after it ended). */
struct relay {
  int fd;          /* the read end; -1: the slot is free */
  int logfd;       /* -1 until the first output */
  char *path;      /* the log file, once the task is known */
  char *header;    /* written before the first output */
  char *err;       /* why its output could not be saved, hex */
  pid_t owner;     /* the child it was made for */
};

static struct kid *kids;
static size_t nkids, capkids;
static struct relay *relays;
static size_t nrelays, caprelays;
/* Node is gone: no more requests; the launcher stays until its tasks' output is all saved. */
static int orphaned;
static int reqfd, repfd, sigr, sigw, str, stw;
static long want = 2;
static char *out;
static size_t outlen, outcap;
static char *in;
static size_t inlen, incap;
static char stbuf[65536 + 8];
static size_t stlen;

static void nonblock(int fd);

static void die(const char *what) {
  fprintf(stderr, "guild-launcher: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n);
  if (!q) {
    errno = ENOMEM;
    die("realloc");
  }
  return q;
}

static void emit(const char *s, size_t n) {
  if (outlen + n > outcap) {
    outcap = (outlen + n) * 2 + 256;
    out = xrealloc(out, outcap);
  }
  memcpy(out + outlen, s, n);
  outlen += n;
}

static void emits(const char *s) { emit(s, strlen(s)); }

static void emitf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emitf(const char *fmt, ...) {
  char line[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n > 0) emit(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static struct kid *find(pid_t pid) {
  for (size_t i = 0; i < nkids; i++)
    if (kids[i].state != FREE && kids[i].pid == pid) return &kids[i];
  return NULL;
}

static struct kid *add(pid_t pid, int state) {
  struct kid *k = NULL;
  for (size_t i = 0; i < nkids; i++)
    if (kids[i].state == FREE) {
      k = &kids[i];
      break;
    }
  if (!k) {
    if (nkids == capkids) {
      capkids = capkids ? capkids * 2 : 64;
      kids = xrealloc(kids, capkids * sizeof *kids);
    }
    k = &kids[nkids++];
  }
  memset(k, 0, sizeof *k);
  k->pid = pid;
  k->state = state;
  k->jw = -1;
  k->relay = -1;
  return k;
}

/* Idle zygotes that died lately, with their wait status: Node may have handed one a task (a J
 * request on its way) and stopped it before the J arrived; the task then ended as the zygote
 * did, and says so. A ring: a J follows its pick within moments. */
static struct {
  pid_t pid;
  int status;
} dead[64];
static size_t ndead;

static void remember_dead(pid_t pid, int status) {
  dead[ndead % 64].pid = pid;
  dead[ndead % 64].status = status;
  ndead++;
}

static int dead_status(pid_t pid, int *status) {
  for (size_t i = 0; i < 64 && i < ndead; i++) {
    size_t j = (ndead - 1 - i) % 64;
    if (dead[j].pid == pid) {
      *status = dead[j].status;
      dead[j].pid = 0;
      return 1;
    }
  }
  return 0;
}

static void drop(struct kid *k) {
  if (k->jw >= 0) close(k->jw);
  free(k->err);
  free(k->lost);
  memset(k, 0, sizeof *k);
  k->state = FREE;
  k->jw = -1;
  k->relay = -1;
}

static size_t count(int state) {
  size_t n = 0;
  for (size_t i = 0; i < nkids; i++) n += kids[i].state == state;
  return n;
}

static void hex_of(const char *s, size_t n, char *dst) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    dst[2 * i] = digits[(unsigned char)s[i] >> 4];
    dst[2 * i + 1] = digits[(unsigned char)s[i] & 15];
  }
  dst[2 * n] = 0;
}

static void write_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;
    }
    s += w;
    n -= (size_t)w;
  }
}

static int relay_new(int fd) {
  size_t i = 0;
  while (i < nrelays && relays[i].fd >= 0) i++;
  if (i == nrelays) {
    if (nrelays == caprelays) {
      caprelays = caprelays ? caprelays * 2 : 64;
      relays = xrealloc(relays, caprelays * sizeof *relays);
    }
    nrelays++;
  }
  memset(&relays[i], 0, sizeof relays[i]);
  relays[i].fd = fd;
  relays[i].logfd = -1;
  return (int)i;
}

static struct kid *find(pid_t pid);

static void relay_close(struct relay *r) {
  struct kid *k = r->err ? find(r->owner) : NULL;
  if (k && k->state == TASK && !k->lost) {
    k->lost = r->err;
    r->err = NULL;
  }
  if (r->fd >= 0) close(r->fd);
  if (r->logfd >= 0) close(r->logfd);
  free(r->path);
  free(r->header);
  free(r->err);
  memset(r, 0, sizeof *r);
  r->fd = -1;
  r->logfd = -1;
}

static void relay_fail(struct relay *r, const char *what) {
  if (r->err) return;
  char msg[4200];
  snprintf(msg, sizeof msg, "its output could not be saved to %s: %s: %s", r->path ? r->path : "its log", what, strerror(errno));
  size_t n = strlen(msg);
  r->err = malloc(2 * n + 1);
  if (r->err) hex_of(msg, n, r->err);
}

static int write_some(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Moves what the task wrote to its log; at most that many reads (rounds). Closes the relay at EOF. */
static void relay_pump(struct relay *r, int rounds) {
  static char buf[65536];
  while (rounds-- > 0 && r->fd >= 0) {
    ssize_t n = read(r->fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      n = 0;
    }
    if (n == 0) {
      relay_close(r);
      return;
    }
    if (r->err || !r->path) continue;
    if (r->logfd < 0) {
      r->logfd = open(r->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
      if (r->logfd < 0) {
        relay_fail(r, "cannot open it");
        continue;
      }
      if (r->header && *r->header && write_some(r->logfd, r->header, strlen(r->header)) != 0) {
        relay_fail(r, "cannot write it");
        continue;
      }
    }
    if (write_some(r->logfd, buf, (size_t)n) != 0) relay_fail(r, "cannot write it");
  }
}

/* In a child: a failure before exec. Say why on the status pipe, and exit 127. */
static void fail(const char *msg) {
  char hex[3001], line[3100];
  size_t n = strlen(msg);
  if (n > 1500) n = 1500;
  hex_of(msg, n, hex);
  int len = snprintf(line, sizeof line, "%d E %s\n", (int)getpid(), hex);
  write_all(stw, line, (size_t)len);
  _exit(127);
}

/* Whether the environment entry ("NAME=value") is for one of the n names. */
static int named(const char *entry, char **names, size_t n) {
  const char *eq = strchr(entry, '=');
  size_t len = eq ? (size_t)(eq - entry) : strlen(entry);
  for (size_t i = 0; i < n; i++)
    if (strncmp(entry, names[i], len) == 0 && names[i][len] == 0) return 1;
  return 0;
}

/* In a child: become the task described by the frame's fields after the first four. */
static void run_frame(char *frame, size_t len, int outfd) {
  char *f[9] = {0};
  size_t nf = 0;
  char *p = frame, *end = frame + len;
  /* kind, want, id, zygote, cwd, log, header, command, how many names to unset; then those
   * names, then name, value pairs to set, all NUL-separated */
  size_t nfields = 0;
  for (char *q = frame; q < end; q++) nfields += *q == 0;
  nfields++;
  char **fields = malloc(nfields * sizeof *fields);
  if (!fields) fail("out of memory");
  size_t n = 0;
  while (p <= end && n < nfields) {
    char *z = memchr(p, 0, (size_t)(end - p));
    if (!z) z = end;
    *z = 0;
    fields[n++] = p;
    p = z + 1;
  }
  for (; nf < 9 && nf < n; nf++) f[nf] = fields[nf];
  if (nf < 9) fail("a malformed request");
  char *e;
  unsigned long nunset = strtoul(f[8], &e, 10);
  if (*e || nunset > n - 9) fail("a malformed request");
  char **unset = fields + 9;
  char **pairs = unset + nunset;
  size_t npairs = (n - 9 - nunset) / 2;
  /* the names being set, to drop their old values */
  char **setnames = malloc((npairs + 1) * sizeof *setnames);
  if (!setnames) fail("out of memory");
  for (size_t i = 0; i < npairs; i++) setnames[i] = pairs[2 * i];
  size_t nenviron = 0;
  while (environ[nenviron]) nenviron++;
  char **envp = malloc((nenviron + npairs + 1) * sizeof *envp);
  if (!envp) fail("out of memory");
  size_t ne = 0;
  for (size_t i = 0; i < nenviron; i++)
    if (!named(environ[i], unset, nunset) && !named(environ[i], setnames, npairs)) envp[ne++] = environ[i];
  for (size_t i = 0; i < npairs; i++) {
    char *name = pairs[2 * i], *value = pairs[2 * i + 1];
    size_t nl = strlen(name), vl = strlen(value);
    char *entry = malloc(nl + vl + 2);
    if (!entry) fail("out of memory");
    memcpy(entry, name, nl);
    entry[nl] = '=';
    memcpy(entry + nl + 1, value, vl + 1);
    envp[ne++] = entry;
  }
  envp[ne] = NULL;
  const char *cwd = f[4], *cmd = f[7];
  char msg[4200];
  /* stdout and stderr: the relay's pipe (the launcher writes the header and the log) */
  if (outfd != 1) dup2(outfd, 1);
  if (outfd != 2) dup2(outfd, 2);
  if (outfd > 2) close(outfd);
  int null = open("/dev/null", O_RDONLY);
  if (null < 0) {
    snprintf(msg, sizeof msg, "cannot open /dev/null: %s", strerror(errno));
    fail(msg);
  }
  if (null != 0) dup2(null, 0);
  if (null > 2) close(null);
  if (chdir(cwd) != 0) {
    if (errno == ENOENT)
      snprintf(msg, sizeof msg, "its working directory %s does not exist", cwd);
    else
      snprintf(msg, sizeof msg, "cannot enter its working directory %s: %s", cwd, strerror(errno));
    fail(msg);
  }
  char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
  execve("/bin/sh", argv, envp);
  snprintf(msg, sizeof msg, "cannot run /bin/sh: %s", strerror(errno));
  fail(msg);
}

static int read_exact(int fd, char *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

/* pipe2(O_CLOEXEC) where there is no pipe2: both ends close on exec. */
static int cloexec_pipe(int p[2]) {
  if (pipe(p) != 0) return -1;
  fcntl(p[0], F_SETFD, FD_CLOEXEC);
  fcntl(p[1], F_SETFD, FD_CLOEXEC);
  return 0;
}

static void on_chld(int sig) {
  (void)sig;
  int e = errno;
  char x = 'x';
  ssize_t r = write(sigw, &x, 1);
  (void)r;
  errno = e;
}

static void on_pipe(int sig) { (void)sig; }

/* A zygote: its own session, nothing of the launcher's open, waiting for one task. */
/* In a child: close what it must not keep of the launcher's (every descriptor the launcher
 * holds closes at exec anyway; these would keep pipes open while the child waits). */
static void close_launcher_fds(void) {
  close(reqfd);
  close(repfd);
  close(sigr);
  close(sigw);
  close(str);
  for (size_t i = 0; i < nkids; i++)
    if (kids[i].jw >= 0) close(kids[i].jw);
  for (size_t i = 0; i < nrelays; i++)
    if (relays[i].fd >= 0) close(relays[i].fd);
  signal(SIGCHLD, SIG_DFL);
}

static int zygote(void) {
  int p[2], o[2];
  if (cloexec_pipe(p) != 0) return 0;
  if (cloexec_pipe(o) != 0) {
    close(p[0]);
    close(p[1]);
    return 0;
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(p[0]);
    close(p[1]);
    close(o[0]);
    close(o[1]);
    return 0;
  }
  if (pid == 0) {
    close(p[1]);
    setsid();
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      for (int fd = 0; fd <= 2; fd++)
        if (fd != null) dup2(null, fd);
      if (null > 2) close(null);
    }
    close(o[0]);
    close_launcher_fds();
    char start[24] = "";
    int sfd = open("/proc/self/stat", O_RDONLY);
    if (sfd >= 0) {
      char line[1024];
      ssize_t n = read(sfd, line, sizeof line - 1);
      close(sfd);
      if (n > 0) {
        line[n] = 0;
        char *q = strrchr(line, ')');
        /* fields after the name: state is #3; starttime is #22, the 20th after ')' */
        int field = 2;
        for (q = q ? q + 1 : NULL; q && *q; q++) {
          if (*q == ' ') {
            field++;
            if (field == 22) {
              size_t k = 0;
              q++;
              while (q[k] >= '0' && q[k] <= '9' && k < sizeof start - 1) k++;
              memcpy(start, q, k);
              start[k] = 0;
              break;
            }
          }
        }
      }
    }
    char line[64];
    int len = snprintf(line, sizeof line, "%d R %s\n", (int)getpid(), start);
    write_all(stw, line, (size_t)len);
    unsigned char head[4];
    if (read_exact(p[0], (char *)head, 4) != 0) _exit(0);
    size_t flen = ((size_t)head[0] << 24) | ((size_t)head[1] << 16) | ((size_t)head[2] << 8) | head[3];
    char *frame = malloc(flen + 1);
    if (!frame) _exit(0);
    if (read_exact(p[0], frame, flen) != 0) _exit(0);
    close(p[0]);
    frame[flen] = 0;
    run_frame(frame, flen, o[1]);
  }
  close(p[0]);
  close(o[1]);
  nonblock(o[0]);
  struct kid *k = add(pid, FORMING);
  k->jw = p[1];
  k->relay = relay_new(o[0]);
  relays[k->relay].owner = pid;
  return 1;
}

static void drain_status(void) {
  for (;;) {
    if (stlen >= sizeof stbuf - 1) break;
    ssize_t n = read(str, stbuf + stlen, sizeof stbuf - 1 - stlen);
    if (n <= 0) break;
    stlen += (size_t)n;
  }
  char *p = stbuf, *end = stbuf + stlen;
  for (;;) {
    char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) break;
    *nl = 0;
    char *sp;
    long pid = strtol(p, &sp, 10);
    if (sp[0] == ' ' && (sp[1] == 'R' || sp[1] == 'E')) {
      char *arg = sp[2] == ' ' ? sp + 3 : sp + 2;
      struct kid *k = find((pid_t)pid);
      if (k && sp[1] == 'R' && k->state == FORMING) {
        k->state = IDLE;
        snprintf(k->start, sizeof k->start, "%s", arg);
        emitf("Z %ld %s\n", pid, k->start);
      } else if (k && sp[1] == 'E') {
        free(k->err);
        k->err = strdup(arg);
      }
    }
    p = nl + 1;
  }
  stlen = (size_t)(end - p);
  memmove(stbuf, p, stlen);
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    drain_status();
    struct kid *k = find(pid);
    if (!k) continue;
    /* (its relay may have closed at EOF already, and the slot gone to another child) */
    if (k->relay >= 0 && relays[k->relay].fd >= 0 && relays[k->relay].owner == pid) {
      struct relay *r = &relays[k->relay];
      if (k->state == TASK) {
        /* All it wrote before it ended is in the pipe (at most the pipe's size): into the log
         * before its end is reported, so a reader of the log sees it whole. */
        relay_pump(r, 64);
        if (r->fd >= 0 && r->err && !k->lost) {
          k->lost = r->err;
          r->err = NULL;
          /* Later output of what it left running could not be saved either. */
          relay_close(r);
        }
      } else {
        relay_close(r);
      }
    }
    if (k->state == TASK && k->lost) emitf("W %s ", k->id), emits(k->lost), emits("\n");
    if (k->state == TASK) {
      if (k->err)
        emitf("X %s %d ", k->id, status), emits(k->err), emits("\n");
      else
        emitf("X %s %d\n", k->id, status);
    } else if (k->state == IDLE) {
      remember_dead(pid, status);
      emitf("D %d\n", (int)pid);
    }
    drop(k);
  }
}

static void flush_out(void) {
  if (orphaned) {
    outlen = 0;
    return;
  }
  size_t off = 0;
  while (off < outlen) {
    ssize_t n = write(1, out + off, outlen - off);
    if (n >= 0) {
      off += (size_t)n;
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
    exit(0);
  }
  memmove(out, out + off, outlen - off);
  outlen -= off;
}

static void reply(const char *line) {
  size_t n = strlen(line);
  while (n > 0) {
    ssize_t w = write(repfd, line, n);
    if (w >= 0) {
      line += w;
      n -= (size_t)w;
      continue;
    }
    if (errno == EINTR) continue;
    exit(0);
  }
}

/* The log file and header of the task in the frame (fields 5 and 6), for its relay. */
static void relay_for(struct kid *k, const char *frame, size_t len) {
  if (k->relay < 0 || relays[k->relay].owner != k->pid) return;
  struct relay *r = &relays[k->relay];
  const char *p = frame, *end = frame + len;
  for (int i = 0; i < 5 && p < end; i++) {
    const char *z = memchr(p, 0, (size_t)(end - p));
    p = z ? z + 1 : end;
  }
  const char *z = p < end ? memchr(p, 0, (size_t)(end - p)) : NULL;
  if (!z) return;
  r->path = strdup(p);
  const char *h = z + 1;
  const char *hz = h < end ? memchr(h, 0, (size_t)(end - h)) : NULL;
  r->header = hz ? strndup(h, (size_t)(hz - h)) : strdup("");
}

/* J: hand the task to the idle zygote Node picked. */
static void assign(const char *id, pid_t zpid, const char *frame, size_t len) {
  struct kid *k = find(zpid);
  if (!k || k->state != IDLE) {
    char hex[200];
    char msg[100];
    int status = 127 << 8;
    dead_status(zpid, &status);
    snprintf(msg, sizeof msg, "its process %d ended before the task was handed to it", (int)zpid);
    hex_of(msg, strlen(msg), hex);
    emitf("X %s %d ", id, status), emits(hex), emits("\n");
    return;
  }
  k->state = TASK;
  snprintf(k->id, sizeof k->id, "%s", id);
  relay_for(k, frame, len);
  unsigned char head[4] = {(unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8), (unsigned char)len};
  write_all(k->jw, (const char *)head, 4);
  write_all(k->jw, frame, len);
  close(k->jw);
  k->jw = -1;
}

/* The answer to an S request that failed: "<id> E <hex of what: strerror(errno)>". */
static void reply_error(const char *id, const char *what) {
  char msg[100], hex[201], line[64];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
  hex_of(msg, strlen(msg), hex);
  snprintf(line, sizeof line, "%s E ", id);
  reply(line);
  reply(hex);
  reply("\n");
}

/* S: a pid now: an idle zygote if there is one, else a fork, answered once the child leads its
 * own session and process group. */
static void direct(const char *id, char *frame, size_t len) {
  char line[128];
  for (size_t i = 0; i < nkids; i++)
    if (kids[i].state == IDLE) {
      pid_t zpid = kids[i].pid;
      char start[24];
      snprintf(start, sizeof start, "%s", kids[i].start);
      assign(id, zpid, frame, len);
      snprintf(line, sizeof line, "%s %d %s\n", id, (int)zpid, start);
      reply(line);
      return;
    }
  int p[2], o[2];
  if (cloexec_pipe(p) != 0) {
    reply_error(id, "pipe");
    return;
  }
  if (cloexec_pipe(o) != 0) {
    reply_error(id, "pipe");
    close(p[0]);
    close(p[1]);
    return;
  }
  pid_t pid = fork();
  if (pid < 0) {
    reply_error(id, "fork");
    close(p[0]);
    close(p[1]);
    close(o[0]);
    close(o[1]);
    return;
  }
  if (pid == 0) {
    close(p[0]);
    setsid();
    write_all(p[1], "r", 1);
    close(p[1]);
    close(o[0]);
    close_launcher_fds();
    run_frame(frame, len, o[1]);
  }
  close(p[1]);
  close(o[1]);
  nonblock(o[0]);
  char b;
  while (read(p[0], &b, 1) < 0 && errno == EINTR) {
  }
  close(p[0]);
  struct kid *k = add(pid, TASK);
  snprintf(k->id, sizeof k->id, "%s", id);
  k->relay = relay_new(o[0]);
  relays[k->relay].owner = pid;
  relay_for(k, frame, len);
  snprintf(line, sizeof line, "%s %d\n", id, (int)pid);
  reply(line);
}

static void requests(void) {
  if (incap - inlen < 262144) {
    incap = inlen + 262144;
    in = xrealloc(in, incap);
  }
  ssize_t n;
  do n = read(reqfd, in + inlen, incap - inlen);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return;
  inlen += (size_t)n;
  size_t off = 0;
  while (inlen - off >= 4) {
    unsigned char *h = (unsigned char *)in + off;
    size_t len = ((size_t)h[0] << 24) | ((size_t)h[1] << 16) | ((size_t)h[2] << 8) | h[3];
    if (inlen - off < 4 + len) break;
    char *frame = in + off + 4;
    /* the first four fields: kind, want, id, zygote pid */
    char *f[4] = {0};
    char *p = frame, *end = frame + len;
    for (int i = 0; i < 4 && p <= end; i++) {
      char *z = memchr(p, 0, (size_t)(end - p));
      size_t flen = z ? (size_t)(z - p) : (size_t)(end - p);
      f[i] = strndup(p, flen);
      p = z ? z + 1 : end + 1;
    }
    if (f[1]) {
      char *e;
      long w = strtol(f[1], &e, 10);
      if (*f[1] && !*e && w >= 0 && w <= 64) want = w;
    }
    if (f[0] && f[2] && strcmp(f[0], "J") == 0 && f[3])
      assign(f[2], (pid_t)atol(f[3]), frame, len);
    else if (f[0] && f[2] && strcmp(f[0], "S") == 0)
      direct(f[2], frame, len);
    for (int i = 0; i < 4; i++) free(f[i]);
    off += 4 + len;
  }
  memmove(in, in + off, inlen - off);
  inlen -= off;
}

static void nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL, 0);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die("fcntl");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: guild-launcher <dir> [pool]\n");
    return 2;
  }
  const char *dir = argv[1];
  if (argc > 2) {
    char *e;
    long w = strtol(argv[2], &e, 10);
    if (*argv[2] && !*e && w >= 0) want = w;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_pipe;
  sigaction(SIGPIPE, &sa, NULL);
  char path[4096], newpath[4096];
  int fds[2];
  const char *names[2] = {"rep", "req"};
  for (int i = 0; i < 2; i++) {
    snprintf(newpath, sizeof newpath, "%s/%s.new", dir, names[i]);
    if (mkfifo(newpath, 0600) != 0) die("mkfifo");
    fds[i] = open(newpath, O_RDWR | O_CLOEXEC);
    if (fds[i] < 0) die("open");
  }
  repfd = fds[0];
  reqfd = fds[1];
  for (int i = 0; i < 2; i++) {
    snprintf(newpath, sizeof newpath, "%s/%s.new", dir, names[i]);
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    if (rename(newpath, path) != 0) die("rename");
  }
  int p[2];
  if (cloexec_pipe(p) != 0) die("pipe");
  sigr = p[0];
  sigw = p[1];
  nonblock(sigr);
  nonblock(sigw);
  if (cloexec_pipe(p) != 0) die("pipe");
  str = p[0];
  stw = p[1];
  nonblock(str);
  nonblock(1);
  nonblock(0);
  nonblock(reqfd);
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_chld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);

  int pause_ms = 0;
  struct pollfd *all = NULL;
  size_t capall = 0;
  for (;;) {
    reap();
    flush_out();
    if (orphaned && count(FREE) == nkids) {
      size_t open_relays = 0;
      for (size_t i = 0; i < nrelays; i++) open_relays += relays[i].fd >= 0;
      if (open_relays == 0) return 0;
    }
    if (capall < nrelays + 5) {
      capall = nrelays + 64;
      all = xrealloc(all, capall * sizeof *all);
    }
    all[0] = (struct pollfd){.fd = orphaned ? -1 : 0, .events = POLLIN};
    all[1] = (struct pollfd){.fd = orphaned ? -1 : reqfd, .events = POLLIN};
    all[2] = (struct pollfd){.fd = sigr, .events = POLLIN};
    all[3] = (struct pollfd){.fd = str, .events = POLLIN};
    all[4] = (struct pollfd){.fd = outlen ? 1 : -1, .events = POLLOUT};
    for (size_t i = 0; i < nrelays; i++) all[5 + i] = (struct pollfd){.fd = relays[i].fd, .events = POLLIN};
    int short_ = !orphaned && (long)(count(IDLE) + count(FORMING)) < want;
    int n = poll(all, 5 + nrelays, short_ ? pause_ms : -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (n > 0) {
      if (all[2].revents) {
        char junk[4096];
        while (read(sigr, junk, sizeof junk) > 0) {
        }
      }
      if (all[3].revents) drain_status();
      /* Output first: a task blocked on a full pipe waits for nothing else. */
      for (size_t i = 0; i < nrelays; i++)
        if (all[5 + i].revents && relays[i].fd == all[5 + i].fd) relay_pump(&relays[i], 4);
      if (all[1].revents) requests();
      if (all[0].revents) {
        char junk[4096];
        ssize_t k = read(0, junk, sizeof junk);
        if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
          /* Node is gone. Idle children go (they see EOF); tasks run on, and their output is
           * saved until they end, then the launcher exits. */
          orphaned = 1;
          outlen = 0;
          for (size_t i = 0; i < nkids; i++)
            if (kids[i].jw >= 0) {
              close(kids[i].jw);
              kids[i].jw = -1;
            }
        }
      }
    }
    /* Report ended tasks before spending time on a fork: Node is waiting to start the next one. */
    reap();
    flush_out();
    short_ = !orphaned && (long)(count(IDLE) + count(FORMING)) < want;
    if (short_ && (n == 0 || pause_ms == 0)) pause_ms = zygote() ? 0 : 100;
  }
}
`;
