import Glibc

/// Helpers shared by the test targets (no production code depends on this module).
public enum CPUTime {
    /// CPU seconds of the calling thread to run `body`, best of three: the measure the linear-time
    /// tests compare (scheduling noise and other processes do not count, unlike wall time).
    public static func best(of body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0..<3 {
            var start = timespec(), end = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
            body()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
            best = min(best, Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9)
        }
        return best
    }
}
