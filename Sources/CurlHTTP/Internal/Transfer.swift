import CCurl

/// One libcurl easy handle and what a transfer on it needs. Used by one worker thread at a time;
/// `curl_easy_reset` between requests clears the options but keeps the handle's open
/// connections, DNS cache and TLS sessions, which is what makes keep-alive reuse work.
final class Transfer {
    private let handle: UnsafeMutableRawPointer
    /// CURLOPT_ERRORBUFFER: libcurl's detailed message for the last failure.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init() {
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed (out of memory)") }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    /// Closes the handle and its connections.
    func close() {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Runs one request to completion (blocking the calling thread).
    func perform(_ request: CurlRequest, cancelFlag: AtomicFlag) -> Result<CurlResponse, CurlError> {
        if cancelFlag.isSet { return .failure(Job.cancelled) }
        curl_easy_reset(handle)
        errorBuffer[0] = 0

        let state = TransferState(maxBytes: request.maxResponseBytes, cancelFlag: cancelFlag)
        state.addressFilter = request.addressFilter
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }

        do throws(CurlError) {
            try validate(request)
            try set(CURLOPT_ERRORBUFFER, pointer: errorBuffer)
            try set(CURLOPT_URL, string: request.url)
            try set(CURLOPT_PROTOCOLS_STR, string: "http,https")
            try set(CURLOPT_NOSIGNAL, 1)
            try set(CURLOPT_FOLLOWLOCATION, 0)
            try set(CURLOPT_CONNECTTIMEOUT_MS, milliseconds(request.connectTimeout))
            try set(CURLOPT_TIMEOUT_MS, milliseconds(request.timeout))
            try check(ccurl_setopt_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(max(0, request.maxResponseBytes))))

            // Headers: the caller's, then removal of the ones libcurl would add on its own.
            var hasContentType = false
            for field in request.headers {
                let name = field.name.lowercased()
                if name == "expect" { continue }
                if name == "content-type" { hasContentType = true }
                // "Name;" is libcurl's spelling of a header with an empty value.
                let line = field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)"
                headerList = curl_slist_append(headerList, line)
            }
            headerList = curl_slist_append(headerList, "Expect:")
            if !hasContentType { headerList = curl_slist_append(headerList, "Content-Type:") }
            try set(CURLOPT_HTTPHEADER, pointer: headerList)

