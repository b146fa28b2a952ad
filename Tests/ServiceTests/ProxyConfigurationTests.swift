import Proxy
import Testing

/// `ProxyConfiguration`'s settings: each `FEWCLICK_*` variable and its command-line flag follow one rule.
@Suite("Proxy configuration")
struct ProxyConfigurationTests {
    @Test("every integer variable sets its property; the defaults stay when it is absent or empty")
    func integersFromEnvironment() throws {
        let defaults = try ProxyConfiguration.fromEnvironment([:])
        #expect(defaults == ProxyConfiguration())
        #expect(try ProxyConfiguration.fromEnvironment(["FEWCLICK_MAX_CLICKS": ""]) == defaults)

        let read = try ProxyConfiguration.fromEnvironment([
            "FEWCLICK_ENDPOINT_TIMEOUT_MS": "1500", "FEWCLICK_MAX_CLICKS": "0", "FEWCLICK_MAX_CROP_SIDE": "64",
            "FEWCLICK_MAX_DECODE_BYTES": "4096", "FEWCLICK_IMAGE_STORE_TTL": "7",
            "FEWCLICK_IMAGE_STORE_MAX_IMAGE_BYTES": "0", "FEWCLICK_IMAGE_STORE_TIMEOUT_MS": "250",
        ])
        #expect(read.endpointTimeout == .milliseconds(1500))
        #expect(read.maxClicks == 0)
        #expect(read.cropSettings.maxSide == 64)
        #expect(read.maxDecodeBytes == 4096)
        #expect(read.imageStore == ImageStoreSettings(ttl: .seconds(7), maxImageBytes: 0, timeout: .milliseconds(250)))
    }

    @Test("a variable below its minimum, or not an integer, is refused by name", arguments: [
        ("FEWCLICK_MAX_CROP_SIDE", "7", "FEWCLICK_MAX_CROP_SIDE=7 is not an integer ≥ 8"),
        ("FEWCLICK_IMAGE_STORE_TTL", "0", "FEWCLICK_IMAGE_STORE_TTL=0 is not an integer ≥ 1"),
        ("FEWCLICK_MAX_CLICKS", "ten", "FEWCLICK_MAX_CLICKS=ten is not an integer ≥ 0"),
    ])
    func integerRefused(variable: String, value: String, message: String) {
        let error = #expect(throws: ProxyConfiguration.Invalid.self) {
            try ProxyConfiguration.fromEnvironment([variable: value])
        }
        #expect(error?.description == message)
    }

    @Test("a flag is checked against its variable's minimum and sets the same property")
    func flagFollowsTheVariable() throws {
        var configuration = ProxyConfiguration()
        try configuration.set(.imageStoreTTL, to: 9, flag: "--image-store-ttl")
        #expect(configuration.imageStore.ttl == .seconds(9))
        try configuration.set(.imageStoreMaxImageBytes, to: 0, flag: "--image-store-max-image-bytes")
        #expect(configuration.imageStore.maxImageBytes == 0)
        let ttl = #expect(throws: ProxyConfiguration.Invalid.self) {
            try configuration.set(.imageStoreTTL, to: 0, flag: "--image-store-ttl")
        }
        #expect(ttl?.description == "--image-store-ttl must be ≥ 1")
        let decodes = #expect(throws: ProxyConfiguration.Invalid.self) {
            try configuration.set(.maxConcurrentDecodes, to: 0, flag: "--max-concurrent-decodes")
        }
        #expect(decodes?.description == "--max-concurrent-decodes must be ≥ 1")
        #expect(configuration.imageStore.ttl == .seconds(9), "a refused value changes nothing")
    }

    @Test("the image store: memory or empty is the local LRU; a redis URL is checked the same way for the variable and the flag")
    func imageStore() throws {
        #expect(try ProxyConfiguration.fromEnvironment(["FEWCLICK_IMAGE_STORE": "memory"]).imageStore.url == nil)
        let redis = try ProxyConfiguration.fromEnvironment(["FEWCLICK_IMAGE_STORE": "redis://127.0.0.1:6379/2"])
        #expect(redis.imageStore.url == "redis://127.0.0.1:6379/2")

        var configuration = redis
        try configuration.setImageStore("memory", source: "--image-store")
        #expect(configuration.imageStore.url == nil)
        for source in ["FEWCLICK_IMAGE_STORE", "--image-store"] {
            let error = #expect(throws: ProxyConfiguration.Invalid.self) {
                try configuration.setImageStore("http://127.0.0.1:6379", source: source)
            }
            #expect(error?.description.hasPrefix("\(source): ") == true)
        }
        #expect(throws: ProxyConfiguration.Invalid.self) {
            try ProxyConfiguration.fromEnvironment(["FEWCLICK_IMAGE_STORE": "redis://"])
        }
    }
}
