import XCTest

@testable import HSSTransport

/// The worker's queue (and the dispatch queue's): a job taken is released
/// at once, and the storage stays small while the queue is never empty.
final class JobQueueTests: XCTestCase {
    private final class Held {}

    func testFirstInFirstOut() {
        var queue = JobQueue()
        var order: [Int] = []
        for index in 0..<40 { queue.push { order.append(index) } }
        while let job = queue.pop() { job() }
        XCTAssertEqual(order, Array(0..<40))
        XCTAssertNil(queue.pop())
    }

    func testATakenJobIsReleasedWhileOthersWait() {
        var queue = JobQueue()
        weak var released: Held?
        do {
            let held = Held()
            released = held
            queue.push { _ = held }
        }
        queue.push {}
        do {
            let job = queue.pop()
            XCTAssertNotNil(released)
            job?()
        }
        XCTAssertNil(released, "the queue still holds a job it handed out")
        XCTAssertNotNil(queue.pop())
    }

    func testStorageStaysSmallUnderSteadyLoad() {
        var queue = JobQueue()
        queue.push {}
        for _ in 0..<10_000 {
            queue.push {}
            _ = queue.pop()
        }
        XCTAssertLessThanOrEqual(queue.storageCount, 40)
    }
}
