import PixelKernels

/// How the region around the clicks is cut out of the image and scaled for the model.
///
/// The Codable form accepts any subset of the keys; missing keys take the defaults.
public struct CropSettings: Sendable, Codable, Equatable, Hashable {
    /// Margin added on every side of the clicks' bounding box, as a fraction of the box's longer
    /// side (default 0.15). Gives the model background context around the object.
    public var marginFraction: Double
    /// The smallest margin in pixels (default 16), so tiny objects still get context.
    public var minMargin: Int
    /// The crop's longer side in pixels is at most this (default 256, chosen on the dev set with the
    /// graph-cut engine: as accurate as 384 and about twice as fast): larger regions are scaled
    /// down, smaller ones are left at full resolution (never scaled up).
    public var maxSide: Int

    /// Creates settings; see each property for meaning and units.
    public init(marginFraction: Double = 0.15, minMargin: Int = 16, maxSide: Int = 256) {
        self.marginFraction = marginFraction
        self.minMargin = minMargin
        self.maxSide = maxSide
    }

    /// marginFraction 0.15, minMargin 16 px, maxSide 256 px.
    public static let `default` = CropSettings()

    private enum CodingKeys: String, CodingKey {
        case marginFraction, minMargin, maxSide
    }

    /// Decodes settings; absent keys keep their default values.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CropSettings.default
        self.init(
            marginFraction: try c.decodeIfPresent(Double.self, forKey: .marginFraction) ?? d.marginFraction,
            minMargin: try c.decodeIfPresent(Int.self, forKey: .minMargin) ?? d.minMargin,
            maxSide: try c.decodeIfPresent(Int.self, forKey: .maxSide) ?? d.maxSide)
    }
}

/// Where the model looks: a box of the image around the clicks, and the scale it is resampled at.
///
/// The same plan maps the image, the clicks and the previous mask into crop space, and the model's
/// probability map back to a full-resolution mask, so every caller (proxy, in-process evaluation)
/// does identical pre- and post-processing.
///
/// Coordinates: image pixel `x` covers `[x, x + 1)`. Crop pixel `i` covers image columns
/// `[box.x0 + i / scaleX, box.x0 + (i + 1) / scaleX)`, likewise for rows.
public struct CropPlan: Sendable, Equatable {
    /// Image width in pixels the plan was made for.
    public let imageWidth: Int
    /// Image height in pixels the plan was made for.
    public let imageHeight: Int
    /// The region of the image the model sees, in image pixels (inside the image).
    public let box: PixelBox
    /// The nominal scale, crop pixels per image pixel: `min(1, maxSide / max(box.width, box.height))`.
    public let scale: Double
    /// Crop width in pixels: `box.width * scale`, rounded, at least 1 for a non-empty box.
    public let cropWidth: Int
    /// Crop height in pixels: `box.height * scale`, rounded, at least 1 for a non-empty box.
    public let cropHeight: Int
    /// Exact horizontal scale `cropWidth / box.width` (equals `scale` up to rounding of the size).
    public let scaleX: Double
    /// Exact vertical scale `cropHeight / box.height` (equals `scale` up to rounding of the size).
    public let scaleY: Double

