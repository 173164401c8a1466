import CHSSAPI
import HSSBase
import HSSTransport
import XCTest

/// The retry loop's decisions (RetryState; hss.h, "Retries" and "Clock
/// skew"), which the blocking loop and libhss's engine both follow: tested
/// once, here, attempt by attempt, with no server and no waiting.
final class RetryStateTests: XCTestCase {
    private struct Fixture {
        let loop: RequestLoop
        var state: RetryState
        let context: CallContext

        init(
            attempts: Int = 3, baseMs: Int = 200, capMs: Int = 20_000, timeoutMs: Int = 30_000,
            budget: RetryBudget = RetryBudget(), clock: SigningClock = SigningClock(),
            retryConnectFailures: Bool = true, signsWithClock: Bool = true
        ) {
            loop = RequestLoop(
                policy: RetryPolicy(maxAttempts: attempts, baseMs: baseMs, capMs: capMs), budget: budget,
                clock: clock, trace: Trace())
            state = RetryState(
                loop, service: "HSS", retryConnectFailures: retryConnectFailures, signsWithClock: signsWithClock)
            context = CallContext(timeoutMs: timeoutMs, connectTimeoutMs: 10_000, redactor: Redactor())
        }

        /// One attempt that ends with `outcome`: what the state says next.
        mutating func attempt(_ outcome: Result<HTTPResponse, HSSError>) throws -> RetryState.Next {
            _ = try state.begin(context, { "GET /x" })
            return try state.settle(outcome, context, { "GET /x" })
        }
    }

    private func answer(
        _ status: Int, _ body: String = "{}", retryAfterMs: Int? = nil, serverDate: Int? = nil
    ) -> Result<HTTPResponse, HSSError> {
        .success(
            HTTPResponse(
                status: status, body: SecureBuffer(body), requestID: "", retryAfterMs: retryAfterMs,
                serverDate: serverDate))
    }

    private func failure(_ status: hss_status, connectFailed: Bool = false) -> Result<HTTPResponse, HSSError> {
        var error = HSSError(status, "the transport broke")
        error.connectFailed = connectFailed
        return .failure(error)
    }

    private func retryDelay(_ next: RetryState.Next) -> Int? {
        if case .retry(let delay) = next { return delay }
        return nil
    }

    private func finalAnswer(_ next: RetryState.Next) -> HTTPResponse? {
        if case .answer(let response) = next { return response }
        return nil
    }

