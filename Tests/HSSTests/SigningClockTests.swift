import CHSSAPI
import HSSSigning
import HSSTransport
import XCTest

/// The clock requests are signed with (hss.h, "Clock skew"): HTTP dates read
/// strictly, a correction applied only within a day, trusted for a limited
/// time, and X-Sdk-Date formatting total over any time a server can name.
final class SigningClockTests: XCTestCase {
    /// Clocks a test moves by hand.
    private final class Clocks {
        var wallMs = 1_700_000_000_000
        var monotonicMs = 5_000
        func advance(_ ms: Int) {
            wallMs += ms
            monotonicMs += ms
        }
    }

    private func clock(_ clocks: Clocks) -> SigningClock {
        SigningClock(wallMs: { clocks.wallMs }, monotonicMs: { clocks.monotonicMs })
    }

    func testHTTPDatesAreReadStrictly() {
        XCTAssertEqual(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT"), 784_111_777)
        for text in [
            "Mon, 01 Jan -999 00:00:00 GMT", "Mon, 01 Jan -001 00:00:00 GMT", "Mon, 01 Jan +999 00:00:00 GMT",
            "Mon, +1 Jan 2024 00:00:00 GMT", "Mon, 01 Jan 2024 +0:00:00 GMT", "Mon, 01 Jan 2024 00:-1:00 GMT",
            "Mon, 01 Jan 2024  0:00:00 GMT", "Mon, 01 Jan 20244 00:00:00 GMT", "Mon, 01 Jan 2024 00:00:00 UTC",
            // The day's name is one of seven, case-sensitive (found by the dates fuzz target), in bytes.
            "Ion, 07 Dec 2026 11:34:51 GMT", "sun, 06 Nov 1994 08:49:37 GMT", "Sun\u{301}, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT\u{301}", "Sun, 06 Nov\u{301} 1994 08:49:37 GMT",
        ] {
            XCTAssertNil(HTTPDate.parse(text), text)
        }
        XCTAssertEqual(HTTPDate.retryAfterMs("3", now: 0), 3000)
        XCTAssertNil(HTTPDate.retryAfterMs("-3", now: 0))
        XCTAssertNil(HTTPDate.retryAfterMs("+3", now: 0))
    }

    /// A server can name any year from 0000 to 9999, and a corrected clock
    /// anything within a day of that: X-Sdk-Date never traps (issue 20.1).
    func testSDKDateIsTotal() {
        for time in [Int.min, -62_167_219_200 - 86_400, -1, 0, 253_402_300_799 + 86_400, Int.max] {
            let date = Signer.sdkDate(time)
            XCTAssertEqual(date.utf8.count, 16, "\(time)")
        }
        XCTAssertEqual(Signer.sdkDate(-1), "19700101T000000Z")
        XCTAssertEqual(Signer.sdkDate(Int.max), "99991231T235959Z")
    }

    func testACorrectionWithinADayIsApplied() {
        let clocks = Clocks()
        let clock = clock(clocks)
        let (offset, applied) = clock.correct(serverDate: clocks.wallMs / 1000 + 16 * 60)
        XCTAssertTrue(applied)
        XCTAssertEqual(offset, 960)
        XCTAssertEqual(clock.now(), clocks.wallMs / 1000 + 960)
    }

    /// Issue 20.2: one answer with any Date moved the clock there for good.
    func testACorrectionBeyondADayIsRefused() {
        let clocks = Clocks()
        let clock = clock(clocks)
        for days in [-40_000, -2, 2, 3_000_000] {
            let (offset, applied) = clock.correct(serverDate: clocks.wallMs / 1000 + days * 86_400)
            XCTAssertFalse(applied, "\(days) days")
            XCTAssertEqual(offset, days * 86_400)
            XCTAssertEqual(clock.now(), clocks.wallMs / 1000, "\(days) days")
        }
    }

    func testACorrectionExpires() {
        let clocks = Clocks()
        let clock = clock(clocks)
        _ = clock.correct(serverDate: clocks.wallMs / 1000 + 3600)
        clocks.advance(SigningClock.lifetimeMs - 1000)
        XCTAssertEqual(clock.offset, 3600)
        clocks.advance(2000)
        XCTAssertNil(clock.offset)
        XCTAssertEqual(clock.now(), clocks.wallMs / 1000)
    }

    /// The local clock was stepped (NTP, an operator): the old correction
    /// is no longer the difference, so it goes.
    func testACorrectionGoesWhenTheLocalClockSteps() {
        let clocks = Clocks()
        let clock = clock(clocks)
        _ = clock.correct(serverDate: clocks.wallMs / 1000 - 1200)
        clocks.advance(10_000)
        XCTAssertEqual(clock.offset, -1200)
        clocks.wallMs -= 1_200_000
        XCTAssertNil(clock.offset)
    }

    func testSkewsAreNamedForPeople() {
        XCTAssertEqual(SigningClock.describe(45), "45 s")
        XCTAssertEqual(SigningClock.describe(-965), "16 min 5 s")
        XCTAssertEqual(SigningClock.describe(2 * 86_400 + 7200), "2 d 2 h")
    }
}
