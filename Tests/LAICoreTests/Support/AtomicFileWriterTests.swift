// AtomicFileWriter: complete files only, also with several writers of one path in one process.
import Foundation
import Testing
import LAICore

@Suite struct AtomicFileWriterTests {
    /// Eight threads write different contents to the same path at once (as two conversions of the same folder
    /// do): every commit succeeds, the file is one writer's complete content, and no temporary file is left.
    /// With one temporary name per process the writers truncated each other's file and all but one rename failed.
    @Test func concurrentWritersOfOnePathInOneProcess() throws {
        let dir = try Fixtures.tempDir(); defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.bin").path
        let writers = 8, size = 3 << 20
        let errors = NSLock()
        var failures: [String] = []
        DispatchQueue.concurrentPerform(iterations: writers) { i in
            do {
                let w = try AtomicFileWriter(path: path)
                let chunk = [UInt8](repeating: UInt8(i), count: 1 << 16)
                for _ in 0..<(size / chunk.count) { try w.write(chunk) }
                try w.commit()
            } catch {
                errors.lock(); failures.append("\(error)"); errors.unlock()
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count == size)
        #expect(Set(data).count == 1, "bytes of several writers in one file")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.bin"])
    }
}