    /// Plans the crop for a set of clicks.
    ///
    /// The box is the bounding box of the pixels of the extreme and positive clicks (negative clicks
    /// do not widen it), grown by `max(minMargin, marginFraction × longer side)` pixels on every
    /// side and clipped to the image. With no extreme or positive click the box is the whole image.
    /// Clicks outside the image are clamped onto its border; non-finite coordinates are ignored.
    ///
    /// - Parameters:
    ///   - imageWidth: image width in pixels.
    ///   - imageHeight: image height in pixels.
    ///   - clicks: the clicks so far, in image pixel coordinates.
    ///   - settings: margin and size limits.
    public init(imageWidth: Int, imageHeight: Int, clicks: [Click], settings: CropSettings = .default) {
        let w = max(0, imageWidth), h = max(0, imageHeight)
        self.imageWidth = w
        self.imageHeight = h
        let seeds = w > 0 && h > 0
            ? PixelBox.bounding(clicks.lazy
                .filter { $0.kind != .negative && $0.x.isFinite && $0.y.isFinite }
                .map { Point(x: min(max($0.x, 0), Double(w - 1)), y: min(max($0.y, 0), Double(h - 1))) })
            : nil
        let box: PixelBox
        if let seeds {
            let longer = Double(max(seeds.width, seeds.height))
            let fraction = settings.marginFraction.isFinite ? max(0, settings.marginFraction) : 0
            let margin = max(max(0, settings.minMargin), Int(min(fraction * longer, Double(w + h)).rounded()))
            box = seeds.expanded(dx: margin, dy: margin).clipped(width: w, height: h)
        } else {
            box = PixelBox(x0: 0, y0: 0, x1: w, y1: h)
        }
        self.box = box
        guard !box.isEmpty else {
            scale = 1
            cropWidth = 0
            cropHeight = 0
            scaleX = 1
            scaleY = 1
            return
        }
        let longerSide = max(box.width, box.height)
        scale = min(1, Double(max(1, settings.maxSide)) / Double(longerSide))
        cropWidth = min(box.width, max(1, Int((Double(box.width) * scale).rounded())))
        cropHeight = min(box.height, max(1, Int((Double(box.height) * scale).rounded())))
        scaleX = Double(cropWidth) / Double(box.width)
        scaleY = Double(cropHeight) / Double(box.height)
    }

    /// True when the crop is a plain cut-out at full resolution (no resampling).
    public var isFullResolution: Bool { cropWidth == box.width && cropHeight == box.height }

