/// The version of Jiansuo: what `jiansuod --version`, `jiansuo --version`, `status` and the
/// Debian package (`make deb` reads this line) report. One place, so that they cannot differ.
public enum JiansuoVersion {
    public static let current = "0.2.0"
}
