import PixelKernels
import Testing

@Suite("Resample kernels")
struct ResampleTests {
    @Test("area averaging a 2x2 checkerboard block gives the mean")
    func areaMean() {
        var src: [UInt8] = []
        for y in 0..<4 { for x in 0..<6 { src.append((x + y) % 2 == 0 ? 255 : 0) } }
        var dst = [UInt8](repeating: 0, count: 6)
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                Resample.areaAverage(source: s.baseAddress!, sourceWidth: 6, sourceHeight: 4, channels: 1,
                                     rectX: 0, rectY: 0, rectWidth: 6, rectHeight: 4,
                                     destination: d.baseAddress!, destinationWidth: 3, destinationHeight: 2)
            }
        }
        #expect(dst == [128, 128, 128, 128, 128, 128])  // 127.5 rounds up
    }

    @Test("area averaging by a non-integer factor weights partial pixels")
    func areaFractional() {
        // 3 pixels → 2: outputs cover [0, 1.5) and [1.5, 3).
        let src: [UInt8] = [0, 90, 240]
        var dst = [UInt8](repeating: 0, count: 2)
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                Resample.areaAverage(source: s.baseAddress!, sourceWidth: 3, sourceHeight: 1, channels: 1,
                                     rectX: 0, rectY: 0, rectWidth: 3, rectHeight: 1,
                                     destination: d.baseAddress!, destinationWidth: 2, destinationHeight: 1)
            }
        }
        #expect(dst == [30, 190])  // (0 + 45) / 1.5, (45 + 240) / 1.5
    }

    @Test("bilinear upsampling interpolates between pixel centres and clamps at the edges")
    func bilinear() {
        let src: [UInt8] = [0, 200]
        var dst = [UInt8](repeating: 0, count: 4)
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                Resample.bilinear(source: s.baseAddress!, sourceWidth: 2, sourceHeight: 1, channels: 1,
                                  destination: d.baseAddress!, destinationWidth: 4, destinationHeight: 1)
            }
        }
        // Sample positions -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
        #expect(dst == [0, 50, 150, 200])
    }
}
