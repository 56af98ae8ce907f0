import EmporiumKit
import Testing

/// Which control characters text input may contain.
@Suite struct InputTextTests {
    @Test func nulIsRefusedEverywhere() {
        #expect(InputText.problem(in: "lamp\u{0}", multiLine: false) == "must not contain U+0000 (NUL)")
        #expect(InputText.problem(in: "lamp\u{0}", multiLine: true) == "must not contain U+0000 (NUL)")
    }

    @Test func lineBreaksOnlyInMultiLineText() {
        for allowed in ["a\tb", "a\nb", "a\r\nb"] {
            #expect(InputText.problem(in: allowed, multiLine: true) == nil)
            #expect(InputText.problem(in: allowed, multiLine: false) != nil)
        }
    }

    @Test(arguments: ["\u{1}", "\u{1B}", "\u{1F}", "\u{7F}", "\u{85}", "\u{9F}"])
    func otherControlCharactersAreRefused(character: String) {
        #expect(InputText.problem(in: "a\(character)b", multiLine: true)?.contains("control characters") == true)
        #expect(InputText.problem(in: "a\(character)b", multiLine: false)?.contains("control characters") == true)
    }

    @Test func ordinaryTextPasses() {
        for text in ["", "Lamp", "ランプ \u{0D4E}\" 😀 e\u{301}", "\u{200D}\u{FEFF}\u{2028}"] {
            #expect(InputText.problem(in: text, multiLine: false) == nil)
        }
    }
}
