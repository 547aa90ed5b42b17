/* cliopt.c -- what the commands share: exit codes, option parsing, error
 * printing, output files, opening a store and number output. */
#include "cliopt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario.h"

int ts_exit_code(int ts_code) {
    switch (ts_code) {
    case TS_OK: return EXIT_OK;
    case TS_EINPUT: return EXIT_INPUT;
    case TS_EUSAGE: return EXIT_USAGE;
    default: return EXIT_SYSTEM;
    }
}

int ts_print_error(FILE *errs, const char *prog, const ts_error *err) {
    char msg[2048];
    ts_error_format(err, msg, sizeof msg);
    /* a failure that left no message (once: CSV from a pipe) must still
       say something */
    if (!msg[0]) snprintf(msg, sizeof msg, "failed without saying why (an internal error: please report it)");
    fprintf(errs, "%s: %s\n", prog, msg);
    return ts_exit_code(err->code ? err->code : TS_ESYSTEM);
}

/* Returns 1 when c may start or continue an option name. */
static int option_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* Returns 1 for an ASCII letter. */
static int is_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Returns the length of the option name starting at p ("-j", "--format"),
 * or 0 when p does not start one. */
static size_t option_at(const char *p) {
    if (p[0] != '-') return 0;
    if (!(is_letter(p[1]) || (p[1] == '-' && is_letter(p[2])))) return 0;
    size_t n = 1;
    while (option_char(p[n])) n++;
    return n;
}

/* Reads the value placeholder after an option ending at p: " FILE",
 * "=KEY=VALUE" or " table|csv|json" (a single space, then a word with a
 * capital, a digit or a '|'). Stores it in out (n bytes); "" for a flag. */
