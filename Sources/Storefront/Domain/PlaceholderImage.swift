import HTTPTypes
import EmporiumKit
import EmporiumCore
import Foundation
/// The image of a product without one: an SVG of two shapes in colours chosen from the
/// product's id, so each product looks different and nothing of its name is in the file (the
/// page's `alt` names it).
enum PlaceholderImage {
    static func svg(for id: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in id.utf8 {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        let hue = Int(hash % 360)
        let accent = (hue + 140) % 360
        let radius = 40 + Int((hash >> 9) % 50)
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 240" width="320" height="240" role="img">\
            <rect width="320" height="240" fill="hsl(\(hue),45%,86%)"/>\
            <circle cx="160" cy="120" r="\(radius)" fill="hsl(\(accent),40%,55%)"/>\
            </svg>
            """
    }

    /// Whether `id` may name a placeholder: a product id (UUID characters only).
    static func isValidID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) || $0 == 45 }
    }
}
