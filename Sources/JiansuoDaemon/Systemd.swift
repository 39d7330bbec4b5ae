import Foundation
import Glibc

/// The two systemd protocols the daemon speaks, without libsystemd:
/// - readiness and status notification (sd_notify(3)): datagrams to `$NOTIFY_SOCKET`;
/// - socket activation (sd_listen_fds(3)): a listening socket passed as fd 3 with
///   `$LISTEN_PID` = our pid and `$LISTEN_FDS` ≥ 1.
enum Systemd {
    /// The listening socket systemd passed, or nil when not socket-activated. The `LISTEN_*`
    /// variables are removed so that child processes do not inherit them.
    static func activatedSocket() -> Int32? {
        let env = ProcessInfo.processInfo.environment
        defer {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
        }
        guard let pid = env["LISTEN_PID"].flatMap(Int32.init), pid == getpid(),
              let count = env["LISTEN_FDS"].flatMap(Int.init), count >= 1 else { return nil }
        let fd: Int32 = 3  // SD_LISTEN_FDS_START
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    /// Sends `state` ("READY=1", "STATUS=…", "STOPPING=1", "WATCHDOG=1") to the service
    /// manager; does nothing when `$NOTIFY_SOCKET` is not set. Never fails the caller.
    static func notify(_ state: String) {
        guard let path = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"], !path.isEmpty, path.utf8.count < 108 else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            if bytes.first == UInt8(ascii: "@") { raw[0] = 0 }  // abstract namespace
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let message = Array(state.utf8)
        _ = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, length) }
            }
        }
    }

    /// Half the watchdog interval systemd asked for (`$WATCHDOG_USEC` for our pid), in seconds.
    static var watchdogPeriod: Double? {
        let env = ProcessInfo.processInfo.environment
        guard let usec = env["WATCHDOG_USEC"].flatMap(Double.init), usec > 0 else { return nil }
        if let pid = env["WATCHDOG_PID"].flatMap(Int32.init), pid != getpid() { return nil }
        return usec / 2_000_000
    }
}