static void placeholder_at(const char *p, char *out, size_t n) {
    out[0] = '\0';
    if (!(p[0] == '=' || (p[0] == ' ' && p[1] != ' '))) return;
    const char *w = p + 1;
    size_t len = 0;
    int looks_like_value = 0;
    while (w[len] && w[len] != ' ' && w[len] != '\n' && w[len] != ']' && w[len] != ')') {
        char c = w[len];
        looks_like_value |= (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '|';
        len++;
    }
    if (len > 0 && w[len - 1] == ',') len--;
    if (!looks_like_value || len == 0 || w[0] == '[' || w[0] == '-' || w[0] == '(' || len >= n) return;
    memcpy(out, w, len);
    out[len] = '\0';
}

void ts_usage_options(const char *usage, ts_optlist *o) {
    o->n = 0;
    for (const char *p = usage; *p; p++) {
        int word_start = p == usage || strchr(" [(,|\n", p[-1]);
        size_t len = word_start ? option_at(p) : 0;
        if (!len) continue;
        if (len < sizeof o->name[0]) {
            int k = 0;
            while (k < o->n && !(strncmp(o->name[k], p, len) == 0 && o->name[k][len] == '\0')) k++;
            if (k == o->n && o->n < TS_MAX_OPTIONS) {
                memcpy(o->name[k], p, len);
                o->name[k][len] = '\0';
                o->arg[k][0] = '\0';
                o->n++;
            }
            /* the first mention with a placeholder says what the option takes */
            if (k < o->n && !o->arg[k][0]) placeholder_at(p + len, o->arg[k], sizeof o->arg[k]);
        }
        p += len - 1;
    }
}

const char *ts_usage_suggest(const char *usage, const char *arg, char *buf, size_t n) {
    size_t len = arg ? option_at(arg) : 0;
    if (!len || (arg[len] != '\0' && arg[len] != '=')) return NULL;
    ts_optlist o;
    ts_usage_options(usage, &o);
    const char *names[TS_MAX_OPTIONS];
    for (int k = 0; k < o.n; k++) {
        if (strncmp(o.name[k], arg, len) == 0 && o.name[k][len] == '\0') return NULL; /* a known option */
        names[k] = o.name[k];
    }
    char word[64];
    snprintf(word, sizeof word, "%.*s", (int)len, arg);
    const char *hint = ts_suggest(word, names, (size_t)o.n);
    if (!hint) return NULL;
    snprintf(buf, n, "%s", hint);
    return buf;
}

void ts_help_pointer(FILE *errs, const char *usage) {
    static const char lead[] = "usage: threatscore ";
    const char *cmd = strncmp(usage, lead, sizeof lead - 1) == 0 ? usage + sizeof lead - 1 : "";
    size_t len = 0;
    while (cmd[len] == '-' || (cmd[len] >= 'a' && cmd[len] <= 'z')) len++; /* "score", "new-scenario" */
    if (len) fprintf(errs, "Run 'threatscore %.*s --help' for its usage and options.\n", (int)len, cmd);
    else fputs("Run 'threatscore --help' for the list of commands.\n", errs);
}

int ts_usage_error(FILE *errs, const char *prog, const char *usage, const char *fmt, const char *arg) {
    char hint[64];
    fprintf(errs, "%s: ", prog);
    fprintf(errs, fmt, arg);
    if (ts_usage_suggest(usage, arg, hint, sizeof hint)) fprintf(errs, " (did you mean '%s'?)", hint);
    fputc('\n', errs);
    ts_help_pointer(errs, usage);
    return EXIT_USAGE;
}

int ts_is_help(const char *arg) {
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

const char *ts_opt_value(int argc, char **argv, int *i, const char *name, int *missing) {
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n] != '\0') return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

/* Returns 1 when path names standard output: absent, or "-". */
static int is_stdout(const char *path) {
    return !path || strcmp(path, "-") == 0;
}

/* Returns why an output could not be written: "out of memory" for ENOMEM
 * (the words every command uses for it), else strerror's text. */
static const char *write_failure(int errnum) {
    return errnum == ENOMEM ? "out of memory" : strerror(errnum);
}

FILE *ts_open_output(FILE *out, FILE *errs, const char *prog, const char *path, ts_outfile *o) {
    if (is_stdout(path)) {
        /* held in an unnamed temporary file until the command succeeds, so
           that one failing half way (out of memory) has printed nothing */
        if (ts_outfile_hold(o, out) == 0) return o->f;
        if (errno == ENOMEM) {
            fprintf(errs, "%s: out of memory\n", prog);
            return NULL;
        }
        memset(o, 0, sizeof *o); /* no temporary file here: printed as it is made */
        return out;
    }
    if (ts_outfile_open(o, path) != 0) {
        fprintf(errs, "%s: %s: cannot write: %s\n", prog, path, write_failure(errno));
        return NULL;
    }
    if (o->tmp) ts_cli_track_temp_at(o->dir_fd, o->tmp_name);
    return o->f;
}

int ts_close_output(FILE *errs, const char *prog, FILE *f, const char *path, ts_outfile *o, int ok) {
    if (is_stdout(path) && !o->to) return fflush(f) == 0 || !ok ? EXIT_OK : EXIT_SYSTEM;
    if (is_stdout(path)) {
        if (ts_outfile_close(o, ok) == 0) return EXIT_OK;
        fprintf(errs, "%s: cannot write to standard output: %s\n", prog, write_failure(errno));
        return EXIT_SYSTEM;
    }
    char tmp[NAME_MAX + 1] = "";
    if (o->tmp_name) snprintf(tmp, sizeof tmp, "%s", o->tmp_name);
    int rc = ts_outfile_close(o, ok);
    int saved = errno;
    /* only now: until the temporary file is renamed or removed, a signal
       must still find it (through the tracker's own copy of the
       directory's descriptor, which ts_outfile_close has closed) */
    if (tmp[0]) ts_cli_untrack_temp(tmp);
    if (rc == 0) return EXIT_OK;
    fprintf(errs, "%s: %s: cannot write: %s\n", prog, path, write_failure(saved));
    return EXIT_SYSTEM;
}

long ts_parse_count(const char *v) {
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < 1 || n > 1000000000L) return -1;
    return n;
}

int ts_cmd_error(const ts_cmd *c, const ts_error *err) {
    return ts_print_error(c->errs, c->prog, err);
}

int ts_cmd_usage(const ts_cmd *c, const char *usage, const char *fmt, const char *arg) {
    return ts_usage_error(c->errs, c->prog, usage, fmt, arg);
}

FILE *ts_cmd_open_output(const ts_cmd *c, const char *path, ts_outfile *o) {
    return ts_open_output(c->out, c->errs, c->prog, path, o);
}

