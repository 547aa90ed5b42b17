/* score.c -- a program that uses libthreatscore through threatscore.h only:
 * loads a scenario, scores it and prints the ranking at the index.
 *   cc score.c $(pkg-config --cflags --libs threatscore) -o score
 *   ./score scenarios/baseline.cfg */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <threatscore.h>

/* Prints "program: file:line: message" and returns the exit status. */
static int fail(const char *program, const ts_error *err) {
    char msg[2048];
    fprintf(stderr, "%s: %s\n", program, ts_error_format(err, msg, sizeof msg));
    return err->code == TS_EINPUT ? 1 : 3;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SCENARIO.cfg\n", argv[0]);
        return 2;
    }
    ts_error err;
    ts_error_clear(&err);
    ts_scenario *s = NULL;
    ts_result *r = NULL;
    if (ts_scenario_load(argv[1], &s, &err) != TS_OK) return fail(argv[0], &err);
    if (ts_score(s, &r, &err) != TS_OK) {
        ts_scenario_free(s);
        return fail(argv[0], &err);
    }
    int root = ts_scenario_root(s), n = ts_scenario_unit_count(s);
    printf("%s (libthreatscore %s)\n", ts_scenario_name(s), ts_version());
    /* Print in rank order: rank 1 first; ties share a rank. */
    for (int rank = 1; rank <= n; rank++) {
        for (int u = 0; u < n; u++) {
            if (ts_result_rank(r, root, u) != rank) continue;
            double x = ts_result_score(r, root, u);
            const char *cls = ts_result_class(s, r, root, u);
            if (isnan(x)) continue;
            printf("%4d  %-6s %-14s %6.2f  %s\n", rank, ts_scenario_unit_id(s, u), ts_scenario_unit_name(s, u), x,
                   cls ? cls : "");
        }
    }
    ts_result_free(r);
    ts_scenario_free(s);
    return 0;
}
