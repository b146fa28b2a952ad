/// Resampling kernels for 8-bit interleaved images (1 or more channels), over raw buffers.
///
/// Coordinates follow the pixel-area convention: pixel `i` covers `[i, i + 1)` and its centre is
/// `i + 0.5`; resizing a length `n` to `m` maps source position `s` to `s * m / n`.
public enum Resample {
    /// One output sample's source taps along an axis: `count` consecutive source indices starting at
    /// `first`, with weights `weights[offset ..< offset + count]` (summing to 1).
    struct Taps {
        var first: [Int32]
        var count: [Int32]
        var offset: [Int32]
        var weights: [Float]
    }

    /// Box-filter (area-average) taps: output `j` of `dst` averages the source interval
    /// `[j * src / dst, (j + 1) * src / dst)`, each source pixel weighted by its overlap. Exact
    /// integer overlaps in units of 1/dst pixel, so weights are exact rationals.
    static func areaTaps(source src: Int, destination dst: Int) -> Taps {
        var taps = Taps(first: [], count: [], offset: [], weights: [])
        taps.first.reserveCapacity(dst)
        taps.count.reserveCapacity(dst)
        taps.offset.reserveCapacity(dst)
        taps.weights.reserveCapacity(dst * (src / max(dst, 1) + 2))
        let total = Float(src)
        for j in 0..<dst {
            // Interval in units of 1/dst source pixels: [j * src, (j + 1) * src).
            let lo = j * src, hi = (j + 1) * src
            let i0 = lo / dst, i1 = (hi - 1) / dst  // first and last source pixel touched
            taps.first.append(Int32(i0))
            taps.count.append(Int32(i1 - i0 + 1))
            taps.offset.append(Int32(taps.weights.count))
            for i in i0...i1 {
                let overlap = min(hi, (i + 1) * dst) - max(lo, i * dst)
                taps.weights.append(Float(overlap) / total)
            }
        }
        return taps
    }

    /// Resizes the `rectWidth × rectHeight` rectangle at (`rectX`, `rectY`) of `source` to
    /// `destinationWidth × destinationHeight` by area averaging (a box filter: each output pixel is
    /// the mean of the source area it covers, so downscaling is antialiased). Results are rounded to
    /// the nearest integer. When the sizes are equal this is an exact copy.
    ///
    /// - Parameters:
    ///   - source: row-major interleaved pixels, `sourceWidth * channels` bytes per row.
    ///   - channels: bytes per pixel (1 for gray, 3 for RGB).
    ///   - destination: `destinationWidth * destinationHeight * channels` bytes, overwritten.
    /// - Precondition: the rectangle lies inside the source and every size is positive.
    public static func areaAverage(
        source: UnsafePointer<UInt8>, sourceWidth: Int, sourceHeight: Int, channels: Int,
        rectX: Int, rectY: Int, rectWidth: Int, rectHeight: Int,
        destination: UnsafeMutablePointer<UInt8>, destinationWidth: Int, destinationHeight: Int
    ) {
        precondition(rectX >= 0 && rectY >= 0 && rectWidth > 0 && rectHeight > 0, "empty or negative rectangle")
        precondition(rectX + rectWidth <= sourceWidth && rectY + rectHeight <= sourceHeight, "rectangle outside the source")
        precondition(destinationWidth > 0 && destinationHeight > 0 && channels > 0, "empty destination")
        let c = channels
        let srcStride = sourceWidth * c
        let dstStride = destinationWidth * c
        if destinationWidth == rectWidth && destinationHeight == rectHeight {
            for y in 0..<rectHeight {
                (destination + y * dstStride).update(from: source + (rectY + y) * srcStride + rectX * c, count: dstStride)
            }
            return
        }
        let xTaps = areaTaps(source: rectWidth, destination: destinationWidth)
        let yTaps = areaTaps(source: rectHeight, destination: destinationHeight)

        // Horizontal pass: every source row of the rectangle → destinationWidth samples (Float).
        let rowLength = destinationWidth * c
        let temp = UnsafeMutablePointer<Float>.allocate(capacity: rowLength * rectHeight)
        defer { temp.deallocate() }
        xTaps.first.withUnsafeBufferPointer { first in
            xTaps.count.withUnsafeBufferPointer { count in
                xTaps.offset.withUnsafeBufferPointer { offset in
                    xTaps.weights.withUnsafeBufferPointer { weights in
                        for y in 0..<rectHeight {
                            let src = source + (rectY + y) * srcStride + rectX * c
                            let out = temp + y * rowLength
                            for j in 0..<destinationWidth {
                                let s = src + Int(first[j]) * c
                                let w = weights.baseAddress! + Int(offset[j])
                                let n = Int(count[j])
                                for ch in 0..<c {
                                    var acc: Float = 0
                                    for k in 0..<n { acc += Float(s[k * c + ch]) * w[k] }
                                    out[j * c + ch] = acc
                                }
                            }
                        }
                    }
                }
            }
        }

        // Vertical pass: weighted sums of rows, rounded.
        let acc = UnsafeMutablePointer<Float>.allocate(capacity: rowLength)
        defer { acc.deallocate() }
        for j in 0..<destinationHeight {
            acc.update(repeating: 0, count: rowLength)
            let n = Int(yTaps.count[j]), first = Int(yTaps.first[j]), offset = Int(yTaps.offset[j])
            for k in 0..<n {
                let w = yTaps.weights[offset + k]
                let row = temp + (first + k) * rowLength
                for i in 0..<rowLength { acc[i] += row[i] * w }
            }
            let out = destination + j * dstStride
            for i in 0..<rowLength { out[i] = UInt8(min(255, max(0, acc[i] + 0.5))) }
        }
    }

