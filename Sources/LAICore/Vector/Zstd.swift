// Zstd: one-shot zstd compression for the store's text and keyword files.
import CZstd

enum Zstd {
    static func compress(_ bytes: [UInt8], level: Int32 = 3) throws -> [UInt8] {
        let bound = ZSTD_compressBound(bytes.count)
        var out = [UInt8](repeating: 0, count: bound)
        let n = out.withUnsafeMutableBytes { o in
            bytes.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, bound, i.baseAddress, i.count, level) }
        }
        if ZSTD_isError(n) != 0 { throw VectorError.invalid("zstd: " + String(cString: ZSTD_getErrorName(n))) }
        out.removeSubrange(n...)
        return out
    }

    /// Decompresses one frame; `path` names the file in errors. The frame must state its size (ours do).
    static func decompress(_ bytes: UnsafeRawBufferPointer, path: String) throws -> [UInt8] {
        let size = ZSTD_getFrameContentSize(bytes.baseAddress, bytes.count)
        if size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > UInt64(1) << 36 {
            throw VectorError.corrupt(path: path, reason: "not a zstd frame with a known size")
        }
        var out = [UInt8](repeating: 0, count: Int(size))
        let n = out.withUnsafeMutableBytes { o in ZSTD_decompress(o.baseAddress, o.count, bytes.baseAddress, bytes.count) }
        if ZSTD_isError(n) != 0 || n != Int(size) {
            throw VectorError.corrupt(path: path, reason: "zstd: " + (ZSTD_isError(n) != 0 ? String(cString: ZSTD_getErrorName(n)) : "short frame"))
        }
        return out
    }
}
