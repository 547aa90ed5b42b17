/* gnuplot.c -- the gnuplot side: quoting text into scripts, terminals, and
 * running gnuplot as a child fed through a pipe with its stderr captured. */
#include "plot.h"
#include "plotdata.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Returns the length of the valid UTF-8 sequence at s, or 0 if invalid. */
static size_t utf8_len(const unsigned char *s) {
    unsigned char c = s[0];
    size_t n;
    unsigned min;
    unsigned cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) n = 2, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) n = 3, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) n = 4, cp = c & 0x07, min = 0x10000;
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

/* U+2060 WORD JOINER: no width, no glyph, no line break (see ts_gp_quote) */
#define WORD_JOINER "\xe2\x81\xa0"

int ts_gp_quote(ts_buf *b, const char *s, int flags) {
    ts_buf_append(b, "'", 1);
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    /* gnuplot's scanner takes '' as a quote only after a character of the
       string: right after the opening quote, or after another '', it ends
       the string instead. A quote there gets a word joiner before it. */
    int after_quote = 1;
    while (*p) {
        if (*p < 0x20 || *p == 0x7f) {
            p++; /* control characters (newline, CR, tab, ESC...) are dropped */
            continue;
        }
        if (*p == '\'') {
            if (after_quote) ts_buf_append(b, WORD_JOINER, 3);
            ts_buf_append(b, "''", 2);
            p++;
            after_quote = 1;
            continue;
        }
        after_quote = 0;
        size_t n = utf8_len(p);
        if (*p == '%' && (flags & TS_GP_FORMAT)) {
            ts_buf_append(b, "%%", 2);
            p++;
        } else if (n == 0) {
            ts_buf_append(b, "?", 1);
            p++;
        } else {
            ts_buf_append(b, (const char *)p, n);
            p += n;
        }
    }
    return ts_buf_append(b, "'", 1);
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int ts_plot_term_from_path(const char *path, ts_plot_term *term, ts_error *err) {
    if (ends_with(path, ".png")) *term = TS_TERM_PNG;
    else if (ends_with(path, ".svg")) *term = TS_TERM_SVG;
    else if (ends_with(path, ".pdf")) *term = TS_TERM_PDF;
    else if (ends_with(path, ".txt")) *term = TS_TERM_DUMB;
    else return ts_fail(err, TS_EUSAGE, NULL, 0, "output '%s' needs the extension .png, .svg, .pdf or .txt", path);
    return TS_OK;
}

/* ts_plot_preamble for a canvas of w x h pixels (the PDF in hundredths of
 * an inch; the text terminal keeps its size). */
static void preamble(ts_buf *b, ts_plot_term term, const char *out, int w, int h) {
    switch (term) {
    case TS_TERM_PNG:
        ts_buf_printf(b, "set terminal pngcairo size %d,%d noenhanced font 'Sans,10'\n", w, h);
        break;
    case TS_TERM_SVG:
        ts_buf_printf(b, "set terminal svg size %d,%d noenhanced font 'Sans,10' background '#ffffff'\n", w, h);
        break;
    case TS_TERM_PDF:
        ts_buf_printf(b, "set terminal pdfcairo size %gin,%gin noenhanced font 'Sans,10'\n", w / 100.0, h / 100.0);
        break;
    case TS_TERM_DUMB:
        ts_buf_puts(b, "set terminal dumb size 130,45 noenhanced\n");
        break;
    }
    ts_buf_puts(b, "set encoding utf8\nset output ");
    ts_gp_quote(b, out, TS_GP_TEXT);
    ts_buf_puts(b, "\n");
}

void ts_plot_preamble(ts_buf *b, ts_plot_term term, const char *out) {
    preamble(b, term, out, 1100, 650);
}

/* Reads everything from fd (from its start) into b. */
static void slurp(int fd, ts_buf *b) {
    char chunk[4096];
    ssize_t n;
    if (lseek(fd, 0, SEEK_SET) < 0) return;
    while ((n = read(fd, chunk, sizeof chunk)) > 0) ts_buf_append(b, chunk, (size_t)n);
}

/* Writes n bytes of s to the socket fd without raising SIGPIPE. Returns 0,
 * or -1 with errno set (EPIPE when gnuplot stopped reading). */
static int send_all(int fd, const char *s, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Waits for pid up to timeout_s seconds; kills it after. Returns the wait
 * status, or -1 on timeout (the child is then killed and reaped). */
static int wait_child(pid_t pid, int timeout_s) {
    struct timespec step = {0, 10 * 1000 * 1000};
    long ticks = (long)timeout_s * 100;
    for (long i = 0;; i++) {
        int status;
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) return status;
        if (w < 0 && errno != EINTR) return -2;
        if (i >= ticks) break;
        nanosleep(&step, NULL);
    }
    kill(pid, SIGKILL);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return -1;
}

/* Appends gnuplot's captured messages, trimmed, to a failure message. */
static int fail_with(ts_error *err, const char *what, const ts_buf *msgs) {
    const char *m = msgs->data && !msgs->oom ? msgs->data : "";
    while (*m == '\n' || *m == ' ') m++;
    size_t len = strlen(m);
    while (len && (m[len - 1] == '\n' || m[len - 1] == ' ')) len--;
    if (len > 900) {
        m += len - 900; /* the end holds the error */
        len = 900;
    }
    if (len) return ts_fail(err, TS_ESYSTEM, NULL, 0, "%s; gnuplot says:\n%.*s", what, (int)len, m);
    return ts_fail(err, TS_ESYSTEM, NULL, 0, "%s", what);
}

/* The descriptor a chart is written to in gnuplot (see draw_chart). */
#define CHART_FD 3

/* Runs gnuplot as ts_gnuplot_run does; when chart_fd >= 0, gnuplot also
 * gets that descriptor as its descriptor CHART_FD. */
static int gnuplot_spawn(const char *gnuplot, const char *script, size_t n, int timeout_s, int chart_fd,
                         ts_buf *messages, ts_error *err) {
    if (!gnuplot || !*gnuplot) gnuplot = "gnuplot";
    int sv[2];
    /* a socket pair rather than a pipe: send(MSG_NOSIGNAL) cannot raise
     * SIGPIPE in the caller if gnuplot exits before reading everything */
    /* ENOMEM reads "out of memory" (ts_errstr): no reason to draw less */
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "cannot create a pipe to gnuplot: %s", ts_errstr(errno));
    FILE *ef = tmpfile();
    if (!ef) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return ts_fail(err, TS_ESYSTEM, NULL, 0, "cannot create a file for gnuplot's messages: %s", ts_errstr(e));
    }
    int efd = fileno(ef);
    (void)fcntl(efd, F_SETFD, FD_CLOEXEC);
    /* each action allocates: one that failed would leave gnuplot reading
       our standard input or writing to our standard output */
    posix_spawn_file_actions_t fa;
    int src = posix_spawn_file_actions_init(&fa);
    int have_fa = src == 0;
    if (src == 0) src = posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
    if (src == 0) src = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (src == 0) src = posix_spawn_file_actions_adddup2(&fa, efd, 2);
    if (src == 0 && chart_fd >= 0) src = posix_spawn_file_actions_adddup2(&fa, chart_fd, CHART_FD);
    int set_up = src == 0;
    /* -d: ignore the user's ~/.gnuplot, so charts do not depend on it */
    char *argv[] = {(char *)gnuplot, (char *)"-d", NULL};
    pid_t pid;
    if (set_up) src = posix_spawnp(&pid, gnuplot, &fa, NULL, argv, environ);
    if (have_fa) posix_spawn_file_actions_destroy(&fa);
    close(sv[1]);
    ts_buf msgs = {0};
    int rc = TS_OK;
    if (src != 0) {
        if (src == ENOMEM || !set_up)
            rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "cannot run gnuplot '%s': %s", gnuplot, ts_errstr(src));
        else
            rc = ts_fail(err, TS_ESYSTEM, NULL, 0,
                         "cannot run gnuplot '%s': %s (install gnuplot, e.g. apt-get install gnuplot-nox, "
                         "or set TS_GNUPLOT to its path)",
                         gnuplot, strerror(src));
        close(sv[0]);
        fclose(ef);
        return rc;
    }
    int werr = send_all(sv[0], script, n) != 0 ? errno : 0;
    shutdown(sv[0], SHUT_WR);
    close(sv[0]);
    int status = wait_child(pid, timeout_s);
    slurp(efd, &msgs);
    fclose(ef);
    char what[600];
    if (status == -1) {
        snprintf(what, sizeof what, "gnuplot '%s' did not finish within %d s and was stopped", gnuplot, timeout_s);
        rc = fail_with(err, what, &msgs);
    } else if (status < 0) {
        rc = fail_with(err, "cannot wait for gnuplot", &msgs);
    } else if (WIFSIGNALED(status)) {
        snprintf(what, sizeof what, "gnuplot '%s' was killed by signal %d", gnuplot, WTERMSIG(status));
        rc = fail_with(err, what, &msgs);
    } else if (WEXITSTATUS(status) == 127 && werr) {
        snprintf(what, sizeof what, "cannot run gnuplot '%s' (exit status 127)", gnuplot);
        rc = fail_with(err, what, &msgs);
    } else if (WEXITSTATUS(status) != 0) {
        snprintf(what, sizeof what, "gnuplot '%s' failed (exit status %d)", gnuplot, WEXITSTATUS(status));
        rc = fail_with(err, what, &msgs);
    } else if (werr) {
        snprintf(what, sizeof what, "cannot send the script to gnuplot: %s", strerror(werr));
        rc = fail_with(err, what, &msgs);
    }
    if (messages && msgs.len) ts_buf_append(messages, msgs.data, msgs.len);
    ts_buf_free(&msgs);
    return rc;
}

