import FewClickCore
import PixelKernels

/// Image-only data of one crop that several calls for the same object can share: colours as floats,
/// the pairwise capacities and the edge map. A pure function of the crop's pixels and the settings.
struct CropFeatures: Sendable {
    let width: Int
    let height: Int
    /// Interleaved RGB as Float, 3 per pixel.
    let colors: [Float]
    /// Quantised pairwise capacities, 8 per pixel (direction order of `GridMaxFlow.directions`).
    let pairwise: [Int32]
    /// Colour gradient magnitude relative to its mean over the crop (mean 1).
    let edge: [Float]

    init(image: RGBImage, settings: GraphCutSettings) {
        let w = image.width, h = image.height, n = w * h
        width = w
        height = h
        var colors = [Float](repeating: 0, count: n * 3)
        image.pixels.withUnsafeBufferPointer { px in
            colors.withUnsafeMutableBufferPointer { c in
                for i in 0..<(n * 3) { c[i] = Float(px[i]) }
            }
        }
        let limit = Float(1 << 24)
        (pairwise, edge) = colors.withUnsafeBufferPointer { c in
            (
                ContrastWeights.capacities(
                    colors: c, width: w, height: h, gamma: Float(settings.smoothness * settings.flowScale), limit: limit),
                ContrastWeights.edgeStrength(colors: c, width: w, height: h)
            )
        }
        self.colors = colors
    }
}
