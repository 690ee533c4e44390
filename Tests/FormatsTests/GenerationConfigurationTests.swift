import Foundation
import Testing
import Formats

struct GenerationConfigurationTests {
    func parse(_ json: String) throws(HFModelError) -> GenerationConfiguration {
        try GenerationConfiguration(data: Data(json.utf8), path: "generation_config.json")
    }

    @Test func readsSingleAndListStopIds() throws {
        let single = try parse(#"{"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 2, "transformers_version": "5.17.0"}"#)
        #expect(single.bosTokenId == 1 && single.eosTokenIds == [2] && single.padTokenId == 2)
        #expect(single.temperature == nil && single.doSample == nil)
        // Llama 3.1 Instruct's file: several stop ids and sampling defaults.
        let list = try parse(#"{"bos_token_id": 128000, "do_sample": true, "eos_token_id": [128001, 128008, 128009], "temperature": 0.6, "top_p": 0.9}"#)
        #expect(list.eosTokenIds == [128001, 128008, 128009])
        #expect(list.doSample == true && list.temperature == 0.6 && list.topP == 0.9)
        #expect(try parse("{}").eosTokenIds.isEmpty)
    }

    @Test func badValuesNameTheKey() {
        #expect(throws: HFModelError.invalidValue(path: "generation_config.json", key: "eos_token_id", expected: "an integer or a list of integers")) {
            try parse(#"{"eos_token_id": ["</s>"]}"#)
        }
        #expect(throws: HFModelError.invalidValue(path: "generation_config.json", key: "temperature", expected: "a number")) {
            try parse(#"{"temperature": "hot"}"#)
        }
        #expect(throws: HFModelError.invalidValue(path: "generation_config.json", key: "do_sample", expected: "true or false")) {
            try parse(#"{"do_sample": 1}"#)
        }
        #expect(throws: HFModelError.invalidJSON(path: "generation_config.json")) { try parse("[1, 2]") }
    }
}
