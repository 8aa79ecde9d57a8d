/*
 * A stand-in for an experiment's analysis program (in the spirit of ALEPH's ALPHA): reads an event
 * file ("run event energy angle" per line), fills a histogram of the energy, and writes the histogram
 * and a log with the mean and RMS. Statically linked, so the capsule carries everything it needs.
 *   alpha EVENTS OUTDIR
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BINS 20
#define EMAX 45.6

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: alpha EVENTS OUTDIR\n");
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    if (!in) {
        perror(argv[1]);
        return 1;
    }
    long hist[BINS] = {0};
    long n = 0;
    double sum = 0, sum2 = 0;
    long run, event;
    double energy, angle;
    while (fscanf(in, "%ld %ld %lf %lf", &run, &event, &energy, &angle) == 4) {
        int bin = (int)(energy / EMAX * BINS);
        if (bin < 0) bin = 0;
        if (bin >= BINS) bin = BINS - 1;
        hist[bin]++;
        n++;
        sum += energy;
        sum2 += energy * energy;
    }
    fclose(in);

    char path[4096];
    snprintf(path, sizeof path, "%s/histogram.txt", argv[2]);
    FILE *h = fopen(path, "w");
    if (!h) {
        perror(path);
        return 1;
    }
    fprintf(h, "# bin low high entries\n");
    for (int i = 0; i < BINS; i++)
        fprintf(h, "%2d %8.4f %8.4f %6ld\n", i, EMAX * i / BINS, EMAX * (i + 1) / BINS, hist[i]);
    fclose(h);

    snprintf(path, sizeof path, "%s/alpha.log", argv[2]);
    FILE *l = fopen(path, "w");
    if (!l) {
        perror(path);
        return 1;
    }
    double mean = n ? sum / n : 0;
    double rms = n ? sqrt(sum2 / n - mean * mean) : 0;
    fprintf(l, "ALPHA demo analysis\nevents %ld\nmean_energy %.6f\nrms_energy %.6f\n", n, mean, rms);
    fclose(l);
    return 0;
}
