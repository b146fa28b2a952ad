import FewClickCore

/// Baseline `box`: the filled bounding box of the extreme points, minus a disk around every negative
/// click, plus a disk around every positive click.
///
/// It looks at no pixel of the image. It exists to put the real models' accuracy in context (an
/// extreme-point box is what a labeler gets for free) and to exercise the services with a model
/// whose answer is obvious. Output is 0/255 (a hard mask), the crop's size.
public struct BoxModel: SegmentationModel {
    /// `box`.
    public let name = "box"
    /// Version reported with every answer.
    public let version = "1"
    /// Radius in pixels of the disk a corrective click sets or clears (a pixel is in the disk when its
    /// distance to the click's pixel, centre to centre, is at most this). Default 5.
    public let clickRadius: Int

    /// Creates the model.
    ///
    /// - Parameter clickRadius: disk radius in pixels for corrective clicks (negative values act as 0).
    public init(clickRadius: Int = 5) {
        self.clickRadius = max(0, clickRadius)
    }

    /// The box of the extreme points with the corrective disks applied.
    ///
    /// - Throws: `SegmentationError` when the input has no extreme point.
    public func segment(_ input: SegmentationInput) throws -> GrayImage {
        let pixels = try BaselineDrawing.extremePixels(input, model: name)
        var map = GrayImage(width: input.image.width, height: input.image.height, fill: 0)
        let x0 = pixels.map(\.x).min()!, x1 = pixels.map(\.x).max()!
        let y0 = pixels.map(\.y).min()!, y1 = pixels.map(\.y).max()!
        for y in y0...y1 {
            for x in x0...x1 { map[x, y] = 255 }
        }
        BaselineDrawing.applyCorrections(input.clicks, radius: clickRadius, to: &map)
        return map
    }
}