int ts_cmd_close_output(const ts_cmd *c, FILE *f, const char *path, ts_outfile *o, int ok) {
    return ts_close_output(c->errs, c->prog, f, path, o, ok);
}

int ts_cmd_oom(const ts_cmd *c) {
    fprintf(c->errs, "%s: out of memory\n", c->prog);
    return EXIT_SYSTEM;
}

int ts_cmd_open_store(const ts_cmd *c, const char *db, ts_store **st) {
    *st = NULL;
    if (access(db, F_OK) != 0) {
        fprintf(c->errs, "%s: %s: %s\n", c->prog, db, strerror(errno));
        return EXIT_INPUT;
    }
    ts_error err;
    ts_error_clear(&err);
    if (ts_store_open(db, st, &err)) return ts_cmd_error(c, &err);
    return EXIT_OK;
}

int ts_cmd_one_stdin(const ts_cmd *c, const char *usage, int argc, char **argv) {
    int n = 0;
    for (int i = 1; i < argc; i++) n += strcmp(argv[i], "-") == 0;
    if (n > 1) return ts_cmd_usage(c, usage, "standard input ('-') can be read only once%s", "");
    return EXIT_OK;
}

int ts_cmd_file_arg(const ts_cmd *c, const char *arg, ts_file_arg *in) {
    memset(in, 0, sizeof *in);
    in->path = in->read = arg;
    if (strcmp(arg, "-") != 0) return EXIT_OK;
    const char *dir = getenv("TMPDIR");
    snprintf(in->tmp, sizeof in->tmp, "%s/threatscore-stdin-XXXXXX", dir && dir[0] ? dir : "/tmp");
    int fd = mkstemp(in->tmp);
    if (fd >= 0) ts_cli_track_temp(in->tmp); /* removed on a signal too */
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        fprintf(c->errs, "%s: cannot copy standard input: %s\n", c->prog, write_failure(errno));
        if (fd >= 0) close(fd), remove(in->tmp), ts_cli_untrack_temp(in->tmp);
        in->tmp[0] = '\0';
        return EXIT_SYSTEM;
    }
    char chunk[65536];
    size_t got;
    int failed = 0;
    while (!failed && (got = fread(chunk, 1, sizeof chunk, stdin)) > 0) failed = fwrite(chunk, 1, got, f) != got;
    failed |= ferror(stdin) != 0;
    failed |= fclose(f) != 0;
    if (failed) {
        fprintf(c->errs, "%s: cannot copy standard input: %s\n", c->prog, strerror(errno));
        ts_file_arg_free(in);
        return EXIT_SYSTEM;
    }
    in->path = TS_STDIN_NAME;
    in->read = in->tmp;
    return EXIT_OK;
}

void ts_file_arg_free(ts_file_arg *in) {
    if (in->tmp[0]) {
        remove(in->tmp);
        ts_cli_untrack_temp(in->tmp);
    }
    in->tmp[0] = '\0';
}

int ts_cmd_load_scenario(const ts_cmd *c, const char *arg, ts_file_arg *in, ts_scenario **s) {
    *s = NULL;
    int rc = ts_cmd_file_arg(c, arg, in);
    if (rc != EXIT_OK) return rc;
    ts_error err;
    ts_error_clear(&err);
    if (ts_scenario_load_as(in->path, in->read, s, &err) != TS_OK) return ts_cmd_error(c, &err);
    return EXIT_OK;
}

int ts_cmd_load_csv(const ts_cmd *c, const char *taxonomy, const char *data, const ts_csv_args *a, ts_file_arg *in,
                    ts_scenario **s) {
    *s = NULL;
    /* the engine reads a data file "-" from standard input itself */
    memset(in, 0, sizeof *in);
    in->path = in->read = data;
    ts_error err;
    ts_error_clear(&err);
    if (ts_scenario_from_csv(taxonomy, data, &a->opt, s, &err) != TS_OK) return ts_cmd_error(c, &err);
    return EXIT_OK;
}

/* Splits --missing's comma-separated list into a->missing (NULL-
 * terminated); an empty entry stands for empty cells. Returns 0, or -1
 * when out of memory. */
