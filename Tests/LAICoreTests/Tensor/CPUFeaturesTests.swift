// CPUFeatures: LAI_CPU picks a kernel level no higher than the CPU's.
import Testing
import LAICore

@Suite struct CPUFeaturesTests {
    @Test func environmentForcesALowerLevelOnly() {
        let detected = CPUFeatures(environment: nil).detected
        #expect(CPUFeatures(environment: nil).level == detected)
        #expect(CPUFeatures(environment: "native").level == detected)
        #expect(CPUFeatures(environment: "portable").level == .portable)
        #expect(!CPUFeatures(environment: "portable").kernels)
        #expect(CPUFeatures(environment: "AVX2").level == min(.avx2, detected))
        #expect(CPUFeatures(environment: "avx512").level == min(.avx512vnni, detected))
        #expect(CPUFeatures(environment: "sse9").level == detected)  // unknown: warned, detected level kept
        if detected >= .avx2 { #expect(CPUFeatures(environment: "avx2").packed.q4_0x8 != nil) }
    }
}
