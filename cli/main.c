/* main.c -- the threatscore executable: every command, plot included, is
 * dispatched by ts_cli_main (cli.c). */
#include <stdio.h>

#include "cli.h"
#include "cliopt.h"

int main(int argc, char **argv) {
    /* an interrupted command leaves no temporary output file behind */
    ts_cli_catch_signals();
    return ts_cli_main(argc, argv, stdout, stderr);
}
