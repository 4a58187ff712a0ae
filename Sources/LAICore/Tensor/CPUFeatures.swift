// CPUFeatures: which kernel set this process uses, detected once at start (LAI_CPU overrides it).
import Foundation
import LAIKernels

/// The instruction-set level the kernels run at.
///
/// Detected from the CPU (CPUID) at start. `LAI_CPU` forces a lower level: `portable` (the Swift reference
/// path), `avx2` (AVX2/FMA/F16C kernels only, what most users' CPUs run, even on an AVX-512 machine), or
/// `avx512vnni`. A level the CPU lacks is refused with a warning and the detected one is used.
package struct CPUFeatures: @unchecked Sendable, CustomStringConvertible {
    package enum Level: Int, Comparable, Sendable, CaseIterable {
        case portable = 0, avx2 = 1, avx512vnni = 2
        package static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        package var name: String { switch self { case .portable: "portable"; case .avx2: "avx2"; case .avx512vnni: "avx512vnni" } }
    }

    /// What the CPU (and the build) supports.
    package let detected: Level
    /// What this process uses.
    package let level: Level

    /// The packed-weight kernels for this level (function pointers chosen once).
    package let packed: lai_packed_kernels

    package static let active = CPUFeatures(environment: ProcessInfo.processInfo.environment["LAI_CPU"])

    package init(environment value: String?) {
        let flags = lai_cpu_features()
        let d: Level = flags & 4 != 0 ? .avx512vnni : flags & 1 != 0 ? .avx2 : .portable
        detected = d
        level = Self.level(value, detected: d)
        packed = lai_packed_kernel_set(level >= .avx512vnni ? 1 : 0)
    }

    private static func level(_ value: String?, detected d: Level) -> Level {
        guard let v = value?.lowercased(), !v.isEmpty, v != "native" else { return d }
        guard let want = Level.allCases.first(where: { $0.name == v || (v == "avx512" && $0 == .avx512vnni) }) else {
            FileHandle.standardError.write(Data("lai: LAI_CPU=\(v) is not one of portable, avx2, avx512vnni, native; using \(d.name)\n".utf8))
            return d
        }
        if want > d {
            FileHandle.standardError.write(Data("lai: LAI_CPU=\(v) is not supported by this CPU; using \(d.name)\n".utf8))
            return d
        }
        return want
    }

    /// Whether the C kernels run, packed weights included (else the portable Swift twins).
    package var kernels: Bool { level >= .avx2 }

    package var description: String { level == detected ? level.name : "\(level.name) (CPU: \(detected.name))" }
}
