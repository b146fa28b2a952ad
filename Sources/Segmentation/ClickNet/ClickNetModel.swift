import FewClickCore
import Foundation
import NeuralNet
import PixelKernels

/// `clicknet`: the learned click model alone (EfficientNet-Lite0 encoder, light FPN decoder; trained
/// by `infra/training`), run on the CPU by `NeuralNet` from a safetensors weights file.
///
/// Each call resizes the crop to S × S (bilinear, as in training), adds four guidance planes (a
/// Gaussian heatmap of the extreme points, disks at positive and at negative clicks, the previous
/// mask), runs the network and resizes its logits back to the crop, so the probability map has the
/// crop's size. How the planes are drawn (S, colour normalisation, heatmap sigma, click radius) comes
/// from the weights file's `fewclick.preprocess` metadata, so a retrained network needs no Swift change.
///
/// Deterministic and safe to call concurrently (one forward pass per calling thread, on one
/// oneDNN thread each).
public final class ClickNetModel: SegmentationModel {
    /// `clicknet`.
    public let name = "clicknet"
    /// The version stored in the weights file (`fewclick.version`).
    public let version: String
    /// The network.
    public let network: NeuralNetwork
    /// How the input planes are built.
    public let preprocessing: Preprocessing

    /// The input-plane recipe of a clicknet weights file.
    public struct Preprocessing: Sendable, Equatable {
        /// Side S in pixels of the square network input.
        public var size: Int
        /// Per-channel mean of the 0…1 colour values.
        public var mean: [Float]
        /// Per-channel standard deviation of the 0…1 colour values.
        public var std: [Float]
        /// Sigma of the extreme-point Gaussians as a fraction of S.
        public var heatmapSigma: Double
        /// Radius of the click disks as a fraction of S.
        public var clickRadius: Double
    }