int ts_gnuplot_run(const char *gnuplot, const char *script, size_t n, int timeout_s,
                   ts_buf *messages, ts_error *err) {
    return gnuplot_spawn(gnuplot, script, n, timeout_s, -1, messages, err);
}

/* ---- rendering --------------------------------------------------------- */

#define GNUPLOT_TIMEOUT_S 120

/* Copies the whole file open on fd (from its start) to out, written whole
 * or not at all (ts_outfile: a temporary file beside out, renamed over it).
 * Returns TS_OK, or TS_ESYSTEM with err naming out. */
static int copy_chart(int fd, const char *out, ts_error *err) {
    ts_outfile o;
    if (lseek(fd, 0, SEEK_SET) != 0 || ts_outfile_open(&o, out) != 0)
        return ts_fail(err, TS_ESYSTEM, out, 0, "cannot write: %s", ts_errstr(errno));
    char chunk[65536];
    ssize_t n;
    int failed = 0;
    while ((n = read(fd, chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || fwrite(chunk, 1, (size_t)n, o.f) != (size_t)n) {
            failed = errno ? errno : EIO;
            break;
        }
    }
    if (ts_outfile_close(&o, !failed) != 0 || failed)
        return ts_fail(err, TS_ESYSTEM, out, 0, "cannot write: %s", ts_errstr(failed ? failed : errno));
    return TS_OK;
}

/* Runs script (terminal lines, `set output '/dev/fd/3'`, the chart, `unset
 * output`) through gnuplot with the unnamed temporary file chart as its
 * descriptor 3. gnuplot never sees a path we chose: `set output` reads a
 * name starting with '|' as a shell command, so a user's path there could
 * run one; and an unnamed file leaves nothing behind when we are
 * interrupted. Returns TS_OK when gnuplot wrote something, or the error
 * with err filled (what names the chart in "gnuplot wrote nothing"). */
static int spawn_chart(const char *gnuplot, const ts_buf *script, FILE *chart, const char *what, ts_error *err) {
    /* a descriptor above the ones gnuplot_spawn rearranges (0 to 3), so no
       dup2 there overwrites it before it is passed on */
    (void)fcntl(fileno(chart), F_SETFD, FD_CLOEXEC);
    int chart_fd = fcntl(fileno(chart), F_DUPFD_CLOEXEC, 10);
    int rc;
    if (chart_fd < 0) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "cannot pass the chart file to gnuplot: %s", ts_errstr(errno));
    else if (script->oom) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    else rc = gnuplot_spawn(gnuplot, script->data, script->len, GNUPLOT_TIMEOUT_S, chart_fd, NULL, err);
    if (chart_fd >= 0) close(chart_fd);
    struct stat stb;
    if (rc == TS_OK && (fstat(fileno(chart), &stb) != 0 || stb.st_size == 0))
        rc = ts_fail(err, TS_ESYSTEM, what, 0, "gnuplot wrote nothing");
    return rc;
}