    /// Resizes `source` to `destinationWidth × destinationHeight` by bilinear interpolation with
    /// pixel centres aligned (destination pixel `i` samples source position
    /// `(i + 0.5) * sourceWidth / destinationWidth - 0.5`, clamped to the edge pixels). Results are
    /// rounded to the nearest integer. Meant for upsampling; equal sizes give an exact copy.
    ///
    /// - Parameters:
    ///   - source: row-major interleaved pixels, `sourceWidth * channels` bytes per row.
    ///   - channels: bytes per pixel.
    ///   - destination: `destinationWidth * destinationHeight * channels` bytes, overwritten.
    /// - Precondition: every size is positive.
    public static func bilinear(
        source: UnsafePointer<UInt8>, sourceWidth: Int, sourceHeight: Int, channels: Int,
        destination: UnsafeMutablePointer<UInt8>, destinationWidth: Int, destinationHeight: Int
    ) {
        precondition(sourceWidth > 0 && sourceHeight > 0 && channels > 0, "empty source")
        precondition(destinationWidth > 0 && destinationHeight > 0, "empty destination")
        let c = channels
        let srcStride = sourceWidth * c, dstStride = destinationWidth * c
        if sourceWidth == destinationWidth && sourceHeight == destinationHeight {
            destination.update(from: source, count: srcStride * sourceHeight)
            return
        }
        // Per-column source pair and weight of the right one.
        let x0 = UnsafeMutablePointer<Int>.allocate(capacity: destinationWidth)
        let x1 = UnsafeMutablePointer<Int>.allocate(capacity: destinationWidth)
        let fx = UnsafeMutablePointer<Float>.allocate(capacity: destinationWidth)
        defer {
            x0.deallocate()
            x1.deallocate()
            fx.deallocate()
        }
        let sx = Double(sourceWidth) / Double(destinationWidth)
        for i in 0..<destinationWidth {
            let (a, b, f) = bilinearTap((Double(i) + 0.5) * sx - 0.5, size: sourceWidth)
            x0[i] = a * c
            x1[i] = b * c
            fx[i] = f
        }
        // Source rows interpolated horizontally once each, into two rolling row buffers.
        let rowLength = dstStride
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: 2 * rowLength)
        defer { rows.deallocate() }
        var cached = (-1, -1)  // source row held by buffer 0 and buffer 1
        func horizontal(_ sourceRow: Int, into out: UnsafeMutablePointer<Float>) {
            let src = source + sourceRow * srcStride
            for i in 0..<destinationWidth {
                let wx = fx[i], vx = 1 - wx
                let l = x0[i], r = x1[i]
                for ch in 0..<c { out[i * c + ch] = Float(src[l + ch]) * vx + Float(src[r + ch]) * wx }
            }
        }
        func row(_ sourceRow: Int) -> UnsafeMutablePointer<Float> {
            if cached.0 == sourceRow { return rows }
            if cached.1 == sourceRow { return rows + rowLength }
            // Rows are requested in non-decreasing order: replace the older one.
            if cached.0 < cached.1 {
                horizontal(sourceRow, into: rows)
                cached.0 = sourceRow
                return rows
            }
            horizontal(sourceRow, into: rows + rowLength)
            cached.1 = sourceRow
            return rows + rowLength
        }
        let sy = Double(sourceHeight) / Double(destinationHeight)
        for j in 0..<destinationHeight {
            let (a, b, f) = bilinearTap((Double(j) + 0.5) * sy - 0.5, size: sourceHeight)
            let top = row(a), bottom = row(b)
            let out = destination + j * dstStride
            let g = 1 - f
            for i in 0..<rowLength { out[i] = UInt8(min(255, max(0, top[i] * g + bottom[i] * f + 0.5))) }
        }
    }

    /// Resizes planar `Float` data (`planes` planes of `sourceWidth × sourceHeight`, row-major, one
    /// after the other) bilinearly to `destinationWidth × destinationHeight` per plane, with the same
    /// sampling as PyTorch's `F.interpolate(mode="bilinear", align_corners=False)` (no antialiasing):
    /// destination pixel `i` samples source position `(i + 0.5) * sourceWidth / destinationWidth - 0.5`,
    /// clamped to the edge pixels. The learned click model builds its input planes and maps its
    /// logits back to the crop with it, exactly as its training code does.
    ///
    /// - Precondition: every size is positive; `destination` holds `planes × destinationWidth ×
    ///   destinationHeight` values.
    public static func bilinearPlanar(
        source: UnsafePointer<Float>, sourceWidth: Int, sourceHeight: Int, planes: Int,
        destination: UnsafeMutablePointer<Float>, destinationWidth: Int, destinationHeight: Int
    ) {
        precondition(sourceWidth > 0 && sourceHeight > 0 && planes > 0, "empty source")
        precondition(destinationWidth > 0 && destinationHeight > 0, "empty destination")
        let dw = destinationWidth, dh = destinationHeight, sw = sourceWidth, sh = sourceHeight
        let x0 = UnsafeMutablePointer<Int>.allocate(capacity: dw)
        let x1 = UnsafeMutablePointer<Int>.allocate(capacity: dw)
        let fx = UnsafeMutablePointer<Float>.allocate(capacity: dw)
        let row0 = UnsafeMutablePointer<Float>.allocate(capacity: dw)
        let row1 = UnsafeMutablePointer<Float>.allocate(capacity: dw)
        defer {
            x0.deallocate()
            x1.deallocate()
            fx.deallocate()
            row0.deallocate()
            row1.deallocate()
        }
        let sx = Float(sw) / Float(dw), sy = Float(sh) / Float(dh)
        for i in 0..<dw {
            let (a, b, f) = bilinearTap(Float(i), scale: sx, size: sw)
            x0[i] = a
            x1[i] = b
            fx[i] = f
        }
        for p in 0..<planes {
            let src = source + p * sw * sh
            let dst = destination + p * dw * dh
            for j in 0..<dh {
                let (a, b, f) = bilinearTap(Float(j), scale: sy, size: sh)
                let top = src + a * sw, bottom = src + b * sw
                for i in 0..<dw {
                    let w = fx[i], v = 1 - w
                    row0[i] = top[x0[i]] * v + top[x1[i]] * w
                    row1[i] = bottom[x0[i]] * v + bottom[x1[i]] * w
                }
                let out = dst + j * dw
                let g = 1 - f
                for i in 0..<dw { out[i] = row0[i] * g + row1[i] * f }
            }
        }
    }

    /// PyTorch's source taps for destination index `i` at `scale` = source / destination size:
    /// position `max(0, (i + 0.5) · scale - 0.5)`, its floor, the next index (clamped) and the weight.
    /// The same rule as the `Double` tap below, computed in `Float` as PyTorch computes it for float
    /// tensors (with the `Double` tap, clicknet's masks differ on a few pixels).
    @inline(__always) static func bilinearTap(_ i: Float, scale: Float, size: Int) -> (Int, Int, Float) {
        let p = max(0, (i + 0.5) * scale - 0.5)
        let a = min(Int(p), size - 1)
        let b = min(a + 1, size - 1)
        return (a, b, a == size - 1 ? 0 : p - Float(a))
    }

    /// The two source indices around position `p` (clamped to `0..<size`) and the weight of the second.
    @inline(__always) static func bilinearTap(_ p: Double, size: Int) -> (Int, Int, Float) {
        if p <= 0 { return (0, 0, 0) }
        let last = size - 1
        if p >= Double(last) { return (last, last, 0) }
        let i = Int(p)
        return (i, i + 1, Float(p - Double(i)))
    }
}