static int parse_missing(ts_csv_args *a, const char *list) {
    free(a->missing_buf);
    free(a->missing);
    a->missing_buf = strdup(list);
    size_t n = 2;
    for (const char *p = list; *p; p++) n += *p == ',';
    a->missing = calloc(n, sizeof *a->missing);
    if (!a->missing_buf || !a->missing) return -1;
    size_t k = 0;
    char *start = a->missing_buf;
    for (char *p = a->missing_buf;; p++) {
        if (*p == ',' || *p == '\0') {
            int end = *p == '\0';
            *p = '\0';
            a->missing[k++] = start;
            start = p + 1;
            if (end) break;
        }
    }
    a->opt.missing = a->missing;
    return 0;
}

int ts_csv_args_parse(const ts_cmd *c, const char *usage, int argc, char **argv, int *i, ts_csv_args *a, int *rc) {
    int missing = 0;
    const char *v;
    *rc = EXIT_OK;
    if ((v = ts_opt_value(argc, argv, i, "--unit-column", &missing))) {
        a->opt.unit_column = v;
    } else if ((v = ts_opt_value(argc, argv, i, "--name-column", &missing))) {
        a->opt.name_column = v;
    } else if ((v = ts_opt_value(argc, argv, i, "--missing", &missing))) {
        if (parse_missing(a, v)) {
            fprintf(c->errs, "%s: out of memory\n", c->prog);
            *rc = EXIT_SYSTEM;
        }
    } else if ((v = ts_opt_value(argc, argv, i, "--encoding", &missing))) {
        if (strcmp(v, "auto") == 0) a->opt.encoding = TS_ENC_AUTO;
        else if (strcmp(v, "utf-8") == 0 || strcmp(v, "utf8") == 0) a->opt.encoding = TS_ENC_UTF8;
        else if (strcmp(v, "latin1") == 0 || strcmp(v, "latin-1") == 0 || strcmp(v, "iso-8859-1") == 0)
            a->opt.encoding = TS_ENC_LATIN1;
        else *rc = ts_cmd_usage(c, usage, "unknown encoding '%s' (auto, utf-8 or latin1)", v);
    } else if (missing) {
        *rc = ts_cmd_usage(c, usage, "option %s needs a value", argv[*i]);
    } else {
        return 0;
    }
    a->given = 1;
    return 1;
}

void ts_csv_args_free(ts_csv_args *a) {
    free(a->missing_buf);
    free(a->missing);
    a->missing_buf = NULL;
    a->missing = NULL;
}

/* Appends path (taken over; NULL stands for a failed strdup). Returns 0,
 * or -1 when out of memory (path is then freed). */
static int path_list_add(ts_path_list *l, char *path, int from_dir) {
    if (!path) return -1;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **p = realloc(l->path, (size_t)cap * sizeof *p);
        if (p) l->path = p;
        unsigned char *d = p ? realloc(l->from_dir, (size_t)cap) : NULL;
        if (d) l->from_dir = d;
        if (!p || !d) {
            free(path);
            return -1;
        }
        l->cap = cap;
    }
    l->path[l->n] = path;
    l->from_dir[l->n++] = (unsigned char)from_dir;
    return 0;
}

int ts_path_list_add(ts_path_list *l, const char *path, int from_dir) {
    return path_list_add(l, strdup(path), from_dir);
}

void ts_path_list_free(ts_path_list *l) {
    for (int i = 0; i < l->n; i++) free(l->path[i]);
    free(l->path);
    free(l->from_dir);
    memset(l, 0, sizeof *l);
}

/* qsort comparison of two C strings (name order). */
static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns 1 when name ends in ".cfg" after at least one character. */
static int has_cfg_suffix(const char *name) {
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".cfg") == 0;
}

