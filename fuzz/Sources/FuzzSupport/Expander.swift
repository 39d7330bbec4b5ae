/// A structure-aware generator: turns a small fuzzer input into a large, deeply nested or
/// repetitive one, so that libFuzzer's mutations of a few dozen bytes reach the sizes at which
/// quadratic work and recursion show (a 4 KB random input never holds 200,000 nested `<div>`s).
///
/// An input that starts with ``marker`` is a program of instructions; any other input is used
/// as it is. Each instruction is one op byte, a 16-bit little-endian count, and a fragment
/// (the bytes up to the next 0x00, at most 64):
/// - op & 3 == 0: the fragment once;
/// - op & 3 == 1: the fragment `count << shift` times (shift = op >> 2 & 7, so up to 8 M);
/// - op & 3 == 2: nesting: the fragment is `open 0x01 close`; `open` is written `count << shift`
///   times now and `close` as many times at the end (innermost first);
/// - op & 3 == 3: the fragment and a newline, `count << shift` times (millions of lines).
/// The output stops at `limit` bytes.
public enum Expander {
    public static let marker: UInt8 = 0xEE

    public static func expand(_ input: [UInt8], limit: Int) -> [UInt8] {
        guard input.first == marker else { return Array(input.prefix(limit)) }
        var out: [UInt8] = []
        out.reserveCapacity(min(limit, 1 << 20))
        var closes: [([UInt8], Int)] = []
        var i = 1
        func append(_ bytes: [UInt8], times: Int) {
            guard !bytes.isEmpty else { return }
            var n = 0
            while n < times, out.count + bytes.count <= limit {
                out.append(contentsOf: bytes)
                n += 1
            }
        }
        while i + 3 <= input.count, out.count < limit {
            let op = input[i]
            let count = (Int(input[i + 1]) | Int(input[i + 2]) << 8) << Int(op >> 2 & 7)
            i += 3
            var fragment: [UInt8] = []
            while i < input.count, input[i] != 0, fragment.count < 64 {
                fragment.append(input[i])
                i += 1
            }
            i += 1  // the 0x00
            switch op & 3 {
            case 0: append(fragment, times: 1)
            case 1: append(fragment, times: count)
            case 2:
                let split = fragment.firstIndex(of: 1) ?? fragment.count
                append(Array(fragment[..<split]), times: count)
                closes.append((split < fragment.count ? Array(fragment[(split + 1)...]) : [], count))
            default: append(fragment + [0x0A], times: count)
            }
        }
        for (close, count) in closes.reversed() { append(close, times: count) }
        return out
    }

    /// A program (for seeds): instructions as (op, count, fragment).
    public static func program(_ instructions: [(UInt8, UInt16, String)]) -> [UInt8] {
        var bytes = [marker]
        for (op, count, fragment) in instructions {
            bytes += [op, UInt8(count & 0xFF), UInt8(count >> 8)] + Array(fragment.utf8) + [0]
        }
        return bytes
    }
}
