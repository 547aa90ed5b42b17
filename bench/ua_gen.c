/* ua_gen.c -- generates the uncertainty benchmark's scaling inputs: a
 * taxonomy of INDS indicators (categories of 10, dimensions of 5
 * categories, one index: 4 levels) and a wide CSV of UNITS units with
 * deterministic pseudo-random values, 5 % of them missing.
 * usage: ua_gen UNITS INDS TAXONOMY.cfg DATA.csv */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t state = 0x243f6a8885a308d3ULL;

static double uniform(void) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(state >> 11) * 0x1.0p-53;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: ua_gen UNITS INDS TAXONOMY.cfg DATA.csv\n");
        return 2;
    }
    int units = atoi(argv[1]), inds = atoi(argv[2]);
    if (units < 2 || inds < 1) return 2;
    FILE *t = fopen(argv[3], "w"), *d = fopen(argv[4], "w");
    if (!t || !d) return 3;
    fprintf(t, "id = \"index\"; name = \"Generated index\";\nscale = { min = 0.0; max = 100.0; };\n"
               "classes = ( { name = \"Low\"; }, { name = \"Medium\"; min = 40.0; }, { name = \"High\"; min = 60.0; } );\n"
               "children = (\n");
    int n_cat = (inds + 9) / 10, n_dim = (n_cat + 4) / 5, i = 0;
    for (int dm = 0; dm < n_dim; dm++) {
        fprintf(t, "%s  { id = \"d%d\"; children = (\n", dm ? ",\n" : "", dm);
        for (int c = dm * 5; c < n_cat && c < dm * 5 + 5; c++) {
            fprintf(t, "%s    { id = \"c%d\"; children = (\n", c > dm * 5 ? ",\n" : "", c);
            for (int j = 0; j < 10 && i < inds; j++, i++)
                fprintf(t, "%s      { id = \"i%d\"; direction = \"%s\"; }", j ? ",\n" : "", i, i % 7 == 3 ? "protective" : "risk");
            fprintf(t, " ); }");
        }
        fprintf(t, " ); }");
    }
    fprintf(t, "\n);\n");
    fprintf(d, "unit");
    for (int j = 0; j < inds; j++) fprintf(d, ",i%d", j);
    fputc('\n', d);
    for (int u = 0; u < units; u++) {
        fprintf(d, "U%d", u);
        double level = uniform();
        for (int j = 0; j < inds; j++) {
            if (uniform() < 0.05) fputs(",NA", d);
            else fprintf(d, ",%.6g", 10 * level + 5 * uniform() + (j % 3) * 2);
        }
        fputc('\n', d);
    }
    return fclose(t) || fclose(d) ? 3 : 0;
}