/* Runs the chart script body (without terminal lines) through gnuplot
 * (spawn_chart) on a canvas of w x h pixels and copies the chart to out
 * through ts_outfile. Returns TS_OK, or the error with err filled. */
static int draw_chart(const char *gnuplot, ts_plot_term term, int w, int h, const ts_buf *body, const char *out,
                      ts_error *err) {
    struct stat target;
    if (stat(out, &target) == 0 && !S_ISREG(target.st_mode))
        return ts_fail(err, TS_EUSAGE, out, 0, "not a regular file: a chart goes to a file");
    FILE *chart = tmpfile();
    if (!chart) return ts_fail(err, TS_ESYSTEM, NULL, 0, "cannot create a temporary file for the chart: %s",
                               ts_errstr(errno));
    ts_buf script = {0};
    char chart_path[32];
    snprintf(chart_path, sizeof chart_path, "/dev/fd/%d", CHART_FD);
    preamble(&script, term, chart_path, w, h);
    if (body->data) ts_buf_append(&script, body->data, body->len);
    ts_buf_puts(&script, "unset output\n");
    int rc = spawn_chart(gnuplot, &script, chart, out, err);
    ts_buf_free(&script);
    if (rc == TS_OK) rc = copy_chart(fileno(chart), out, err);
    fclose(chart);
    return rc;
}