int ts_cmd_collect(ts_cmd *c, const char *arg, ts_path_list *l) {
    struct stat sb;
    if (stat(arg, &sb) != 0) {
        fprintf(c->errs, "%s: %s: %s\n", c->prog, arg, strerror(errno));
        return EXIT_INPUT;
    }
    if (!S_ISDIR(sb.st_mode)) return path_list_add(l, strdup(arg), 0) ? ts_cmd_oom(c) : EXIT_OK;
    DIR *dir = opendir(arg);
    if (!dir) {
        fprintf(c->errs, "%s: %s: %s\n", c->prog, arg, strerror(errno));
        return EXIT_INPUT;
    }
    ts_path_list found = {0};
    int failed = 0;
    struct dirent *e;
    while (!failed && (e = readdir(dir))) {
        if (!has_cfg_suffix(e->d_name)) continue;
        size_t len = strlen(arg) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (path) snprintf(path, len, "%s/%s", arg, e->d_name);
        /* a directory named x.cfg is not a config file; a FIFO or device
           is kept, so that reading it reports what it is */
        struct stat fb;
        if (path && stat(path, &fb) == 0 && S_ISDIR(fb.st_mode)) {
            free(path);
            continue;
        }
        failed = path_list_add(&found, path, 1) != 0;
    }
    closedir(dir);
    if (found.n) qsort(found.path, (size_t)found.n, sizeof *found.path, cmp_str);
    for (int i = 0; i < found.n && !failed; i++) {
        failed = path_list_add(l, found.path[i], 1) != 0;
        found.path[i] = NULL;
    }
    ts_path_list_free(&found);
    return failed ? ts_cmd_oom(c) : EXIT_OK;
}

int ts_cmd_unknown_unit(const ts_cmd *c, const ts_scenario *s, const char *id) {
    const ts_dataset *d = s->data;
    const char *hint = ts_suggest(id, d->unit_id, (size_t)d->n_units);
    fprintf(c->errs, "%s: %s: unknown unit '%s'", c->prog, s->path ? s->path : s->data_path, id);
    if (hint) {
        fprintf(c->errs, " (did you mean '%s'?)\n", hint);
        return EXIT_INPUT;
    }
    fputs(" (units:", c->errs);
    for (int u = 0; u < d->n_units && u < 12; u++) fprintf(c->errs, " %s", d->unit_id[u]);
    fprintf(c->errs, "%s)\n", d->n_units > 12 ? " ..." : "");
    return EXIT_INPUT;
}

/* ---- an output is not an input ----------------------------------------- */

/* Returns the last component of path. */
static const char *last_component(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Returns 1 when paths a and b name one file (see ts_cmd_check_output);
 * stat follows symbolic links, so a link and its target are one file. */
static int same_file(const char *a, const char *b) {
    struct stat sa, sb;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea || eb) return 0;
    /* neither exists (yet): one name in one directory */
    if (strcmp(last_component(a), last_component(b)) != 0) return 0;
    char *da = ts_dirname(a), *db = ts_dirname(b);
    int same = da && db && stat(da, &sa) == 0 && stat(db, &sb) == 0 ? sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
                                                                   : strcmp(a, b) == 0;
    free(da);
    free(db);
    return same;
}

/* Returns 1 when path names no file: NULL, empty, or "-" (a standard
 * stream). */
static int no_file(const char *path) {
    return !path || !path[0] || strcmp(path, "-") == 0;
}

int ts_cmd_check_output(const ts_cmd *c, const char *option, const char *out, const ts_cmd_input *in, int n) {
    if (no_file(out)) return EXIT_OK;
    struct stat sb;
    if (stat(out, &sb) == 0 && !S_ISREG(sb.st_mode)) return EXIT_OK;
    static const char *const db_files[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < n; i++) {
        if (no_file(in[i].path)) continue;
        for (int k = 0; k < (in[i].is_db ? 4 : 1); k++) {
            char side[PATH_MAX + 16];
            if ((size_t)snprintf(side, sizeof side, "%s%s", in[i].path, db_files[k]) >= sizeof side) continue;
            if (!same_file(out, side)) continue;
            /* name the input as given when it is spelt otherwise */
            fprintf(c->errs, "%s: %s %s: that is %s%s%s%s%s; the output must be another file\n", c->prog, option, out,
                    k ? "a file SQLite keeps beside " : "", in[i].what, strcmp(out, side) ? " (" : "",
                    strcmp(out, side) ? side : "", strcmp(out, side) ? ")" : "");
            return EXIT_USAGE;
        }
    }
    return EXIT_OK;
}

int ts_cmd_check_output_scenario(const ts_cmd *c, const char *option, const char *out, const struct ts_scenario *s) {
    if (no_file(out) || !s) return EXIT_OK;
    int rc = EXIT_OK;
    /* standard input (copied to a file of its own) is no file of the user's */
    for (int i = 0; i < s->n_files && rc == EXIT_OK; i++) {
        if (strcmp(s->file_path[i], TS_STDIN_NAME) == 0) continue;
        const ts_cmd_input in = {s->file_path[i], i ? "a scenario file it extends" : "the scenario", 0};
        rc = ts_cmd_check_output(c, option, out, &in, 1);
    }
    ts_cmd_input more[2] = {{s->taxonomy_path, "the taxonomy", 0}, {s->data_path, "the data file", 0}};
    if (rc == EXIT_OK) rc = ts_cmd_check_output(c, option, out, more, 2);
    return rc;
}