    /// The crop of `image`: the box, area-averaged down to `cropWidth × cropHeight` (antialiased), or
    /// copied unchanged at scale 1.
    ///
    /// - Precondition: `image` has the size the plan was made for.
    public func crop(_ image: RGBImage) -> RGBImage {
        precondition(image.width == imageWidth && image.height == imageHeight, "crop plan made for another image size")
        guard !box.isEmpty else { return RGBImage(width: 0, height: 0, pixels: []) }
        var out = [UInt8](repeating: 0, count: cropWidth * cropHeight * 3)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                Resample.areaAverage(
                    source: src.baseAddress!, sourceWidth: image.width, sourceHeight: image.height, channels: 3,
                    rectX: box.x0, rectY: box.y0, rectWidth: box.width, rectHeight: box.height,
                    destination: dst.baseAddress!, destinationWidth: cropWidth, destinationHeight: cropHeight)
            }
        }
        return RGBImage(width: cropWidth, height: cropHeight, pixels: out)
    }

    /// A mask (normally the previous result) in crop space as 0…255 coverage: 255 where the crop
    /// pixel is all object, 0 where all background, the area-weighted share in between.
    /// A mask of another size than the image is read where it overlaps the box (the rest counts
    /// as background), so client data cannot make this fail.
    public func crop(_ mask: Mask) -> GrayImage {
        guard !box.isEmpty else { return GrayImage(width: 0, height: 0) }
        // The box as 0/255, reading the mask where it overlaps.
        var region = [UInt8](repeating: 0, count: box.area)
        let inFrame = box.clipped(width: mask.width, height: mask.height)
        if !inFrame.isEmpty {
            mask.bits.withUnsafeBufferPointer { src in
                region.withUnsafeMutableBufferPointer { dst in
                    for y in inFrame.y0..<inFrame.y1 {
                        let s = src.baseAddress! + y * mask.width + inFrame.x0
                        let d = dst.baseAddress! + (y - box.y0) * box.width + (inFrame.x0 - box.x0)
                        for i in 0..<inFrame.width { d[i] = s[i] == 0 ? 0 : 255 }
                    }
                }
            }
        }
        if isFullResolution { return GrayImage(width: box.width, height: box.height, pixels: region) }
        var out = [UInt8](repeating: 0, count: cropWidth * cropHeight)
        region.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                Resample.areaAverage(
                    source: src.baseAddress!, sourceWidth: box.width, sourceHeight: box.height, channels: 1,
                    rectX: 0, rectY: 0, rectWidth: box.width, rectHeight: box.height,
                    destination: dst.baseAddress!, destinationWidth: cropWidth, destinationHeight: cropHeight)
            }
        }
        return GrayImage(width: cropWidth, height: cropHeight, pixels: out)
    }

    /// A click in crop coordinates: the crop pixel that contains the centre of the clicked image
    /// pixel, `⌊(⌊x⌋ + 0.5 − box.x0) × scaleX⌋` (and likewise for y), as whole numbers. At scale 1
    /// this is `x − box.x0`. Clicks outside the box map outside `0..<cropWidth × 0..<cropHeight`;
    /// non-finite coordinates are returned unchanged.
    public func toCrop(_ click: Click) -> Click {
        guard click.x.isFinite, click.y.isFinite else { return click }
        let x = ((click.x.rounded(.down) + 0.5 - Double(box.x0)) * scaleX).rounded(.down)
        let y = ((click.y.rounded(.down) + 0.5 - Double(box.y0)) * scaleY).rounded(.down)
        return Click(x: x, y: y, kind: click.kind)
    }

    /// The clicks that fall inside the crop, in crop coordinates (`toCrop` of each, keeping those
    /// within `0..<cropWidth × 0..<cropHeight`), in their original order.
    public func cropClicks(_ clicks: [Click]) -> [Click] {
        clicks.map(toCrop).filter { c in
            c.x >= 0 && c.y >= 0 && c.x < Double(cropWidth) && c.y < Double(cropHeight)
        }
    }

    /// The image pixel under the centre of crop pixel (`x`, `y`): the inverse of `toCrop` up to
    /// the resolution lost in scaling.
    public func toImage(cropX x: Int, cropY y: Int) -> (x: Int, y: Int) {
        (box.x0 + Int(((Double(x) + 0.5) / scaleX).rounded(.down)),
         box.y0 + Int(((Double(y) + 0.5) / scaleY).rounded(.down)))
    }

    /// The model's probability map (0…255 = probability × 255, normally `cropWidth × cropHeight`,
    /// any positive size accepted) as a full-resolution mask: bilinearly upsampled to the box,
    /// thresholded at probability ≥ 0.5 (an interpolated value of 127.5 or more, i.e. ≥ 128 after
    /// rounding), background outside the box.
    ///
    /// - Parameters:
    ///   - probability: the map in crop space.
    ///   - imageWidth: width of the returned mask in pixels (normally the plan's image width).
    ///   - imageHeight: height of the returned mask in pixels.
    public func pasteBack(_ probability: GrayImage, imageWidth: Int, imageHeight: Int) -> Mask {
        var mask = Mask(width: max(0, imageWidth), height: max(0, imageHeight))
        let target = box.clipped(width: mask.width, height: mask.height)
        guard !box.isEmpty, !target.isEmpty, probability.width > 0, probability.height > 0 else { return mask }
        let full = upsample(probability)
        mask.bits.withUnsafeMutableBufferPointer { bits in
            full.pixels.withUnsafeBufferPointer { src in
                for y in target.y0..<target.y1 {
                    let s = src.baseAddress! + (y - box.y0) * box.width + (target.x0 - box.x0)
                    let d = bits.baseAddress! + y * mask.width + target.x0
                    for i in 0..<target.width { d[i] = s[i] >= 128 ? 1 : 0 }
                }
            }
        }
        return mask
    }

    /// The probability map bilinearly resampled to the box's full resolution
    /// (`box.width × box.height`), pixel centres aligned, rounded to 0…255.
    public func upsample(_ probability: GrayImage) -> GrayImage {
        guard !box.isEmpty, probability.width > 0, probability.height > 0 else {
            return GrayImage(width: box.width, height: box.height)
        }
        var out = [UInt8](repeating: 0, count: box.area)
        probability.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                Resample.bilinear(
                    source: src.baseAddress!, sourceWidth: probability.width, sourceHeight: probability.height,
                    channels: 1, destination: dst.baseAddress!, destinationWidth: box.width, destinationHeight: box.height)
            }
        }
        return GrayImage(width: box.width, height: box.height, pixels: out)
    }
}