            let opaqueState = Unmanaged.passUnretained(state).toOpaque()
            try check(ccurl_setopt_write_function(handle, transferWriteCallback))
            try set(CURLOPT_WRITEDATA, pointer: opaqueState)
            try check(ccurl_setopt_header_function(handle, transferHeaderCallback))
            try set(CURLOPT_HEADERDATA, pointer: opaqueState)
            try check(ccurl_setopt_xferinfo_function(handle, transferProgressCallback))
            try set(CURLOPT_XFERINFODATA, pointer: opaqueState)
            try set(CURLOPT_NOPROGRESS, 0)
            if request.addressFilter != nil {
                try check(ccurl_setopt_prereq_function(handle, transferPrereqCallback))
                try set(CURLOPT_PREREQDATA, pointer: opaqueState)
                // No proxy from the environment: the address checked must be the origin's.
                try set(CURLOPT_PROXY, string: "")
            }
        } catch {
            return .failure(error)
        }

        // The body pointer must stay valid for the whole perform: keep both inside the closure.
        let code: CURLcode = request.body.withUnsafeBufferPointer { body in
            do throws(CurlError) {
                try setMethod(request.method, body: body)
            } catch {
                return CURLE_BAD_FUNCTION_ARGUMENT
            }
            return withExtendedLifetime(state) { curl_easy_perform(handle) }
        }
        guard code == CURLE_OK else { return .failure(error(for: code, state: state)) }

        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return .success(CurlResponse(status: status, headers: state.headers, body: state.body))
    }

    // MARK: - Options

    private func setMethod(_ method: String, body: UnsafeBufferPointer<UInt8>) throws(CurlError) {
        // POSTFIELDS needs a non-null pointer even for an empty body.
        let bytes = UnsafeRawPointer(body.baseAddress) ?? UnsafeRawPointer(errorBuffer)
        switch (method, body.isEmpty) {
        case ("GET", true):
            try set(CURLOPT_HTTPGET, 1)
        case ("HEAD", true):
            try set(CURLOPT_NOBODY, 1)
        case ("POST", _):
            try set(CURLOPT_POST, 1)
            try check(ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            try set(CURLOPT_POSTFIELDS, pointer: bytes)
        case (_, true):
            try set(CURLOPT_CUSTOMREQUEST, string: method)
        case (_, false):
            try set(CURLOPT_CUSTOMREQUEST, string: method)
            try check(ccurl_setopt_off(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            try set(CURLOPT_POSTFIELDS, pointer: bytes)
        }
    }

    private func set(_ option: CURLoption, _ value: Int) throws(CurlError) {
        try check(ccurl_setopt_long(handle, option, value))
    }

    private func set(_ option: CURLoption, pointer: UnsafeRawPointer?) throws(CurlError) {
        try check(ccurl_setopt_pointer(handle, option, pointer))
    }

    private func set<T>(_ option: CURLoption, pointer: UnsafeMutablePointer<T>?) throws(CurlError) {
        try check(ccurl_setopt_pointer(handle, option, pointer))
    }

    /// String options are copied by libcurl (since 7.17), so a temporary C string is enough.
    private func set(_ option: CURLoption, string: String) throws(CurlError) {
        let code = string.withCString { ccurl_setopt_pointer(handle, option, $0) }
        try check(code)
    }

    private func check(_ code: CURLcode) throws(CurlError) {
        guard code == CURLE_OK else {
            throw CurlError(code: .invalidRequest, message: "libcurl option rejected: \(String(cString: curl_easy_strerror(code)))")
        }
    }

    /// A whole number of milliseconds, rounded up, at least 1 (0 would mean "no timeout" to libcurl).
    private func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return 1 }
        guard seconds < Int64(Int.max / 1000 - 1) else { return Int.max / 1000 }
        let ms = Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
        return max(1, ms)
    }

    // MARK: - Validation and errors

    /// RFC 9110 `tchar`: the bytes allowed in a method or header name.
    private static let tokenCharacters = Set(
        "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
    /// NUL, LF and CR: never allowed in a URL or a header value.
    private static let forbidden: Set<UInt8> = [0, 10, 13]

    private func validate(_ request: CurlRequest) throws(CurlError) {
        guard !request.method.isEmpty, request.method.utf8.allSatisfy(Self.tokenCharacters.contains) else {
            throw CurlError(code: .invalidRequest, message: "invalid HTTP method \"\(request.method)\"")
        }
        guard request.maxResponseBytes >= 0 else {
            throw CurlError(code: .invalidRequest, message: "maxResponseBytes is negative")
        }
        guard !request.url.utf8.contains(where: Self.forbidden.contains), !request.url.utf8.contains(32) else {
            throw CurlError(code: .invalidRequest, message: "the URL contains spaces or control characters")
        }
        for field in request.headers {
            guard !field.name.isEmpty, field.name.utf8.allSatisfy(Self.tokenCharacters.contains) else {
                throw CurlError(code: .invalidRequest, message: "invalid header name \"\(field.name)\"")
            }
            guard !field.value.utf8.contains(where: Self.forbidden.contains) else {
                throw CurlError(code: .invalidRequest, message: "header \(field.name) has a CR, LF or NUL in its value")
            }
        }
    }

    private func error(for code: CURLcode, state: TransferState) -> CurlError {
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_COULDNT_CONNECT:
            return CurlError(code: .connectionRefused, message: detail)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return CurlError(code: .couldNotResolve, message: detail)
        case CURLE_OPERATION_TIMEDOUT:
            return CurlError(code: .timedOut, message: detail)
        case CURLE_FILESIZE_EXCEEDED:
            return CurlError(code: .responseTooLarge, message: "the response is larger than \(state.maxBytes) bytes")
        case CURLE_WRITE_ERROR where state.tooLarge:
            return CurlError(code: .responseTooLarge, message: "the response is larger than \(state.maxBytes) bytes")
        case CURLE_ABORTED_BY_CALLBACK where state.cancelFlag.isSet:
            return Job.cancelled
        case CURLE_ABORTED_BY_CALLBACK where state.refusedAddress != nil:
            return CurlError(
                code: .addressNotAllowed, message: "the address \(state.refusedAddress ?? "") is not allowed")
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT:
            return CurlError(code: .invalidRequest, message: detail)
        default:
            return CurlError(code: .transport, message: detail)
        }
    }
}

