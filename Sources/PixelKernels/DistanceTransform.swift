/// Exact Euclidean distance transforms (Felzenszwalb & Huttenlocher, "Distance Transforms of
/// Sampled Functions", 2012): two passes of the 1-D lower envelope of parabolas, linear in the
/// number of pixels.
///
/// Results are *squared* distances in pixels². Every value is an exact integer (the envelope's
/// intersection points are ratios of small integers, so `Double` decides them exactly), so callers
/// may compare results with `==`.
public enum DistanceTransform {
    /// Squared Euclidean distance from every pixel to the nearest pixel whose byte is 0.
    ///
    /// - Parameters:
    ///   - mask: `width * height` bytes, row-major; 0 = "zero" (target) pixel, anything else = inside.
    ///   - width: columns.
    ///   - height: rows.
    ///   - outsideIsZero: when true, the image is treated as padded by one pixel of zeros on every
    ///     side, so a pixel on the border is at distance 1 from the outside.
    ///   - output: `width * height` values, written row-major: squared distance in pixels² (0 for a
    ///     zero pixel); `Double.infinity` when there is no zero pixel at all and `outsideIsZero` is false.
    public static func squaredDistanceToZero(
        _ mask: UnsafeBufferPointer<UInt8>, width: Int, height: Int, outsideIsZero: Bool,
        into output: UnsafeMutableBufferPointer<Double>
    ) {
        precondition(width >= 0 && height >= 0, "negative size")
        precondition(mask.count >= width * height && output.count >= width * height, "buffer too small")
        guard width > 0, height > 0, let src = mask.baseAddress, let out = output.baseAddress else { return }
        let n = max(width, height)
        // Scratch for one line: its input values, the envelope's sites, their values and boundaries.
        let line = UnsafeMutablePointer<Double>.allocate(capacity: n)
        let sites = UnsafeMutablePointer<Int>.allocate(capacity: n + 2)
        let siteValues = UnsafeMutablePointer<Double>.allocate(capacity: n + 2)
        let bounds = UnsafeMutablePointer<Double>.allocate(capacity: n + 3)
        defer {
            line.deallocate(); sites.deallocate(); siteValues.deallocate(); bounds.deallocate()
        }
        // Columns first (strided), then rows (contiguous): the minimum is separable, so the order
        // does not change the result.
        for x in 0..<width {
            for y in 0..<height { line[y] = src[y * width + x] == 0 ? 0 : .infinity }
            transformLine(
                line, count: height, padded: outsideIsZero, output: out + x, outputStride: width,
                sites: sites, siteValues: siteValues, bounds: bounds)
        }
        for y in 0..<height {
            let row = out + y * width
            for x in 0..<width { line[x] = row[x] }
            transformLine(
                line, count: width, padded: outsideIsZero, output: row, outputStride: 1,
                sites: sites, siteValues: siteValues, bounds: bounds)
        }
    }

    /// Squared Euclidean distance from every pixel to the nearest pixel whose byte is 0.
    /// Array convenience over `squaredDistanceToZero(_:width:height:outsideIsZero:into:)`.
    ///
    /// - Returns: `width * height` squared distances in pixels², row-major.
    public static func squaredDistanceToZero(
        _ mask: [UInt8], width: Int, height: Int, outsideIsZero: Bool
    ) -> [Double] {
        precondition(mask.count == width * height, "mask buffer size mismatch")
        return [Double](unsafeUninitializedCapacity: width * height) { out, initialized in
            mask.withUnsafeBufferPointer { src in
                squaredDistanceToZero(src, width: width, height: height, outsideIsZero: outsideIsZero, into: out)
            }
            initialized = width * height
        }
    }

    /// The 1-D transform of one line: `d(q) = min over sites p of (q - p)² + f(p)`.
    /// Sites are the finite entries of `f`, plus zeros at -1 and `count` when `padded`.
    @inline(__always)
    static func transformLine(
        _ f: UnsafeMutablePointer<Double>, count: Int, padded: Bool,
        output: UnsafeMutablePointer<Double>, outputStride: Int,
        sites: UnsafeMutablePointer<Int>, siteValues: UnsafeMutablePointer<Double>,
        bounds: UnsafeMutablePointer<Double>
    ) {
        var k = -1
        @inline(__always) func add(_ q: Int, _ fq: Double) {
            if k < 0 {
                k = 0
                sites[0] = q; siteValues[0] = fq
                bounds[0] = -.infinity; bounds[1] = .infinity
                return
            }
            let qq = Double(q)
            // Sites arrive in increasing order, so the intersection is finite; bounds[0] is -∞, so
            // the loop stops at k == 0 at the latest.
            var s = 0.0
            while true {
                let p = Double(sites[k])
                s = ((fq + qq * qq) - (siteValues[k] + p * p)) / (2 * qq - 2 * p)
                if s <= bounds[k] { k -= 1 } else { break }
            }
            k += 1
            sites[k] = q; siteValues[k] = fq
            bounds[k] = s; bounds[k + 1] = .infinity
        }
        if padded { add(-1, 0) }
        for q in 0..<count where f[q].isFinite { add(q, f[q]) }
        if padded { add(count, 0) }
        if k < 0 {
            for q in 0..<count { output[q * outputStride] = .infinity }
            return
        }
        var j = 0
        for q in 0..<count {
            let qq = Double(q)
            while bounds[j + 1] < qq { j += 1 }
            let dq = q - sites[j]
            output[q * outputStride] = Double(dq * dq) + siteValues[j]
        }
    }
}
