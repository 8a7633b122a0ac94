/* The libwbxml peer of omadm-wbxml's codec bench: converts one WBXML document to XML with
 * libwbxml's wbxml_conv_wbxml2xml_run (create, compact generation, run, destroy: what a caller
 * does per message) in a loop, and prints the median time per conversion over 21 batches.
 *
 *   cc -O2 $(pkg-config --cflags libwbxml2) libwbxml_conv.c -o libwbxml_conv $(pkg-config --libs libwbxml2)
 *   ./libwbxml_conv FILE.wbxml [ITERATIONS_PER_BATCH]
 *
 * Output (one line): "libwbxml_conv BYTES B: MEDIAN_NS ns per conversion (XML_BYTES B of XML)".
 * Built and run by `cargo bench -p omadm-wbxml --bench codec` when libwbxml2-dev is installed. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <wbxml/wbxml.h>

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static WB_ULONG convert(WB_UTINY *in, WB_ULONG len) {
    WBXMLConvWBXML2XML *conv = NULL;
    WB_UTINY *xml = NULL;
    WB_ULONG xml_len = 0;
    if (wbxml_conv_wbxml2xml_create(&conv) != WBXML_OK) {
        fprintf(stderr, "wbxml_conv_wbxml2xml_create failed\n");
        exit(2);
    }
    wbxml_conv_wbxml2xml_set_gen_type(conv, WBXML_GEN_XML_COMPACT);
    WBXMLError ret = wbxml_conv_wbxml2xml_run(conv, in, len, &xml, &xml_len);
    wbxml_conv_wbxml2xml_destroy(conv);
    if (ret != WBXML_OK) {
        fprintf(stderr, "wbxml2xml failed: %s\n", wbxml_errors_string(ret));
        exit(2);
    }
    free(xml);
    return xml_len;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE.wbxml [ITERATIONS_PER_BATCH]\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 2; }
    static WB_UTINY buf[1 << 22];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    long iters = argc > 2 ? atol(argv[2]) : 200;
    WB_ULONG xml_len = 0;
    for (int i = 0; i < 20; i++) xml_len = convert(buf, (WB_ULONG)len); /* warm up */
    enum { BATCHES = 21 };
    double per[BATCHES];
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_ns();
        for (long i = 0; i < iters; i++) convert(buf, (WB_ULONG)len);
        per[b] = (now_ns() - t0) / (double)iters;
    }
    qsort(per, BATCHES, sizeof per[0], cmp);
    printf("libwbxml_conv %zu B: %.0f ns per conversion (%lu B of XML)\n", len, per[BATCHES / 2],
           (unsigned long)xml_len);
    return 0;
}
