// zstd's simple one-shot API (Debian's libzstd-dev), used for the vector store's text and keyword files.
#include <zstd.h>
