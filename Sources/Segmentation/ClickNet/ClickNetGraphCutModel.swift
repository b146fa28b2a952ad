import FewClickCore
import Foundation

/// `clicknet-graphcut`: the learned model's shape, the graph cut's click guarantees.
///
/// Every call runs `clicknet` on the crop and clicks, then the graph-cut engine with the network's
/// log-odds as an extra unary term (`GraphCutSettings.networkPrior`, `networkCorrectionPrior`): the
/// colour models, the contrast-sensitive pairwise term and the hard click constraints stay, so each
/// corrective click changes the mask where it lands and boundaries snap to image edges, while the
/// first mask starts from the network's labelling instead of the traced contour.
///
/// Deterministic; safe to call concurrently.
public final class ClickNetGraphCutModel: SegmentationModel {
    /// `clicknet-graphcut`.
    public let name = "clicknet-graphcut"
    /// The network's version and the graph cut's, e.g. `1.0+1.1`.
    public let version: String
    /// The network.
    public let network: ClickNetModel
    /// The graph cut that refines it.
    public let graphCut: GraphCutModel

    /// Combines a loaded network with a graph cut.
    ///
    /// - Parameters:
    ///   - network: the loaded `clicknet`.
    ///   - settings: the graph cut's settings (the `network…` fields weight the network's prior).
    public init(network: ClickNetModel, settings: GraphCutSettings = ClickNetGraphCutModel.defaultSettings) {
        self.network = network
        self.graphCut = GraphCutModel(settings: settings)
        self.version = "\(network.version)+\(graphCut.version)"
    }

    /// The hybrid's graph-cut settings, chosen on the dev set (coco128-dev, extreme + corrective
    /// clicks): `GraphCutSettings.default` except `networkPrior` 0.5 and `networkCorrectionPrior` 2.5
    /// (nats per unit of log-odds), the traced contour kept at full weight (`networkContourScale` 1)
    /// with `insidePrior` 4 and `outsidePrior` 2, `smoothness` 7, `extremeRadius` 3 and
    /// `localWindow` 0 (a corrective click re-cuts the whole box, since the network's answer moves
    /// everywhere).
    public static let defaultSettings: GraphCutSettings = {
        var s = GraphCutSettings.default
        s.networkPrior = 0.5
        s.networkCorrectionPrior = 2.5
        s.networkContourScale = 1
        s.insidePrior = 4
        s.outsidePrior = 2
        s.smoothness = 7
        s.extremeRadius = 3
        s.localWindow = 0
        return s
    }()

    /// Segments one object.
    ///
    /// - Throws: `SegmentationError` for an empty crop, no extreme points or non-finite clicks.
    public func segment(_ input: SegmentationInput) throws -> GrayImage {
        try run(input, withBelief: false).answer
    }

    /// The answer of ``segment(_:)`` with the network's probability map as the belief (when the
    /// graph cut runs), so the next-click hint sees where the network and the cut disagree.
    ///
    /// - Throws: as ``segment(_:)``.
    public func segmentWithBelief(_ input: SegmentationInput) throws -> SegmentationOutput {
        try run(input, withBelief: true)
    }

    private func run(_ input: SegmentationInput, withBelief: Bool) throws -> SegmentationOutput {
        if graphCut.settings.networkFirstMask && !input.clicks.contains(where: { $0.kind != .extreme }) {
            return SegmentationOutput(answer: try network.segment(input))
        }
        let logits = try network.logits(input)
        let answer = try graphCut.segment(input, network: logits)
        guard withBelief else { return SegmentationOutput(answer: answer) }
        let belief = logits.map { logit -> UInt8 in
            let p = 255 / (1 + Foundation.exp(-Double(logit)))
            return p.isNaN ? 128 : UInt8(p.rounded())
        }
        return SegmentationOutput(
            answer: answer, belief: GrayImage(width: input.image.width, height: input.image.height, pixels: belief))
    }
}