int ts_same_double(double a, double b) {
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0;
}

void ts_out_number(ts_buf *b, double x) {
    char num[40];
    ts_buf_puts(b, ts_fmt_double(num, sizeof num, x));
}

void ts_out_json_string(ts_buf *b, const char *s) {
    if (s) ts_buf_json_string(b, s);
    else ts_buf_puts(b, "null");
}

void ts_out_json_int(ts_buf *b, int x) {
    if (x) ts_buf_printf(b, "%d", x);
    else ts_buf_puts(b, "null");
}

int ts_overrides_add(FILE *errs, const char *prog, ts_overrides *ov, const char *kv, const char *usage) {
    if (!strchr(kv, '=') || kv[0] == '=') return ts_usage_error(errs, prog, usage, "--set takes KEY=VALUE, not '%s'", kv);
    if (ov->n == 64) return ts_usage_error(errs, prog, usage, "too many --set options (at most 64)%s", "");
    ov->set[ov->n++] = kv;
    return 0;
}

int ts_overrides_apply(FILE *errs, const char *prog, struct ts_scenario *s, const ts_overrides *ov) {
    ts_error err;
    ts_error_clear(&err);
    if (ts_scenario_apply_options(s, NULL, 0, ov->set, ov->n, &err)) return ts_print_error(errs, prog, &err);
    return 0;
}

/* ---- temporary files removed on a signal -------------------------------- */

enum { TEMP_FREE, TEMP_FILLING, TEMP_READY, MAX_TEMPS = 8 };

/* Global because a signal handler can reach nothing else. Each tracked
 * file is a name in a directory open on temp_dir[i], a descriptor of the
 * tracker's own (a duplicate), so the handler never uses memory that was
 * freed or a descriptor that was closed and reused, and a path of any
 * length can be tracked. */
static atomic_int temp_state[MAX_TEMPS];
static int temp_dir[MAX_TEMPS];
static char temp_name[MAX_TEMPS][NAME_MAX + 1];

void ts_cli_track_temp_at(int dir_fd, const char *name) {
    if (strlen(name) >= sizeof temp_name[0]) return;
    for (int i = 0; i < MAX_TEMPS; i++) {
        int expected = TEMP_FREE;
        if (!atomic_compare_exchange_strong(&temp_state[i], &expected, TEMP_FILLING)) continue;
        temp_dir[i] = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
        if (temp_dir[i] < 0) {
            atomic_store(&temp_state[i], TEMP_FREE);
            return;
        }
        memcpy(temp_name[i], name, strlen(name) + 1);
        atomic_store(&temp_state[i], TEMP_READY);
        return;
    }
}

void ts_cli_track_temp(const char *path) {
    int fd = ts_open_dir_of(path);
    if (fd < 0) return;
    ts_cli_track_temp_at(fd, last_component(path));
    close(fd);
}

void ts_cli_untrack_temp(const char *path) {
    const char *name = last_component(path);
    for (int i = 0; i < MAX_TEMPS; i++)
        if (atomic_load(&temp_state[i]) == TEMP_READY && strcmp(temp_name[i], name) == 0) {
            atomic_store(&temp_state[i], TEMP_FILLING);
            close(temp_dir[i]);
            atomic_store(&temp_state[i], TEMP_FREE);
            return;
        }
}

/* Removes the tracked files (unlinkat is async-signal-safe), then ends the
 * process by the same signal, so the parent sees how it ended. */
static void remove_temps_and_die(int sig) {
    for (int i = 0; i < MAX_TEMPS; i++)
        if (atomic_load(&temp_state[i]) == TEMP_READY) unlinkat(temp_dir[i], temp_name[i], 0);
    signal(sig, SIG_DFL);
    raise(sig);
}

void ts_cli_catch_signals(void) {
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction old, sa;
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN) continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = remove_temps_and_die;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}
