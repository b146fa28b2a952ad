import Segmentation
import Synchronization

/// The models the endpoint serves, and whether they are loaded yet.
final class ModelRegistry: Sendable {
    enum State: Sendable {
        case loading
        case ready([String: any SegmentationModel])
        case failed(String)
    }

    /// Names in configuration order; the first is the default (`/invocations`).
    let names: [String]
    private let state = Mutex<State>(.loading)

    init(names: [String]) {
        self.names = names
    }

    var defaultName: String { names[0] }

    var isReady: Bool {
        state.withLock { if case .ready = $0 { true } else { false } }
    }

    func markReady(_ models: [String: any SegmentationModel]) { state.withLock { $0 = .ready(models) } }
    func markFailed(_ reason: String) { state.withLock { $0 = .failed(reason) } }

    enum Lookup {
        case found(any SegmentationModel)
        case unknown
        case notReady
    }

    /// The model called `name` (nil: the default model).
    func model(named name: String?) -> Lookup {
        let name = name ?? defaultName
        return state.withLock { state in
            switch state {
            case .ready(let models): models[name].map(Lookup.found) ?? .unknown
            case .loading, .failed: names.contains(name) ? .notReady : .unknown
            }
        }
    }
}
