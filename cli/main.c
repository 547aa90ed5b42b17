/* main.c -- the threatscore executable: every command, plot included, is
 * dispatched by ts_cli_main (cli.c). */
#include <stdio.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "cliopt.h"

int main(int argc, char **argv) {
    /* GSL's default error handler aborts the process (on a failed
       allocation in gsl_eigen_symmv_alloc, say); the engine checks every
       GSL result itself, so failures become errors with exit status 3. */
    gsl_set_error_handler_off();

    /* an interrupted command leaves no temporary output file behind */
    ts_cli_catch_signals();
    return ts_cli_main(argc, argv, stdout, stderr);
}
