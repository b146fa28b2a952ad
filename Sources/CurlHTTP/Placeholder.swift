/// Placeholder until this module is written.
enum CurlHTTPPlaceholder {}
