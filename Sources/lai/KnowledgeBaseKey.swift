// KnowledgeBaseKey: the key of an encrypted knowledge base, from --key-file or LAI_KB_KEY (never stored with it).
import Foundation
import LAICore

/// The key given for knowledge base directory `dir`: `--key-file` wins over `LAI_KB_KEY`; nil when neither is set.
/// A key file inside the knowledge base itself is refused: the key must not sit beside the data.
func knowledgeBaseKey(keyFile: String?, dir: String) throws -> StoreKey? {
    if let f = keyFile {
        let abs = URL(fileURLWithPath: f).standardizedFileURL.resolvingSymlinksInPath().path
        let kb = URL(fileURLWithPath: dir).standardizedFileURL.resolvingSymlinksInPath().path
        if abs.hasPrefix(kb + "/") { throw CommandError("\(f): the key file is inside the knowledge base; keep it elsewhere") }
        return try StoreKey.read(file: f)
    }
    if let k = ProcessInfo.processInfo.environment["LAI_KB_KEY"], !k.isEmpty { return try StoreKey.parse(k, source: "LAI_KB_KEY") }
    return nil
}
