// OpenBLAS's CBLAS interface (Debian's libopenblas-dev), used for large F32 matrix products.
#include <cblas.h>