/// What the callbacks of one transfer collect. Touched only by the worker thread running it.
final class TransferState {
    let maxBytes: Int
    let cancelFlag: AtomicFlag
    var body: [UInt8] = []
    var headers: [HTTPHeaderField] = []
    var tooLarge = false
    /// The caller's check of the connected address, if any.
    var addressFilter: (@Sendable (String) -> Bool)?
    /// The address the filter refused.
    var refusedAddress: String?

    init(maxBytes: Int, cancelFlag: AtomicFlag) {
        self.maxBytes = maxBytes
        self.cancelFlag = cancelFlag
    }

    /// Handles one header line as libcurl delivers it (status lines included, CRLF at the end).
    func headerLine(_ line: UnsafeRawBufferPointer) {
        var bytes = line[...]
        while let last = bytes.last, last == 10 || last == 13 { bytes = bytes.dropLast() }
        if bytes.starts(with: "HTTP/".utf8) {
            // A new response begins (after a 1xx): only the final response's headers are kept.
            headers.removeAll()
            body.removeAll()
            return
        }
        guard let first = bytes.first else { return }
        if first == 32 || first == 9 {
            // Obsolete line folding: continues the previous header's value.
            if !headers.isEmpty {
                headers[headers.count - 1].value += " " + String(decoding: trimmed(bytes), as: UTF8.self)
            }
            return
        }
        guard let colon = bytes.firstIndex(of: 58) else { return }
        let name = String(decoding: bytes[..<colon], as: UTF8.self)
        let value = String(decoding: trimmed(bytes[(colon + 1)...]), as: UTF8.self)
        headers.append(HTTPHeaderField(name, value))
        if name.lowercased() == "content-length", let length = Int(value), length > 0, length <= maxBytes {
            body.reserveCapacity(length)
        }
    }

    private func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        var s = bytes
        while let f = s.first, f == 32 || f == 9 { s = s.dropFirst() }
        while let l = s.last, l == 32 || l == 9 { s = s.dropLast() }
        return s
    }
}

// libcurl callbacks: C function pointers, so no captures; the state arrives as user data.

private let transferWriteCallback: ccurl_data_callback = { data, size, count, user in
    let state = Unmanaged<TransferState>.fromOpaque(user!).takeUnretainedValue()
    let length = size * count
    guard length > 0 else { return 0 }
    if state.body.count + length > state.maxBytes {
        state.tooLarge = true
        return 0  // anything but `length` makes libcurl abort with CURLE_WRITE_ERROR
    }
    state.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
    return length
}

private let transferHeaderCallback: ccurl_data_callback = { data, size, count, user in
    let state = Unmanaged<TransferState>.fromOpaque(user!).takeUnretainedValue()
    let length = size * count
    state.headerLine(UnsafeRawBufferPointer(start: data, count: length))
    return length
}

private let transferProgressCallback: ccurl_xferinfo_callback = { user, _, _, _, _ in
    let state = Unmanaged<TransferState>.fromOpaque(user!).takeUnretainedValue()
    return state.cancelFlag.isSet ? 1 : 0
}

private let transferPrereqCallback: ccurl_prereq_callback = { user, primaryIP, _, _, _ in
    let state = Unmanaged<TransferState>.fromOpaque(user!).takeUnretainedValue()
    let address = primaryIP.map { String(cString: $0) } ?? ""
    guard let filter = state.addressFilter, filter(address) else {
        state.refusedAddress = address
        return Int32(CURL_PREREQFUNC_ABORT)
    }
    return Int32(CURL_PREREQFUNC_OK)
}
