import HSSPipeline
import XCTest

/// What client creation takes for a CA bundle (ca_file, SSL_CERT_FILE): a line that begins a
/// certificate as OpenSSL's PEM reader finds one; nothing is decoded.
final class CABundleTests: XCTestCase {
    private func begins(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { ClientConfiguration.beginsCertificate($0) }
    }

    func testACertificateLineAnywhereAtTheStartOfALine() {
        XCTAssertTrue(begins("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
        XCTAssertTrue(begins("# Debian's bundle\n\n-----BEGIN CERTIFICATE-----\nMIIB\n"))
        XCTAssertTrue(begins("subject=CN=x\r\n-----BEGIN CERTIFICATE-----\r\nMIIB\r\n"))
        XCTAssertTrue(begins("-----BEGIN CERTIFICATE-----"))
        XCTAssertTrue(begins("-----BEGIN X509 CERTIFICATE-----\nMIIB\n"))
    }

    func testNothingElseIsACertificate() {
        XCTAssertFalse(begins(""))
        XCTAssertFalse(begins("\n\n"))
        XCTAssertFalse(begins("this is not a certificate\n"))
        XCTAssertFalse(begins("# -----BEGIN CERTIFICATE-----\n"))
        XCTAssertFalse(begins("-----BEGIN CERTIFICATE----\n"))
        XCTAssertFalse(begins("-----BEGIN PRIVATE KEY-----\nMIIB\n"))
        XCTAssertFalse(begins("-----BEGIN TRUSTED CERTIFICATE-----\nMIIB\n"))
        XCTAssertFalse(begins("-----begin certificate-----\n"))
    }
}