int ts_gnuplot_draw(const char *gnuplot, const char *terminal, const ts_buf *body, ts_buf *chart, ts_error *err) {
    FILE *f = tmpfile();
    if (!f) return ts_fail(err, TS_ESYSTEM, NULL, 0, "cannot create a temporary file for the chart: %s", ts_errstr(errno));
    ts_buf script = {0};
    ts_buf_puts(&script, terminal);
    ts_buf_printf(&script, "set encoding utf8\nset output '/dev/fd/%d'\n", CHART_FD);
    if (body->data) ts_buf_append(&script, body->data, body->len);
    ts_buf_puts(&script, "unset output\n");
    int rc = spawn_chart(gnuplot, &script, f, NULL, err);
    ts_buf_free(&script);
    if (rc == TS_OK) {
        slurp(fileno(f), chart);
        if (chart->oom) rc = ts_fail(err, TS_ESYSTEM, NULL, 0, "out of memory");
    }
    fclose(f);
    return rc;
}

/* Stores the terminal out's extension picks in *term. Returns TS_OK, or
 * TS_EUSAGE for another extension or a path with a control character. */
static int check_output(const char *out, ts_plot_term *term, ts_error *err) {
    int rc = ts_plot_term_from_path(out, term, err);
    if (rc != TS_OK) return rc;
    for (const unsigned char *p = (const unsigned char *)out; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return ts_fail(err, TS_EUSAGE, NULL, 0, "output path contains a control character");
    return TS_OK;
}

int ts_plot_render(const char *db, const ts_plot_request *req, const char *out,
                   const char *gnuplot, ts_error *err) {
    ts_plot_term term;
    int rc = check_output(out, &term, err);
    if (rc != TS_OK) return rc;
    ts_plot_data *d;
    rc = ts_plot_data_load(db, req, &d, err);
    if (rc != TS_OK) return rc;
    rc = ts_plot_render_data(d, req, out, gnuplot, err);
    ts_plot_data_free(d);
    return rc;
}

int ts_plot_render_data(const ts_plot_data *d, const ts_plot_request *req, const char *out, const char *gnuplot,
                        ts_error *err) {
    ts_plot_term term;
    int rc = check_output(out, &term, err);
    if (rc != TS_OK) return rc;
    ts_buf body = {0};
    rc = ts_plot_script(d, req, term, &body, err);
    int w, h; /* the canvas the chart is laid out for */
    ts_plot_kind_correlation_canvas(d, &w, &h);
    if (rc == TS_OK) rc = draw_chart(gnuplot, term, w, h, &body, out, err);
    ts_buf_free(&body);
    return rc;
}
