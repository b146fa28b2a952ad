/// Placeholder until this module is written.
enum ProxyPlaceholder {}
