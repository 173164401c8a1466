/// The per-byte question of the per-call scans (percent-encoding, the
/// registry address's fast path), answered by one table read instead of a
/// chain of range tests. The table is a StaticString literal: constant data
/// read in place, with no lazy initialisation and no bounds check (a UInt8
/// indexes all 256 entries).
package enum ByteClass {
    /// Percent-escaped: not in RFC 3986's unreserved set.
    package static let escaped = UInt8(ascii: "0")
    /// Unreserved and a host label's byte: A-Z a-z 0-9 - _.
    package static let label = UInt8(ascii: "h")
    /// Unreserved but not in a label: '.' and '~'.
    package static let otherUnreserved = UInt8(ascii: "u")

    /// Set in both unreserved classes ('h' 0x68, 'u' 0x75), clear in '0'
    /// (0x30): the classes of a run of bytes ANDed keep it only when every
    /// byte is unreserved.
    package static let unreservedBit: UInt8 = 0x40

    @inline(__always)
    package static func of(_ byte: UInt8) -> UInt8 { table.utf8Start[Int(byte)] }

    /// One row per 16 bytes, 0x00-0x0F first.
    @inline(__always)
    private static var table: StaticString {
        """
        0000000000000000\
        0000000000000000\
        0000000000000hu0\
        hhhhhhhhhh000000\
        0hhhhhhhhhhhhhhh\
        hhhhhhhhhhh0000h\
        0hhhhhhhhhhhhhhh\
        hhhhhhhhhhh000u0\
        0000000000000000\
        0000000000000000\
        0000000000000000\
        0000000000000000\
        0000000000000000\
        0000000000000000\
        0000000000000000\
        0000000000000000
        """
    }

    /// The table's length, for the test that pins it to 256.
    package static var tableCount: Int { table.utf8CodeUnitCount }
}
