#include "master/api/request.h"

#include <string>

#include "gtest/gtest.h"
#include "master/api/codes.h"

namespace synth::api {
namespace {

TEST(RequestTest, JsonCommandAndParameter) {
  ApiRequest r = ParseRequest(R"({"command":"summary","parameter":""})");
  EXPECT_TRUE(r.json);
  EXPECT_EQ(r.error_code, 0);
  EXPECT_FALSE(r.joined);
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(r.commands[0], "summary");
  EXPECT_EQ(r.parameter, "");
  // Numeric parameters are spelled as cgminer does.
  EXPECT_EQ(ParseRequest(R"({"command":"switchpool","parameter":1})").parameter, "1");
  EXPECT_EQ(ParseRequest(R"({"command":"x","parameter":1.5})").parameter, "1.500000");
  // A trailing newline or the NUL some clients send is not part of the request.
  EXPECT_EQ(ParseRequest(std::string("{\"command\":\"pools\"}\n\0", 21)).commands[0], "pools");
}

TEST(RequestTest, JoinedCommandsDropBlanksAndRepeats) {
  ApiRequest r = ParseRequest(R"({"command":"summary+pools++devs+pools","parameter":"x"})");
  EXPECT_TRUE(r.joined);
  EXPECT_EQ(r.commands, (std::vector<std::string>{"summary", "pools", "devs"}));
  EXPECT_EQ(r.parameter, "");
}

TEST(RequestTest, TextForm) {
  ApiRequest r = ParseRequest("switchpool|1\n");
  EXPECT_FALSE(r.json);
  EXPECT_EQ(r.commands, std::vector<std::string>{"switchpool"});
  EXPECT_EQ(r.parameter, "1");
  EXPECT_EQ(ParseRequest("summary+devs").commands.size(), 2u);
}

TEST(RequestTest, BadJsonGetsCgminersCodes) {
  EXPECT_EQ(ParseRequest("{not json").error_code, kCodeInvalidJson);
  EXPECT_EQ(ParseRequest(R"({"command":"summary"} trailing)").error_code, kCodeInvalidJson);
  EXPECT_EQ(ParseRequest("{\"command\":\"\xff\xfe\"}").error_code, kCodeInvalidJson);
  EXPECT_EQ(ParseRequest(R"({"parameter":"0"})").error_code, kCodeMissingCommand);
  EXPECT_EQ(ParseRequest(R"({"command":7})").error_code, kCodeInvalidCommand);
  EXPECT_EQ(ParseRequest(R"({"command":["summary"]})").error_code, kCodeInvalidCommand);
  // Deep nesting is refused before it reaches the parser.
  std::string deep = "{\"a\":" + std::string(2000, '[') + std::string(2000, ']') + "}";
  EXPECT_EQ(ParseRequest(deep).error_code, kCodeInvalidJson);
  std::string ok =
      "{\"command\":\"summary\",\"a\":" + std::string(30, '[') + std::string(30, ']') + "}";
  EXPECT_EQ(ParseRequest(ok).error_code, 0);
}

TEST(RequestTest, CompletenessFollowsBraces) {
  EXPECT_FALSE(RequestComplete(""));
  EXPECT_FALSE(RequestComplete(R"({"command":"sum)"));
  EXPECT_FALSE(RequestComplete(R"({"command":"a}b")"));   // A brace inside a string.
  EXPECT_FALSE(RequestComplete(R"({"command":"a\"}")"));  // An escaped quote.
  EXPECT_TRUE(RequestComplete(R"({"command":"a\"}"})"));
  EXPECT_TRUE(RequestComplete(R"({"command":"summary"})"));
  EXPECT_TRUE(RequestComplete("summary"));  // Text: one read is the request, as in cgminer.
}

}  // namespace
}  // namespace synth::api
