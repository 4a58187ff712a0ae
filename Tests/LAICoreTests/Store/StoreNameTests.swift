// Model name tests: Ollama's defaults, hosts with ports, hf.co, and every way a name can be invalid.
import LAICore
import Testing

@Suite struct StoreNameTests {
    @Test(arguments: [
        ("smollm2", "registry.ollama.ai/library/smollm2:latest", "smollm2:latest"),
        ("smollm2:135m", "registry.ollama.ai/library/smollm2:135m", "smollm2:135m"),
        ("me/tiny", "registry.ollama.ai/me/tiny:latest", "me/tiny:latest"),
        ("hf.co/bartowski/SmolLM2-135M-Instruct-GGUF:Q4_K_M", "hf.co/bartowski/SmolLM2-135M-Instruct-GGUF:Q4_K_M",
         "hf.co/bartowski/SmolLM2-135M-Instruct-GGUF:Q4_K_M"),
        ("localhost:5000/me/tiny", "localhost:5000/me/tiny:latest", "localhost:5000/me/tiny:latest"),
        ("127.0.0.1:5000/library/smollm2:test", "127.0.0.1:5000/library/smollm2:test", "127.0.0.1:5000/library/smollm2:test"),
        ("https://example.com/a/b:c", "example.com/a/b:c", "example.com/a/b:c"),
        ("_x/y_1.2-3:v1.0", "registry.ollama.ai/_x/y_1.2-3:v1.0", "_x/y_1.2-3:v1.0"),
    ])
    func parses(input: String, full: String, short: String) throws {
        let n = try ModelName(parsing: input)
        #expect(n.fullName == full)
        #expect(n.description == short)
        #expect(try ModelName(parsing: n.fullName) == n)
    }

    @Test func pathsAndURLs() throws {
        let n = try ModelName(parsing: "hf.co/user/repo:Q4_0")
        #expect(n.manifestRelativePath == "hf.co/user/repo/Q4_0")
        let c = try RegistryClient(name: n, insecure: false, http: HTTPClient(), options: DownloadOptions())
        #expect(c.manifestURL.absoluteString == "https://hf.co/v2/user/repo/manifests/Q4_0")
        #expect(c.blobURL("sha256:ab").absoluteString == "https://hf.co/v2/user/repo/blobs/sha256:ab")
        let l = try RegistryClient(name: ModelName(parsing: "localhost:5000/me/tiny"), insecure: true, http: HTTPClient(), options: DownloadOptions())
        #expect(l.manifestURL.absoluteString == "http://localhost:5000/v2/me/tiny/manifests/latest")
    }

    @Test(arguments: [
        ("", "empty name"), ("../x", "must start with"), ("a/../b", "must start with"), ("..", "must start with"),
        ("a//b", "empty"), ("/abs", "empty"), ("x:", "empty tag"), ("a/b/c/d", "too many '/'"), ("-x", "must start with"),
        ("my.ns/x", "'.' not allowed in the namespace"), ("a b", "' ' not allowed"), ("x@sha256:00", "digests"),
        ("a:b:c", "':' not allowed in the name"), ("x:t/../y", "must start with"), ("mödel", "non-ASCII"),
    ])
    func rejects(input: String, reason: String) {
        do {
            _ = try ModelName(parsing: input)
            Issue.record("'\(input)' was accepted")
        } catch {
            let msg = "\(error)"
            #expect(msg.hasPrefix("invalid model name '\(input)': "), "\(msg)")
            #expect(msg.contains(reason), "\(msg)")
        }
    }

    @Test func lengthLimits() {
        #expect(throws: StoreError.self) { try ModelName(parsing: String(repeating: "a", count: 81)) }
        #expect((try? ModelName(parsing: String(repeating: "a", count: 80))) != nil)
    }
}
