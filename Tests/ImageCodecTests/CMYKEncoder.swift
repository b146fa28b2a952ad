import CTurboJPEG

/// Makes CMYK JPEGs, which ImageCodec's public API never writes.
enum CMYKEncoder {
    static func solid(width: Int, height: Int, c: UInt8, m: UInt8, y: UInt8, k: UInt8) -> [UInt8] {
        let pixels = [UInt8]((0..<width * height).flatMap { _ in [c, m, y, k] })
        let handle = tjInitCompress()
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(TJPF_CMYK.rawValue), &output, &size, Int32(TJSAMP_444.rawValue), 95, 0)
        }
        precondition(status == 0, "tjCompress2 failed")
        defer { tjFree(output) }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }
}