    func testASuccessIsFinalAndRefundsTheBudget() throws {
        let budget = RetryBudget()
        XCTAssertTrue(budget.withdraw(after: HSSError(HSS_E_NETWORK, "")))
        var f = Fixture(budget: budget)
        let response = try XCTUnwrap(finalAnswer(try f.attempt(answer(200))))
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.attempts, 1)
        XCTAssertEqual(budget.available, RetryBudget.capacity - RetryBudget.retryCost + 1)
    }

    func testBusyAnswersAreRetriedWithFullJitterWithinTheCap() throws {
        for _ in 0..<50 {
            var f = Fixture(baseMs: 100, capMs: 150)
            XCTAssertLessThanOrEqual(try XCTUnwrap(retryDelay(try f.attempt(answer(503)))), 100)
            XCTAssertLessThanOrEqual(try XCTUnwrap(retryDelay(try f.attempt(answer(429)))), 150)  // 200, capped
        }
    }

    func testRetryAfterIsObeyedUpToTheCap() throws {
        var f = Fixture(capMs: 5000)
        XCTAssertEqual(retryDelay(try f.attempt(answer(503, retryAfterMs: 1500))), 1500)
        XCTAssertEqual(retryDelay(try f.attempt(answer(503, retryAfterMs: 60_000))), 5000)
    }

    func testOtherClientErrorsAreFinalAtOnce() throws {
        let budget = RetryBudget()
        var f = Fixture(budget: budget)
        let response = try XCTUnwrap(finalAnswer(try f.attempt(answer(403))))
        XCTAssertEqual(response.status, 403)
        XCTAssertNil(response.note)
        XCTAssertEqual(budget.available, RetryBudget.capacity)
    }

    func testTheLastAttemptGivesUpWithItsAnswer() throws {
        var f = Fixture(attempts: 3, baseMs: 1, capMs: 1)
        XCTAssertNotNil(retryDelay(try f.attempt(answer(502))))
        XCTAssertNotNil(retryDelay(try f.attempt(answer(502))))
        let last = try XCTUnwrap(finalAnswer(try f.attempt(answer(502))))
        XCTAssertEqual(last.attempts, 3)
        XCTAssertEqual(last.note, "after 3 attempts")
    }

    func testBrokenTransportsAreRetriedTLSFailuresAreNot() throws {
        var f = Fixture(baseMs: 1, capMs: 1)
        XCTAssertNotNil(retryDelay(try f.attempt(failure(HSS_E_NETWORK))))
        XCTAssertNotNil(retryDelay(try f.attempt(failure(HSS_E_TIMEOUT))))
        XCTAssertThrowsError(try f.attempt(failure(HSS_E_TLS))) { error in
            XCTAssertEqual((error as? HSSError)?.status, HSS_E_TLS)
            XCTAssertEqual((error as? HSSError)?.attempts, 3)
        }
    }

    func testAFinalTransportFailureSaysHowManyAttempts() throws {
        var f = Fixture(attempts: 2, baseMs: 1, capMs: 1)
        _ = try f.attempt(failure(HSS_E_NETWORK))
        XCTAssertThrowsError(try f.attempt(failure(HSS_E_NETWORK))) { error in
            XCTAssertEqual((error as? HSSError)?.message, "the transport broke (after 2 attempts)")
        }
    }

    func testARefusedConnectionIsFinalWhenSoAsked() throws {
        var f = Fixture(retryConnectFailures: false)
        XCTAssertThrowsError(try f.attempt(failure(HSS_E_NETWORK, connectFailed: true)))
        var g = Fixture(baseMs: 1, capMs: 1)
        XCTAssertNotNil(retryDelay(try g.attempt(failure(HSS_E_NETWORK, connectFailed: true))))
    }

    func testNoRetryThatCannotStartBeforeTheDeadline() throws {
        var f = Fixture(baseMs: 60_000, capMs: 60_000, timeoutMs: 50)
        let response = try XCTUnwrap(finalAnswer(try f.attempt(answer(503, retryAfterMs: 60_000))))
        XCTAssertEqual(response.note, "no time left within the call's timeout to retry")
    }

    func testNoAttemptStartsAfterTheDeadline() throws {
        var f = Fixture(timeoutMs: 0)
        XCTAssertThrowsError(try f.state.begin(f.context, { "GET /x" })) { error in
            XCTAssertEqual((error as? HSSError)?.status, HSS_E_TIMEOUT)
            XCTAssertEqual((error as? HSSError)?.message, "the call's timeout (0 ms) ran out before GET /x")
            XCTAssertEqual((error as? HSSError)?.attempts, 0)
        }
    }

    func testASpentBudgetEndsTheRetries() throws {
        let budget = RetryBudget()
        while budget.withdraw(after: HSSError(HSS_E_NETWORK, "")) {}
        var f = Fixture(budget: budget)
        let response = try XCTUnwrap(finalAnswer(try f.attempt(answer(500))))
        XCTAssertEqual(response.note, "the client's retry budget is spent")
    }

    private let expired = #"{"error_code":"APIGW.0303","error_msg":"The request expired"}"#

    func testAnExpiredSignatureIsSignedAgainAtOnceWithTheGatewaysTime() throws {
        let clock = SigningClock()
        var f = Fixture(attempts: 1, clock: clock)
        let gateway = Int(time(nil)) + 3600
        XCTAssertEqual(retryDelay(try f.attempt(answer(401, expired, serverDate: gateway))), 0)
        XCTAssertLessThanOrEqual(abs((clock.offset ?? 0) - 3600), 2)
        // Not counted: the one attempt allowed is still to come, and a second refusal is final.
        let second = try XCTUnwrap(finalAnswer(try f.attempt(answer(401, expired, serverDate: gateway))))
        XCTAssertEqual(second.status, 401)
        XCTAssertEqual(second.attempts, 2)
    }

    func testASkewOfMoreThanADayIsNotCorrected() throws {
        let clock = SigningClock()
        var f = Fixture(clock: clock)
        let response = try XCTUnwrap(
            finalAnswer(try f.attempt(answer(401, expired, serverDate: Int(time(nil)) + 2 * 86_400 + 60))))
        XCTAssertNil(clock.offset)
        XCTAssertEqual(
            response.note,
            "the gateway refused the signature as expired: its clock is 2 d 0 h ahead of ours, more than the 24 h "
                + "libhss corrects; fix this machine's clock")
    }

    func testARequestNotSignedWithTheClockIsNotCorrected() throws {
        let clock = SigningClock()
        var f = Fixture(clock: clock, signsWithClock: false)
        XCTAssertEqual(
            finalAnswer(try f.attempt(answer(401, expired, serverDate: Int(time(nil)) + 3600)))?.status, 401)
        XCTAssertNil(clock.offset)
    }
}
