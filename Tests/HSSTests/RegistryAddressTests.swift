import CHSSAPI
import HSSBase
import XCTest

/// registry_addr's shape, the whole grid (issue 23.1): what the API page
/// calls host[:port], refused before any traffic with the rule named.
final class RegistryAddressTests: XCTestCase {
    private func refusal(_ text: String) -> String? {
        do {
            try RegistryAddress.check(text)
            return nil
        } catch let error as HSSError {
            XCTAssertEqual(error.status, HSS_E_INVALID_ARGUMENT)
            XCTAssertFalse(error.message.contains(text), "the message echoes the value: \(error.message)")
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    func testHostAndPortAreAccepted() {
        for good in [
            "myharbor.com", "myharbor.com:443", "reg.example.com:5000", "10.0.0.1", "10.0.0.1:1", "host:65535",
            "[2001:db8::1]", "[2001:db8::1]:5000", "[::ffff:10.0.0.1]:443", "реестр.пример:443",
            "中中中", "my_registry-1.local", "r" + String(repeating: "r", count: 255),
        ] {
            XCTAssertNil(refusal(good), good)
        }
    }

    func testEachRuleIsNamed() {
        let cases: [(String, String)] = [
            ("https://harbor.example.com/", "no scheme"),
            ("http://harbor.example.com", "no scheme"),
            (" harbor.example.com", "no spaces"),
            ("harbor.example.com ", "no spaces"),
            ("harbor example.com", "no spaces"),
            ("harbor.example.com\u{3000}", "no spaces"),
            ("harbor.example.com/library", "no path"),
            ("harbor.example.com?x=1", "no query, fragment or user name"),
            ("admin@harbor.example.com", "no query, fragment or user name"),
            ("harbor.example.com:99999", "a port from 1 to 65535"),
            ("harbor.example.com:0", "a port from 1 to 65535"),
            ("harbor.example.com:", "a port from 1 to 65535"),
            ("harbor.example.com:+443", "a port from 1 to 65535"),
            ("harbor.example.com:44a", "a port from 1 to 65535"),
            ("2001:db8:aa::9", "an IPv6 address goes in brackets"),
            ("fe80::1:5000", "an IPv6 address goes in brackets"),
            ("[2001:db8:aa::9", "an IPv6 address needs its closing ']'"),
            ("[harbor.example.com]", "an IPv6 address in brackets"),
            ("[2001:db8:aa::9]5000", "nothing after the ']' but ':port'"),
            (":443", "a host before the ':'"),
            ("harbor..example.com", "no empty label"),
            (".harbor.example.com", "no empty label"),
            ("harbor.example.com.", "no empty label"),
            ("harbor!.example.com", "letters, digits, '-', '_' and '.' in the host"),
            ("harbor.exa*mple.com", "letters, digits, '-', '_' and '.' in the host"),
        ]
        for (bad, rule) in cases {
            let message = refusal(bad)
            XCTAssertNotNil(message, bad)
            XCTAssertTrue(message?.hasPrefix("registry_addr must be host or host:port: ") ?? false, bad)
            XCTAssertTrue(message?.contains(rule) ?? false, "\(bad): \(message ?? "accepted")")
        }
    }
}
