import Glibc
import HSSBase
import XCTest

/// Reading small secret files: only regular files, never blocking, within a limit, into a SecureBuffer.
final class SecureFileTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/hss-securefile-XXXXXX".utf8CString)
        folder = try XCTUnwrap(mkdtemp(&template).map { String(cString: $0) })
    }

    override func tearDown() {
        // Plain files, a FIFO and symlinks only: one level to remove.
        if let dir = opendir(folder) {
            while let entry = readdir(dir) {
                let name = withUnsafePointer(to: entry.pointee.d_name) {
                    String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
                }
                if name != "." && name != ".." { unlink(folder + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(folder)
    }

    /// Writes `bytes` to a new file in the test's folder and returns its path.
    private func file(_ name: String, _ bytes: [UInt8], mode: mode_t = 0o600) -> String {
        let path = folder + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }, bytes.count)
        close(fd)
        chmod(path, mode)  // not filtered by the umask
        return path
    }

    /// The failure reading `path` gives, nil when it reads.
    private func failure(_ path: String, maxBytes: Int = 1024) -> SecureFile.Failure? {
        do throws(SecureFile.Failure) {
            _ = try SecureFile.read(path, maxBytes: maxBytes)
            return nil
        } catch {
            return error
        }
    }

    func testReadsTheWholeFileAndItsMode() throws {
        let text = Array("ak = AK\nsk = S3CR3T\n".utf8)
        let path = file("credentials", text, mode: 0o640)
        let (contents, mode) = try SecureFile.read(path, maxBytes: 1024)
        XCTAssertEqual(withExtendedLifetime(contents) { Array(contents.bytes) }, text)
        XCTAssertEqual(mode & S_IFMT, S_IFREG)
        XCTAssertEqual(mode & 0o7777, 0o640)
    }

    func testLargerFileArrivesIntact() throws {
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let (contents, _) = try SecureFile.read(file("big", bytes), maxBytes: 300_000)
        XCTAssertEqual(withExtendedLifetime(contents) { Array(contents.bytes) }, bytes)
    }

    func testEmptyFileIsEmpty() throws {
        let (contents, _) = try SecureFile.read(file("empty", []), maxBytes: 10)
        XCTAssertTrue(contents.isEmpty)
    }

    func testExactlyTheLimitIsRead() throws {
        let bytes = [UInt8](repeating: 0x41, count: 10)
        let (contents, _) = try SecureFile.read(file("ten", bytes), maxBytes: 10)
        XCTAssertEqual(withExtendedLifetime(contents) { Array(contents.bytes) }, bytes)
    }

    func testOneByteOverTheLimitIsRefused() {
        XCTAssertEqual(failure(file("eleven", [UInt8](repeating: 0x41, count: 11)), maxBytes: 10), .tooLarge(limit: 10))
    }

    /// /proc files state size 0 but have contents: read to the end, not to st_size.
    func testReadsPastAZeroStatedSize() throws {
        XCTAssertGreaterThan(try SecureFile.read("/proc/self/status", maxBytes: 1 << 16).contents.count, 0)
        XCTAssertEqual(failure("/proc/self/status", maxBytes: 16), .tooLarge(limit: 16))
    }

    /// `until`: only the beginning that the caller needs, in growing steps, and the same checks.
    func testUntilReadsOnlyWhatIsNeeded() throws {
        let bytes = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let path = file("bundle", bytes)
        var seen: [Int] = []
        let (contents, _) = try SecureFile.read(path, maxBytes: 4 << 20) { read in
            seen.append(read.count)
            return read.count >= 10_000
        }
        XCTAssertEqual(seen, [4096, 8192, 16384])
        XCTAssertEqual(withExtendedLifetime(contents) { Array(contents.bytes) }, Array(bytes[..<16384]))
    }

    func testUntilReadsToTheEndWhenNeverEnough() throws {
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let (contents, _) = try SecureFile.read(file("bundle", bytes), maxBytes: 100_000) { _ in false }
        XCTAssertEqual(withExtendedLifetime(contents) { Array(contents.bytes) }, bytes)
    }

    func testUntilKeepsTheChecks() throws {
        func failure(_ path: String, maxBytes: Int = 1024) -> SecureFile.Failure? {
            do throws(SecureFile.Failure) {
                _ = try SecureFile.read(path, maxBytes: maxBytes) { _ in true }
                return nil
            } catch {
                return error
            }
        }
        XCTAssertEqual(failure(file("eleven", [UInt8](repeating: 0x41, count: 11)), maxBytes: 10), .tooLarge(limit: 10))
        XCTAssertEqual(failure(folder), .notRegular)
        XCTAssertEqual(failure("/dev/zero"), .notRegular)
        XCTAssertEqual(mkfifo(folder + "/fifo", 0o600), 0)
        XCTAssertEqual(failure(folder + "/fifo"), .notRegular)
        XCTAssertEqual(failure(folder + "/absent"), .missing)
    }

    func testMissingFileAndMissingDirectory() {
        XCTAssertEqual(failure(folder + "/absent"), .missing)
        XCTAssertEqual(failure(folder + "/absent/credentials"), .missing)
        // ENOTDIR: a path through a regular file.
        XCTAssertEqual(failure(file("plain", [1]) + "/credentials"), .missing)
    }

    func testDirectoryIsRefused() {
        XCTAssertEqual(failure(folder), .notRegular)
    }

    /// Opened non-blocking: a FIFO with no writer is refused at once instead of hanging.
    func testFIFODoesNotBlock() {
        let path = folder + "/fifo"
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        XCTAssertEqual(failure(path), .notRegular)
    }

    func testDevicesAreRefused() {
        XCTAssertEqual(failure("/dev/zero"), .notRegular)
        XCTAssertEqual(failure("/dev/null"), .notRegular)
    }

    func testOtherErrorsKeepTheirErrno() {
        let path = folder + "/loop"
        XCTAssertEqual(symlink(path, path), 0)
        XCTAssertEqual(failure(path), .unreadable(ELOOP))
    }

    func testMessagesNameThePathNotTheContents() {
        let what = "credentials file '/x/credentials'"
        XCTAssertEqual(SecureFile.Failure.missing.describe(what), "credentials file '/x/credentials' does not exist")
        XCTAssertEqual(SecureFile.Failure.notRegular.describe(what), "\(what) is not a regular file")
        XCTAssertEqual(SecureFile.Failure.tooLarge(limit: 10).describe(what), "\(what) is larger than 10 bytes")
        XCTAssertEqual(
            SecureFile.Failure.unreadable(EACCES).describe(what), "\(what) cannot be read: Permission denied")
    }
}
