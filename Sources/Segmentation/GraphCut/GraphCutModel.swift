import FewClickCore
import Synchronization

/// The default engine: interactive graph cut seeded by the four extreme points (GrabCut family).
///
/// Energy on the crop: hard background outside the box of the extreme points and positive clicks;
/// hard object on small disks at the extreme points and positive clicks, hard background at negative
/// clicks; colour likelihoods from two Gaussian mixtures (object, background) refitted over a few
/// iterations; a contrast-sensitive 8-neighbour pairwise term; soft priors from the contour traced
/// along image edges through the extreme points and from geodesic neighbourhoods of corrective
/// clicks; solved exactly by max-flow (`GridMaxFlow`). Corrective clicks warm-start from the previous
/// mask. Only the object parts connected to object seeds are kept, small holes are filled, and the
/// answer is a probability ramp across the cut.
///
/// Deterministic: the output is a function of the input alone. The per-session cache holds only
/// data derived from the crop and the clicks (pairwise capacities, edge map, the extreme-point
/// contour, geodesic distances around clicks), reused when the same crop comes back under the same
/// `sessionKey`, so it changes speed, never results. Safe to call concurrently.
public final class GraphCutModel: SegmentationModel {
    /// `graphcut`.
    public let name = "graphcut"
    /// Version reported with every answer; bump when results change.
    public let version = "1.1"
    /// The engine's settings.
    public let settings: GraphCutSettings

    private struct CacheEntry: Sendable {
        var image: RGBImage
        var features: CropFeatures
        var memo: GraphCutEngine.Memo?
    }
    /// Most recent sessions first; at most `cacheCapacity` entries.
    private let cache = Mutex<[(key: String, entry: CacheEntry)]>([])
    private let cacheCapacity: Int

    /// Creates the model.
    ///
    /// - Parameters:
    ///   - settings: engine parameters (defaults chosen on the dev set).
    ///   - cacheCapacity: how many sessions' crop features to keep (each about 52 bytes per crop pixel,
    ///     3.4 MB at 256 × 256, plus about 60 KB per remembered click, at most 64 clicks).
    public init(settings: GraphCutSettings = .default, cacheCapacity: Int = 8) {
        self.settings = settings
        self.cacheCapacity = max(0, cacheCapacity)
    }

    /// Segments one object on the crop.
    ///
    /// - Throws: `SegmentationError` when there is no extreme point, the crop is empty, or a click
    ///   coordinate is not finite or beyond ±10⁷ pixels. Clicks outside the crop are otherwise allowed.
    public func segment(_ input: SegmentationInput) throws -> GrayImage {
        try segment(input, network: nil)
    }

    /// Segments with an optional learned prior: `network` holds the learned model's log-odds of the
    /// object per crop pixel (see `GraphCutSettings.networkPrior`), as `clicknet-graphcut` passes.
    func segment(_ input: SegmentationInput, network: [Float]?) throws -> GrayImage {
        let image = input.image
        try input.checkCropAndClicks(model: name)
        let cached = lookup(image: image, sessionKey: input.sessionKey)
        let features = cached?.features ?? CropFeatures(image: image, settings: settings)
        let engine = GraphCutEngine(settings: settings, features: features)
        let (labels, memo) = engine.run(
            clicks: input.clicks, previous: input.previousMask, memo: cached?.memo, network: network)
        if let key = input.sessionKey, cacheCapacity > 0 {
            store(CacheEntry(image: image, features: features, memo: memo), key: key)
        }
        return engine.probability(labels: labels)
    }

    /// The cached entry for this session, when it was made for the same crop pixels.
    private func lookup(image: RGBImage, sessionKey: String?) -> CacheEntry? {
        guard let key = sessionKey, cacheCapacity > 0 else { return nil }
        return cache.withLock { entries in
            guard let idx = entries.firstIndex(where: { $0.key == key }), entries[idx].entry.image == image else { return nil }
            return entries[idx].entry
        }
    }

    private func store(_ entry: CacheEntry, key: String) {
        cache.withLock { entries in
            entries.removeAll { $0.key == key }
            entries.insert((key, entry), at: 0)
            if entries.count > cacheCapacity { entries.removeLast(entries.count - cacheCapacity) }
        }
    }
}
