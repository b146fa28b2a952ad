import CurlHTTP
import FewClickCore
import Foundation
import Logging

/// The signing keys of the configured JWKS URLs, fetched with ``CurlClient`` (on its own threads,
/// never blocking the cooperative pool) and cached as ``JWKSSettings`` describes.
///
/// Time is the `now` each lookup passes in (the verifier's clock), so tests drive expiry with a
/// clock of their own. Concurrent lookups that need the same URL share one fetch.
actor JWKSKeyStore {
    private struct Source {
        let url: String
        var keys: [SigningKey] = []
        /// Whether a key set was ever fetched from this URL.
        var fetched = false
        /// When the current keys go stale; `nil` before the first fetch.
        var expiresAt: Date?
        /// No new attempt before this time, after a failure.
        var retryNotBefore: Date?
        /// The last refresh caused by an unknown `kid`.
        var lastUnknownKeyRefresh: Date?
        /// Whether the last attempt failed (the failure is logged once, and the recovery).
        var failing = false
        var inFlight: Task<Void, Never>?

        func isStale(_ now: Date) -> Bool { expiresAt.map { now >= $0 } ?? true }
        func mayTry(_ now: Date) -> Bool { retryNotBefore.map { now >= $0 } ?? true }
    }

    private var sources: [Source]
    private let settings: JWKSSettings
    private let client: CurlClient
    private let logger: Logger

    init(settings: JWKSSettings, client: CurlClient, logger: Logger) {
        self.settings = settings
        self.sources = settings.urls.map { Source(url: $0) }
        self.client = client
        self.logger = logger
    }

    /// The key that verifies a token whose header has `kid` and `alg`, at time `now`.
    ///
    /// Stale sets are refetched first (a failed fetch keeps the old keys); an unknown `kid` (or an
    /// empty set) triggers one early refresh per URL per ``JWKSSettings/unknownKeyRefreshInterval``.
    /// - Throws: ``TokenError/unknownKey`` (no key with that `kid`; no `kid` while the set has several
    ///   keys), ``TokenError/unsupportedAlgorithm`` (the key is for another algorithm),
    ///   ``TokenError/keysUnavailable`` (no URL was ever fetched successfully).
    func key(keyID: String?, algorithm: KeySetAlgorithm, now: Date) async throws(TokenError) -> SigningKey {
        let stale = sources.indices.filter { sources[$0].isStale(now) && sources[$0].mayTry(now) }
        await refresh(stale, now: now)
        if let key = try select(keyID: keyID, algorithm: algorithm) { return key }

        // An early refresh for an unknown kid, except of the sets this call has just fetched.
        let interval = settings.unknownKeyRefreshInterval.seconds
        let due = sources.indices.filter { index in
            let source = sources[index]
            guard !stale.contains(index) else { return false }
            let rested = source.lastUnknownKeyRefresh.map { now.timeIntervalSince($0) >= interval } ?? true
            return rested && source.mayTry(now)
        }
        if !due.isEmpty {
            for index in due { sources[index].lastUnknownKeyRefresh = now }
            await refresh(due, now: now)
            if let key = try select(keyID: keyID, algorithm: algorithm) { return key }
        }
        guard sources.contains(where: \.fetched) else { throw TokenError.keysUnavailable }
        throw keyID == nil
            ? TokenError.unknownKey.with(message: "the identity provider's key set is empty")
            : TokenError.unknownKey.with(message: "no key of the identity provider's key set has the token's kid")
    }

    /// The key for `keyID` and `algorithm` among the current keys; `nil` when no key has that `kid`
    /// (or, without a `kid`, when the set is empty).
    private func select(keyID: String?, algorithm: KeySetAlgorithm) throws(TokenError) -> SigningKey? {
        let all = sources.flatMap(\.keys)
        let candidates: [SigningKey]
        if let keyID {
            candidates = all.filter { $0.keyID == keyID }
        } else {
            guard all.count <= 1 else {
                throw TokenError.unknownKey.with(message: "the token has no kid and the key set has several keys")
            }
            candidates = all
        }
        guard !candidates.isEmpty else { return nil }
        guard let key = candidates.first(where: { $0.algorithm == algorithm }) else {
            throw TokenError.unsupportedAlgorithm.with(message: "the token's alg is not the algorithm of its signing key")
        }
        return key
    }

    /// Fetches the sources at `indices` (joining fetches already running) and waits for all of them.
    private func refresh(_ indices: [Int], now: Date) async {
        guard !indices.isEmpty else { return }
        let tasks = indices.map { index in
            if let running = sources[index].inFlight { return running }
            let task = Task { await self.fetch(index, now: now) }
            sources[index].inFlight = task
            return task
        }
        for task in tasks { await task.value }
    }

    private struct Fetched: Sendable {
        var keys: [SigningKey]
        var skipped: [String]
        var maxAge: Duration?
    }

    private func fetch(_ index: Int, now: Date) async {
        let url = sources[index].url
        let outcome = await Self.download(url, client: client, settings: settings)
        sources[index].inFlight = nil
        switch outcome {
        case .success(let fetched): accept(fetched, index: index, now: now)
        case .failure(let failure): fail(failure.description, index: index, now: now)
        }
    }

    private func accept(_ fetched: Fetched, index: Int, now: Date) {
        let ttl = min(max(fetched.maxAge ?? settings.defaultCacheTime, settings.minimumCacheTime), settings.maximumCacheTime)
        let source = sources[index]
        let kids = fetched.keys.map { $0.keyID ?? "(no kid)" }
        let changed = !source.fetched || kids != source.keys.map { $0.keyID ?? "(no kid)" }
        sources[index].keys = fetched.keys
        sources[index].fetched = true
        sources[index].expiresAt = now.addingTimeInterval(ttl.seconds)
        sources[index].retryNotBefore = nil
        sources[index].failing = false
        let metadata: Logger.Metadata = ["jwks": .string(source.url)]
        if source.failing {
            logger.notice("JWKS answers again: \(kids.count) keys", metadata: metadata)
        }
        guard changed else { return }
        logger.info(
            "JWKS: \(kids.count) keys (kid \(kids.joined(separator: ", "))), cached \(ttl.components.seconds) s",
            metadata: metadata)
        for reason in fetched.skipped {
            logger.warning("JWKS key skipped: \(reason)", metadata: metadata)
        }
        if fetched.keys.isEmpty {
            logger.warning("JWKS has no usable key: tokens signed for it are refused", metadata: metadata)
        }
    }

    private func fail(_ reason: String, index: Int, now: Date) {
        sources[index].retryNotBefore = now.addingTimeInterval(settings.retryInterval.seconds)
        let source = sources[index]
        let metadata: Logger.Metadata = ["jwks": .string(source.url)]
        guard !source.failing else {
            logger.debug("JWKS fetch failed again: \(reason)", metadata: metadata)
            return
        }
        sources[index].failing = true
        let consequence =
            source.fetched
            ? "serving the \(source.keys.count) keys fetched before until it answers"
            : "no keys yet: tokens signed by this provider get 503 auth_unavailable until it answers"
        logger.warning("JWKS fetch failed (\(reason)); \(consequence)", metadata: metadata)
    }

    private struct FetchFailure: Error, CustomStringConvertible {
        let description: String
    }

    private static func download(_ url: String, client: CurlClient, settings: JWKSSettings) async -> Result<Fetched, FetchFailure> {
        let request = CurlRequest(
            method: "GET", url: url, headers: [HTTPHeaderField("Accept", "application/json")],
            connectTimeout: min(.seconds(2), settings.fetchTimeout), timeout: settings.fetchTimeout,
            maxResponseBytes: settings.maxBytes)
        let response: CurlResponse
        do {
            response = try await client.execute(request)
        } catch {
            return .failure(FetchFailure(description: error.description))
        }
        guard response.status == 200 else {
            return .failure(FetchFailure(description: "HTTP \(response.status)"))
        }
        do {
            let parsed = try await JWKSDocument.keys(from: response.body)
            return .success(
                Fetched(keys: parsed.keys, skipped: parsed.skipped, maxAge: JWKSCacheControl.maxAge(response.header("Cache-Control"))))
        } catch {
            return .failure(FetchFailure(description: error.description))
        }
    }
}
