import FewClickCore
import Foundation
import PixelKernels

/// The answer's probability map from the final labels.
enum ProbabilityMap {
    /// The probability map of the 0/1 `labels` of a `w × h` crop: 0.5 ± a ramp of the Euclidean
    /// distance to the other label, so that thresholding at 128 gives back `labels` exactly.
    ///
    /// An object pixel at distance d from the nearest background pixel gets
    /// `255 · (0.5 + 0.5 · tanh((d - 0.5) / ramp))` (at least 128), a background pixel at distance d
    /// from the nearest object pixel `255 · (0.5 - 0.5 · tanh((d - 0.5) / ramp))` (at most 127). The
    /// values reach 255 / 0 at a distance `S` of a few ramps, so the distances are computed only on
    /// the object's bounding box grown by `S` (farther pixels are background at 0), and looked up by
    /// squared distance, which is an integer.
    static func map(labels: [UInt8], width w: Int, height h: Int, ramp: Double) -> GrayImage {
        let ramp = max(ramp, 0.1)
        @inline(__always) func objectValue(_ d: Double) -> UInt8 {
            let p = 0.5 + 0.5 * tanh((d - 0.5) / ramp)
            return UInt8(min(255, max(128, (p * 255).rounded())))
        }
        @inline(__always) func backgroundValue(_ d: Double) -> UInt8 {
            let p = 0.5 - 0.5 * tanh((d - 0.5) / ramp)
            return UInt8(min(127, max(0, (p * 255).rounded())))
        }
        var out = [UInt8](repeating: 0, count: w * h)
        guard let objectBox = Mask(width: w, height: h, bits: labels).boundingBox else {
            return GrayImage(width: w, height: h, pixels: out)
        }
        // Saturation distance: both values are final from S on (they are monotone in d).
        var saturation = 1
        while saturation < 10_000 && (objectValue(Double(saturation)) != 255 || backgroundValue(Double(saturation)) != 0) {
            saturation += 1
        }
        let limit = saturation * saturation
        var objectLUT = [UInt8](repeating: 255, count: limit + 1)
        var backgroundLUT = [UInt8](repeating: 0, count: limit + 1)
        for s in 0...limit {
            objectLUT[s] = objectValue(Double(s).squareRoot())
            backgroundLUT[s] = backgroundValue(Double(s).squareRoot())
        }
        let r = objectBox.expanded(dx: saturation, dy: saturation).clipped(width: w, height: h)
        let rw = r.width, rh = r.height
        var sub = [UInt8](repeating: 0, count: rw * rh)
        var inverted = [UInt8](repeating: 0, count: rw * rh)
        for y in 0..<rh {
            for x in 0..<rw {
                let l: UInt8 = labels[(y + r.y0) * w + (x + r.x0)] != 0 ? 1 : 0
                sub[y * rw + x] = l
                inverted[y * rw + x] = 1 - l
            }
        }
        // Distance from object pixels to the nearest background pixel, and vice versa.
        let dIn = DistanceTransform.squaredDistanceToZero(sub, width: rw, height: rh, outsideIsZero: false)
        let dOut = DistanceTransform.squaredDistanceToZero(inverted, width: rw, height: rh, outsideIsZero: false)
        let dLimit = Double(limit)
        for y in 0..<rh {
            for x in 0..<rw {
                let j = y * rw + x
                let v: UInt8
                if sub[j] != 0 {
                    let s = dIn[j]
                    v = s <= dLimit ? objectLUT[Int(s)] : 255
                } else {
                    let s = dOut[j]
                    v = s <= dLimit ? backgroundLUT[Int(s)] : 0
                }
                out[(y + r.y0) * w + (x + r.x0)] = v
            }
        }
        return GrayImage(width: w, height: h, pixels: out)
    }
}
