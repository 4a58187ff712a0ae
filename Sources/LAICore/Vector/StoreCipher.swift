// StoreCipher: encryption at rest for a store — AES-256-GCM (swift-crypto) over every file it writes.
import Crypto
import Foundation

/// The user's 32-byte key (from `LAI_KB_KEY` or a key file), never written to the store.
package struct StoreKey: Sendable {
    let key: SymmetricKey

    package init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else { throw VectorError.invalid("a knowledge base key is 32 bytes, got \(bytes.count)") }
        key = SymmetricKey(data: bytes)
    }

    /// Parses a key written as 64 hex digits or as base64 of 32 bytes; `source` names where it came from.
    package static func parse(_ text: String, source: String) throws -> StoreKey {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.count == 64, t.allSatisfy(\.isHexDigit) {
            var b: [UInt8] = []
            var i = t.startIndex
            while i < t.endIndex { let j = t.index(i, offsetBy: 2); b.append(UInt8(t[i..<j], radix: 16)!); i = j }
            return try StoreKey(bytes: b)
        }
        if let d = Data(base64Encoded: t), d.count == 32 { return try StoreKey(bytes: [UInt8](d)) }
        throw VectorError.invalid("\(source): a key must be 64 hex digits or base64 of 32 bytes (make one with: openssl rand -hex 32)")
    }

    /// Reads a key file: the text forms above, or exactly 32 raw bytes.
    package static func read(file: String) throws -> StoreKey {
        guard let d = FileManager.default.contents(atPath: file) else { throw FileError.cannotOpen(path: file, reason: "cannot read the key file") }
        if let s = String(data: d, encoding: .utf8), let k = try? parse(s, source: file) { return k }
        if d.count == 32 { return try StoreKey(bytes: [UInt8](d)) }
        return try parse(String(decoding: d, as: UTF8.self), source: file)
    }
}

/// Seals and opens a store's files with a key derived for this store: HKDF-SHA256 of the user's key with
/// the store's random salt (in the manifest's clear header), so one user key used for many stores still
/// gives each store its own AES key.
///
/// A sealed file is `LAIENC01`, a 96-bit nonce, the ciphertext and the 16-byte tag; the file's name is
/// authenticated with it, so files cannot be swapped. Nonces are random per file write: files are written
/// once (segments never change; a manifest is rewritten whole with a fresh nonce), and with random 96-bit
/// nonces a repeat under one key has probability about n²/2⁹⁷ after n writes — NIST SP 800-38D's bound of
/// 2³² writes per key is far beyond any store's life (a few files per commit).
package struct StoreCipher: Sendable {
    static let magic = Array("LAIENC01".utf8)
    static let overhead = 8 + 12 + 16
    let key: SymmetricKey
    let salt: [UInt8]

    init(key: StoreKey, salt: [UInt8]) {
        self.salt = salt
        self.key = HKDF<Crypto.SHA256>.deriveKey(inputKeyMaterial: key.key, salt: salt, info: Array("lai knowledge base v1".utf8), outputByteCount: 32)
    }

    static func newSalt() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    func seal<B: DataProtocol>(_ plain: B, name: String) throws -> [UInt8] {
        let box = try AES.GCM.seal(plain, using: key, nonce: AES.GCM.Nonce(), authenticating: Array(name.utf8))
        return Self.magic + Array(box.nonce) + Array(box.ciphertext) + Array(box.tag)
    }

    /// Opens a sealed file's bytes; `path` names it in errors. A failed tag check reads as a checksum mismatch
    /// (the manifest, opened first with the same key, tells a wrong key apart).
    func open(_ sealed: UnsafeRawBufferPointer, name: String, path: String) throws -> [UInt8] {
        Array(try openData(sealed, name: name, path: path))
    }

    func openData(_ sealed: UnsafeRawBufferPointer, name: String, path: String) throws -> Data {
        guard sealed.count >= Self.overhead, Array(sealed[0..<8]) == Self.magic else {
            throw VectorError.corrupt(path: path, reason: "not an encrypted lai store file")
        }
        do {
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: sealed[8..<20]), ciphertext: sealed[20..<(sealed.count - 16)],
                                            tag: sealed[(sealed.count - 16)...])
            return try AES.GCM.open(box, using: key, authenticating: Array(name.utf8))
        } catch {
            throw VectorError.checksumMismatch(path: path)
        }
    }
}