    /// Loads the network from a safetensors file made by `infra/training` (`clicknet.export`).
    ///
    /// - Parameters:
    ///   - url: the weights file.
    ///   - size: S to run at instead of the trained size (the network is fully convolutional; a
    ///     multiple of 32 from 96 to 512), or nil for the file's `fewclick.input_size`.
    /// - Throws: `ModelLoadError` when the file is missing, unreadable, not a valid weights file
    ///   (the `NeuralNet` error says what is wrong), not a clicknet graph, or `size` is out of range.
    public init(weights url: URL, size: Int? = nil) throws(ModelLoadError) {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ModelLoadError("clicknet weights not found at \(url.path)")
        }
        let network: NeuralNetwork
        do {
            network = try NeuralNetwork(contentsOf: url, threadsPerCall: 1)
        } catch {
            throw ModelLoadError("clicknet weights \(url.path) are not usable: \(error)")
        }
        guard network.inputChannels == 7 else {
            throw ModelLoadError("\(url.path): clicknet needs 7 input planes, the graph takes \(network.inputChannels)")
        }
        var pre = try Self.preprocessing(metadata: network.metadata, path: url.path)
        if let size {
            guard (96...512).contains(size), size % 32 == 0 else {
                throw ModelLoadError("clicknet size must be a multiple of 32 in 96…512, got \(size)")
            }
            pre.size = size
        }
        self.network = network
        self.preprocessing = pre
        self.version = network.metadata["fewclick.version"] ?? "unknown"
        do {
            try network.prepare(height: pre.size, width: pre.size)
        } catch {
            throw ModelLoadError("\(url.path): cannot prepare the network at \(pre.size)²: \(error)")
        }
    }

    static func preprocessing(metadata: [String: String], path: String) throws(ModelLoadError) -> Preprocessing {
        guard let text = metadata["fewclick.preprocess"], let data = text.data(using: .utf8),
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { throw ModelLoadError("\(path): no fewclick.preprocess metadata (not a clicknet weights file)") }
        func floats(_ key: String) -> [Float]? {
            guard let values = object[key] as? [NSNumber], values.count == 3 else { return nil }
            let f = values.map { Float(truncating: $0) }
            return f.allSatisfy(\.isFinite) ? f : nil
        }
        guard let mean = floats("mean"), let std = floats("std"), std.allSatisfy({ $0 > 0 }),
            let sigma = (object["heatmap_sigma"] as? NSNumber)?.doubleValue, sigma > 0, sigma < 1,
            let radius = (object["click_radius"] as? NSNumber)?.doubleValue, radius > 0, radius < 1,
            let size = Int(metadata["fewclick.input_size"] ?? ""), (32...1024).contains(size)
        else { throw ModelLoadError("\(path): fewclick.preprocess or fewclick.input_size is malformed") }
        return Preprocessing(size: size, mean: mean, std: std, heatmapSigma: sigma, clickRadius: radius)
    }

    /// Segments one object: the network's probability map at the crop's size.
    ///
    /// - Throws: `SegmentationError` for an empty crop, no extreme points or non-finite clicks.
    public func segment(_ input: SegmentationInput) throws -> GrayImage {
        let p = try probabilities(input)
        var out = [UInt8](repeating: 0, count: p.count)
        for i in 0..<p.count { out[i] = UInt8(min(255, max(0, (p[i] * 255).rounded()))) }
        return GrayImage(width: input.image.width, height: input.image.height, pixels: out)
    }

    /// The object probability (0…1) of every crop pixel, row-major, crop-sized.
    ///
    /// - Throws: `SegmentationError` as ``segment(_:)``.
    public func probabilities(_ input: SegmentationInput) throws -> [Float] {
        let logits = try logits(input)
        return logits.map { 1 / (1 + Foundation.exp(-$0)) }
    }

    /// The network's logits resized to the crop, row-major (log-odds of the object).
    ///
    /// - Throws: `SegmentationError` as ``segment(_:)``.
    public func logits(_ input: SegmentationInput) throws -> [Float] {
        try input.checkCropAndClicks(model: name)
        let w = input.image.width, h = input.image.height
        let s = preprocessing.size
        let planes = Self.inputPlanes(input, preprocessing: preprocessing)
        let output: NetworkOutput
        do {
            output = try network.forward(planes, height: s, width: s)
        } catch {
            throw SegmentationError("clicknet forward pass failed: \(error)")
        }
        var crop = [Float](repeating: 0, count: w * h)
        output.values.withUnsafeBufferPointer { src in
            crop.withUnsafeMutableBufferPointer { dst in
                Resample.bilinearPlanar(
                    source: src.baseAddress!, sourceWidth: output.width, sourceHeight: output.height, planes: 1,
                    destination: dst.baseAddress!, destinationWidth: w, destinationHeight: h)
            }
        }
        return crop
    }

    /// The 7 × S × S input: normalised RGB, extreme-point heatmap, positive and negative click
    /// disks, previous mask — drawn as `infra/training/clicknet/simulate.py` draws them.
    static func inputPlanes(_ input: SegmentationInput, preprocessing: Preprocessing) -> [Float] {
        let image = input.image
        let w = image.width, h = image.height, s = preprocessing.size, plane = s * s
        var planes = [Float](repeating: 0, count: 7 * plane)
        var rgb = [Float](repeating: 0, count: 3 * w * h)
        image.pixels.withUnsafeBufferPointer { px in
            for i in 0..<(w * h) {
                rgb[i] = Float(px[3 * i])
                rgb[w * h + i] = Float(px[3 * i + 1])
                rgb[2 * w * h + i] = Float(px[3 * i + 2])
            }
        }
        planes.withUnsafeMutableBufferPointer { dst in
            rgb.withUnsafeBufferPointer { src in
                Resample.bilinearPlanar(
                    source: src.baseAddress!, sourceWidth: w, sourceHeight: h, planes: 3,
                    destination: dst.baseAddress!, destinationWidth: s, destinationHeight: s)
            }
            for c in 0..<3 {
                let scale = 1 / (255 * preprocessing.std[c]), shift = preprocessing.mean[c] / preprocessing.std[c]
                for i in (c * plane)..<((c + 1) * plane) { dst[i] = dst[i] * scale - shift }
            }
        }
        // Click positions: crop coordinates (pixel i covers [i, i + 1)) to S-pixel indices.
        let sx = Double(s) / Double(w), sy = Double(s) / Double(h)
        func position(_ c: Click) -> (Double, Double) { (c.x * sx - 0.5, c.y * sy - 0.5) }
        let sigma = preprocessing.heatmapSigma * Double(s)
        let reach = Int((4 * sigma).rounded(.up))
        let radius = preprocessing.clickRadius * Double(s)
        for click in input.clicks {
            let (u, v) = position(click)
            let base: Int
            let limit: Int
            switch click.kind {
            case .extreme: base = 3 * plane; limit = reach
            case .positive: base = 4 * plane; limit = Int(radius.rounded(.up))
            case .negative: base = 5 * plane; limit = Int(radius.rounded(.up))
            }
            // The click's window clipped to the S × S plane; a click far outside it draws nothing.
            let cx = Int(u.rounded()), cy = Int(v.rounded())
            let x0 = max(0, cx - limit - 1), x1 = min(s - 1, cx + limit + 1)
            let y0 = max(0, cy - limit - 1), y1 = min(s - 1, cy + limit + 1)
            guard x0 <= x1, y0 <= y1 else { continue }
            for y in y0...y1 {
                for x in x0...x1 {
                    let dx = Double(x) - u, dy = Double(y) - v
                    let d2 = dx * dx + dy * dy
                    let value: Float
                    if click.kind == .extreme {
                        value = Float(Foundation.exp(-d2 / (2 * sigma * sigma)))
                    } else {
                        value = d2 <= radius * radius ? 1 : 0
                    }
                    let i = base + y * s + x
                    if value > planes[i] { planes[i] = value }
                }
            }
        }
        if let previous = input.previousMask, previous.width == w, previous.height == h {
            let mask = previous.pixels.map { Float($0) / 255 }
            planes.withUnsafeMutableBufferPointer { dst in
                mask.withUnsafeBufferPointer { src in
                    Resample.bilinearPlanar(
                        source: src.baseAddress!, sourceWidth: w, sourceHeight: h, planes: 1,
                        destination: dst.baseAddress! + 6 * plane, destinationWidth: s, destinationHeight: s)
                }
            }
        }
        return planes
    }
}
