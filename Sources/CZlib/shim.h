#ifndef PASSERELLE_CZLIB_SHIM_H
#define PASSERELLE_CZLIB_SHIM_H
#include <zlib.h>

// deflateInit2 / inflateInit2 are macros that Swift cannot import; these wrappers pass
// the version and struct size the macros would.
static inline int passerelle_deflateInit2(z_streamp strm, int level, int method, int windowBits,
                                          int memLevel, int strategy) {
    return deflateInit2(strm, level, method, windowBits, memLevel, strategy);
}

static inline int passerelle_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
#endif
