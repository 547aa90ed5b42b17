/* main.c -- the threatscore executable. `plot` goes to plots/, which
 * depends on the engine library (never the other way round). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "plot.h"

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "plot") == 0) return ts_plot_command(argc - 1, argv + 1, stdout, stderr);
    return ts_cli_main(argc, argv, stdout, stderr);
}
