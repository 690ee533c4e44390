import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The threads behind `parallelFor`: `ComputeThreads.count − 1` long-lived workers that keep polling
/// for the next job for a short while after each one, then sleep.
///
/// Why not `DispatchQueue.concurrentPerform` alone: on these VMs a sleeping thread takes ~35 µs to
/// wake (measured: two 17 µs chunks took 52 µs through concurrentPerform, 34 µs on one thread).
/// Decoding a token runs ~120 parallel loops of 10–300 µs each, so waking a thread per loop cost
/// more than the second core gave. A worker that is still polling picks a job up in well under a
/// microsecond. Polling yields the core (`sched_yield`) so it never starves a runnable thread, and
/// stops after `pollingWindow` without work, so an idle process does not burn a core.
///
/// One job runs at a time; a `parallelFor` that finds the team busy (called from two threads at
/// once, or nested) falls back to `concurrentPerform`.
final class WorkerTeam: @unchecked Sendable {
    // Sendable: `job` is written only by the thread that holds `busy`, before the release store that
    // publishes it in `state`, and read only by threads that claimed a chunk from that state (acquire).
    static let shared = WorkerTeam()

    /// How long an idle worker keeps polling before it sleeps: longer than the gaps between the
    /// parallel loops of one decoded token (sampling, attention), far shorter than a human pause.
    static let pollingWindow: UInt64 = 2_000_000  // nanoseconds

    private let busy = Atomic<Bool>(false)
    /// The published job: generation (high 32 bits), chunk count (bits 16–31), next unclaimed chunk (low 16).
    private let state = Atomic<UInt64>(0)
    /// Chunks of the current job not finished yet; the caller returns when it reaches zero.
    private let unfinished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let wakeUp = NSCondition()
    private var job: (@Sendable (Int) -> Void)?
    private let startedWorkers = Mutex<Int>(0)

    /// Runs `body(chunk)` for every chunk in `0..<chunks` across the caller and the workers; returns
    /// when all have finished. Returns false (and runs nothing) if another job holds the team.
    func run(chunks: Int, _ body: @Sendable (Int) -> Void) -> Bool {
        precondition(chunks > 0 && chunks < 1 << 16)
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        ensureWorkers(chunks - 1)
        withoutActuallyEscaping(body) { body in
            job = body
            unfinished.store(chunks, ordering: .relaxed)
            let generation = (state.load(ordering: .relaxed) >> 32) &+ 1
            // Publishing the job and reading `sleepers` are sequentially consistent, as the sleeper's
            // increment and its re-check of `state` are: either it sees this job or this sees it asleep.
            state.store(generation << 32 | UInt64(chunks) << 16, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                wakeUp.lock()
                wakeUp.broadcast()
                wakeUp.unlock()
            }
            // The caller works too, so a job never waits for a worker that is slow to start.
            while let chunk = claim(generation: generation) {
                body(chunk)
                unfinished.subtract(1, ordering: .releasing)
            }
            // A worker still on its chunk: spin briefly, then yield in case it shares this core.
            var spins = 0
            while unfinished.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins > 10_000 { sched_yield() }
            }
            job = nil
        }
        return true
    }

    /// Takes the next chunk of job `generation`, or nil when none is left (or a newer job replaced it).
    private func claim(generation: UInt64) -> Int? {
        var current = state.load(ordering: .acquiring)
        while true {
            let chunks = (current >> 16) & 0xFFFF, next = current & 0xFFFF
            guard current >> 32 == generation, next < chunks else { return nil }
            let (exchanged, original) = state.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return Int(next) }
            current = original
        }
    }

    private func ensureWorkers(_ count: Int) {
        startedWorkers.withLock { started in
            while started < count {
                let thread = Thread { [unowned self] in self.work() }
                thread.name = "quantkit-worker-\(started)"
                thread.start()
                started += 1
            }
        }
    }

    private func work() {
        var seen = state.load(ordering: .acquiring) >> 32
        var idleSince = DispatchTime.now().uptimeNanoseconds
        while true {
            let generation = state.load(ordering: .acquiring) >> 32
            if generation != seen {
                seen = generation
                while let chunk = claim(generation: generation) {
                    // Claimed a chunk of a live job: its caller is waiting on `unfinished`, so `job` is set.
                    job!(chunk)
                    unfinished.subtract(1, ordering: .releasing)
                }
                idleSince = DispatchTime.now().uptimeNanoseconds
            } else if DispatchTime.now().uptimeNanoseconds - idleSince < Self.pollingWindow {
                sched_yield()
            } else {
                wakeUp.lock()
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while state.load(ordering: .sequentiallyConsistent) >> 32 == seen { wakeUp.wait() }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                wakeUp.unlock()
                idleSince = DispatchTime.now().uptimeNanoseconds
            }
        }
    }
}
