// RateLimiter: a token bucket that allows bursts up to `capacity` requests.

/// Refills `ratePerSecond` tokens every second; each request takes one token.
final class RateLimiter {
    let capacity: Double
    let ratePerSecond: Double
    private var tokens: Double
    private var last: Double

    init(capacity: Double, ratePerSecond: Double, now: Double) {
        self.capacity = capacity; self.ratePerSecond = ratePerSecond; tokens = capacity; last = now
    }

    /// Returns false when the bucket is empty (the request should be rejected with HTTP 429).
    func allow(now: Double) -> Bool {
        tokens = min(capacity, tokens + (now - last) * ratePerSecond)
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
