// ThreadPool: persistent worker threads that split each kernel call into tasks, sized to the machine.
import Foundation
import Synchronization
import LAIKernels

/// A fixed set of threads (the caller plus `threadCount - 1` workers) that run one parallel loop at a time.
///
/// A forward pass makes hundreds of parallel calls per token, so dispatch must cost microseconds: workers
/// spin briefly on a generation counter before sleeping on a condition variable, and tasks are handed out
/// through an atomic counter. Safe to call from several threads: while one caller owns the workers,
/// others run their tasks on their own thread.
package final class ThreadPool: @unchecked Sendable {
    package let threadCount: Int
    private let shared: PoolState

    /// The machine's active processor count, or `LAI_THREADS` when set.
    package static var defaultThreadCount: Int {
        if let s = ProcessInfo.processInfo.environment["LAI_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    package static let shared = ThreadPool(threads: defaultThreadCount)
    package static let maxTasks = PoolState.fieldMask

    package init(threads: Int) {
        threadCount = max(1, threads)
        let state = PoolState()
        shared = state
        for i in 1..<threadCount {
            // Workers hold the state, not the pool, so the pool can be released while they sleep.
            let t = Thread { state.workerLoop() }
            t.name = "lai-worker-\(i)"
            t.stackSize = 1 << 20
            t.start()
        }
    }

    deinit { shared.stop() }

    /// Runs `body(task)` for every task in `0..<tasks`, spread over all threads; returns when all are done.
    package func parallelFor(_ tasks: Int, _ body: (Int) -> Void) {
        if tasks <= 0 { return }
        precondition(tasks <= Self.maxTasks)
        if tasks == 1 || threadCount == 1 {
            for t in 0..<tasks { body(t) }
            return
        }
        // One job at a time: a second caller (another thread, or a task calling back in) runs its
        // tasks itself instead of corrupting the job in flight.
        guard shared.busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for t in 0..<tasks { body(t) }
            return
        }
        withoutActuallyEscaping(body) { b in shared.run(tasks, b) }
        shared.busy.store(false, ordering: .releasing)
    }

    /// Splits `0..<count` into about `threadCount * oversubscribe` contiguous ranges and runs them in parallel.
    package func parallelRanges(_ count: Int, minChunk: Int = 1, oversubscribe: Int = 4, _ body: (Range<Int>) -> Void) {
        if count <= 0 { return }
        let chunks = max(1, min(threadCount * oversubscribe, (count + minChunk - 1) / minChunk))
        let size = (count + chunks - 1) / chunks
        parallelFor((count + size - 1) / size) { t in
            body((t * size)..<min(count, (t + 1) * size))
        }
    }
}

/// The state the caller and the workers share.
final class PoolState: @unchecked Sendable {
    /// One snapshot of the current job: generation (high bits), task count (22 bits), next task (22 bits).
    /// Workers claim tasks by compare-and-swap on this word, so a late worker can never claim a task of a
    /// job other than the one whose generation it saw.
    private let state = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    /// Set while a caller owns the workers.
    let busy = Atomic<Bool>(false)
    private var body: ((Int) -> Void)?
    private let mutex = NSCondition()
    static let fieldBits = 22
    static let fieldMask = (1 << 22) - 1

    private static func generation(_ s: Int) -> Int { s >> (2 * fieldBits) }

    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        state.add(1 << (2 * Self.fieldBits), ordering: .sequentiallyConsistent)
        mutex.lock(); mutex.broadcast(); mutex.unlock()
    }

    func run(_ tasks: Int, _ b: @escaping (Int) -> Void) {
        body = b
        finished.store(0, ordering: .sequentiallyConsistent)
        let gen = (Self.generation(state.load(ordering: .relaxed)) + 1) & ((1 << 19) - 1)
        state.store((gen << (2 * Self.fieldBits)) | (tasks << Self.fieldBits), ordering: .sequentiallyConsistent)
        if sleepers.load(ordering: .sequentiallyConsistent) > 0 { mutex.lock(); mutex.broadcast(); mutex.unlock() }
        runTasks(generation: gen)
        // Wait for tasks other threads claimed; yield after a while so that on a busy machine a
        // descheduled worker gets the core back instead of being spun against.
        var spins = 0
        while finished.load(ordering: .acquiring) < tasks {
            spins += 1
            if spins > 2_000 { sched_yield() } else { spinPause() }
        }
        body = nil
    }

    /// Claims and runs tasks of job `generation` until none are left.
    private func runTasks(generation gen: Int) {
        var s = state.load(ordering: .acquiring)
        while Self.generation(s) == gen {
            let next = s & Self.fieldMask
            let count = (s >> Self.fieldBits) & Self.fieldMask
            if next >= count { return }
            let (exchanged, current) = state.compareExchange(expected: s, desired: s + 1, ordering: .acquiringAndReleasing)
            if exchanged {
                // The job cannot finish (and `body` cannot change) while this claimed task is unfinished.
                body?(next)
                finished.add(1, ordering: .releasing)
                s = state.load(ordering: .acquiring)
            } else {
                s = current
            }
        }
    }

    func workerLoop() {
        var seen = Self.generation(state.load(ordering: .acquiring))
        while true {
            // Spin a while for the next call (the gap between kernels is microseconds), then sleep.
            var spins = 0
            while Self.generation(state.load(ordering: .acquiring)) == seen {
                spins += 1
                if spins < 20_000 { spinPause(); continue }
                if spins < 40_000 { sched_yield(); continue }
                mutex.lock()
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while Self.generation(state.load(ordering: .sequentiallyConsistent)) == seen { mutex.wait() }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                mutex.unlock()
            }
            if stopping.load(ordering: .acquiring) { return }
            seen = Self.generation(state.load(ordering: .acquiring))
            runTasks(generation: seen)
        }
    }
}

/// A CPU hint that this is a spin loop (`pause` on x86), so a waiting thread costs less.
@inline(__always) func spinPause() { lai_cpu_relax() }
