/* batch_csvread.c -- the baseline of the CSV benchmark: reads a taxonomy
 * and a wide CSV into the values matrix exactly as `score --taxonomy T
 * --data D.csv` does (ts_scenario_from_csv: both passes of the streaming
 * reader, hashing and number parsing), then stops: no scoring, no output.
 * Usage: batch_csvread TAXONOMY CSV */
#include <stdio.h>

#include "scenario.h"

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: batch_csvread TAXONOMY CSV\n");
        return 2;
    }
    ts_error err;
    ts_error_clear(&err);
    ts_csv_options opt = {NULL, NULL, NULL, TS_ENC_AUTO};
    ts_scenario *s = NULL;
    ts_scenario_from_csv(argv[1], argv[2], &opt, &s, &err);
    if (!s) {
        char msg[2048];
        fprintf(stderr, "%s\n", ts_error_format(&err, msg, sizeof msg));
        return 1;
    }
    printf("%d units x %d indicators read\n", s->data->n_units, s->tax->n_indicators);
    ts_scenario_free(s);
    return 0;
}
