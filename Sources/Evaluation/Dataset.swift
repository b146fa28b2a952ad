import FewClickCore
import Foundation
import ImageCodec
import Synchronization

/// One object of an evaluation dataset: a row of `instances.csv`.
public struct EvaluationInstance: Sendable, Hashable, Codable {
    /// The instance id (unique within the dataset).
    public var id: String
    /// Path of the image file, relative to the dataset folder.
    public var image: String
    /// Path of the 0/255 ground-truth mask PNG, relative to the dataset folder.
    public var mask: String
    /// Path of the optional 0/255 ignore mask PNG (pixels left out of IoU and click placement).
    public var ignore: String?

    /// Creates an instance row.
    public init(id: String, image: String, mask: String, ignore: String? = nil) {
        self.id = id; self.image = image; self.mask = mask; self.ignore = ignore
    }
}

/// Why a dataset or one of its files could not be used.
public struct DatasetError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, naming the file or row.
    public var description: String
    /// The same text as ``description``: every library error has a `message` (README "Development").
    public var message: String { description }
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// An evaluation dataset: a folder holding `instances.csv` (columns `instance,image,mask`, optional
/// `ignore`, extra columns ignored; paths relative to the folder) and the files it names.
public struct EvaluationDataset: Sendable {
    /// The dataset folder.
    public var directory: URL
    /// The rows of `instances.csv`, in file order.
    public var instances: [EvaluationInstance]

    /// A display name: the folder's last path component.
    public var name: String { directory.lastPathComponent }

    /// Creates a dataset from its rows (paths relative to `directory`).
    public init(directory: URL, instances: [EvaluationInstance]) {
        self.directory = directory
        self.instances = instances
    }

    /// Reads `instances.csv` in `directory`.
    ///
    /// - Throws: `DatasetError` when the file is missing, lacks a required column, has a malformed
    ///   row or repeats an instance id.
    public init(contentsOf directory: URL) throws(DatasetError) {
        let csvURL = directory.appendingPathComponent("instances.csv")
        guard let data = FileManager.default.contents(atPath: csvURL.path) else {
            throw DatasetError("cannot read \(csvURL.path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DatasetError("\(csvURL.path) is not UTF-8")
        }
        let rows = CSV.parse(text)
        guard let header = rows.first else { throw DatasetError("\(csvURL.path) is empty") }
        func column(_ name: String) -> Int? { header.firstIndex { $0.trimmingCharacters(in: .whitespaces) == name } }
        guard let ci = column("instance"), let cImage = column("image"), let cMask = column("mask") else {
            throw DatasetError("\(csvURL.path) needs the columns instance,image,mask (got \(header.joined(separator: ",")))")
        }
        let cIgnore = column("ignore")
        var seen = Set<String>()
        var instances: [EvaluationInstance] = []
        for (n, row) in rows.dropFirst().enumerated() {
            if row.count == 1 && row[0].isEmpty { continue }
            guard row.count > max(ci, cImage, cMask) else {
                throw DatasetError("\(csvURL.path) row \(n + 2): expected at least \(max(ci, cImage, cMask) + 1) fields")
            }
            let id = row[ci]
            guard !id.isEmpty, seen.insert(id).inserted else {
                throw DatasetError("\(csvURL.path) row \(n + 2): empty or repeated instance id '\(id)'")
            }
            var ignore: String?
            if let cIgnore, cIgnore < row.count, !row[cIgnore].isEmpty { ignore = row[cIgnore] }
            instances.append(EvaluationInstance(id: id, image: row[cImage], mask: row[cMask], ignore: ignore))
        }
        self.init(directory: directory, instances: instances)
    }

    /// The absolute URL of a path relative to the dataset folder.
    public func url(_ relativePath: String) -> URL { directory.appendingPathComponent(relativePath) }
}

/// Minimal RFC 4180 CSV: comma-separated, `"` quoting with `""` escapes, LF or CRLF rows.
enum CSV {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var it = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = it.next()
        while let c = pending {
            pending = it.next()
            if quoted {
                if c == "\"" {
                    if pending == "\"" { field.unicodeScalars.append("\""); pending = it.next() } else { quoted = false }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",": row.append(field); field = ""
            case "\r": break
            case "\n": row.append(field); rows.append(row); row = []; field = ""
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}

/// Reads files whole. Blocking: call it from worker threads, not from Swift's cooperative pool.
enum FileBytes {
    static func read(_ url: URL) throws(DatasetError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw DatasetError("cannot read \(url.path)")
        }
        return [UInt8](data)
    }
}

/// One image file of a dataset as the evaluation needs it: the file's bytes (what a client uploads)
/// and, in-process, the decoded pixels.
public struct LoadedImage: Sendable {
    /// The original file bytes.
    public var bytes: [UInt8]
    /// The decoded image; nil when the run only needs the bytes (gateway mode).
    public var rgb: RGBImage?
}

/// A thread-safe cache of decoded images, shared by the workers of one run. Several instances share
/// one image; an entry is dropped when the last instance using it is done, so memory stays bounded
/// by the images in flight.
final class ImageCache: Sendable {
    private struct State {
        var images: [String: LoadedImage] = [:]
        var remainingUses: [String: Int] = [:]
    }
    private let state: Mutex<State>
    private let dataset: EvaluationDataset
    private let decode: Bool

    /// A cache for the given instances of `dataset` (their images' use counts drive eviction).
    init(dataset: EvaluationDataset, instances: [EvaluationInstance], decode: Bool) {
        var s = State()
        for i in instances { s.remainingUses[i.image, default: 0] += 1 }
        state = Mutex(s)
        self.dataset = dataset
        self.decode = decode
    }

    /// The image at `path` (relative to the dataset), read and decoded once.
    func image(_ path: String) throws(DatasetError) -> LoadedImage {
        if let hit = state.withLock({ $0.images[path] }) { return hit }
        // Decode outside the lock; a rare duplicate decode by two workers is harmless.
        let bytes = try FileBytes.read(dataset.url(path))
        var loaded = LoadedImage(bytes: bytes, rgb: nil)
        if decode {
            do { loaded.rgb = try ImageFile.decodeRGB(bytes) } catch {
                throw DatasetError("\(dataset.url(path).path): \(error)")
            }
        }
        state.withLock { s in
            if s.remainingUses[path, default: 0] > 0 { s.images[path] = loaded }
        }
        return loaded
    }

    /// Marks one use of `path` done; the entry is dropped after its last use.
    func release(_ path: String) {
        state.withLock { s in
            let left = s.remainingUses[path, default: 1] - 1
            s.remainingUses[path] = left
            if left <= 0 { s.images[path] = nil }
        }
    }
}

extension EvaluationDataset {
    /// Reads a 0/255 mask file (any non-zero byte ≥ 128 is object) as a `Mask`.
    ///
    /// - Throws: `DatasetError` when the file is missing or cannot be decoded.
    public func loadMask(_ relativePath: String) throws(DatasetError) -> Mask {
        let url = url(relativePath)
        let bytes = try FileBytes.read(url)
        do {
            return Mask(thresholding: try ImageFile.decodeGray(bytes))
        } catch {
            throw DatasetError("\(url.path): \(error)")
        }
    }
}
