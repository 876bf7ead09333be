#include "common/stratum/codec.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace synth::stratum {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(LineFramerTest, SplitsLinesAcrossChunksAndSkipsEmptyOnes) {
  LineFramer framer;
  std::vector<std::string> lines;
  ASSERT_TRUE(framer.Feed("{\"a\":1}\n{\"b\"", &lines).ok());
  ASSERT_TRUE(framer.Feed(":2}\r\n\n{\"c\":3}", &lines).ok());
  EXPECT_EQ(lines, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
  EXPECT_EQ(framer.pending(), 7u);
  ASSERT_TRUE(framer.Feed("\n", &lines).ok());
  EXPECT_EQ(lines.back(), "{\"c\":3}");
}

TEST(LineFramerTest, OversizeLineIsResourceExhaustedAndPoisons) {
  LineFramer framer(16);
  std::vector<std::string> lines;
  EXPECT_TRUE(framer.Feed(std::string(16, 'x') + "\n", &lines).ok());
  absl::Status s = framer.Feed(std::string(10, 'y'), &lines);
  ASSERT_TRUE(s.ok());
  s = framer.Feed(std::string(10, 'y'), &lines);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(framer.Feed("\n{}\n", &lines).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(lines.size(), 1u);
}

TEST(LineFramerTest, DefaultCapIs64KiB) {
  LineFramer framer;
  std::vector<std::string> lines;
  EXPECT_TRUE(framer.Feed(std::string(kMaxLineBytes, 'a') + "\n", &lines).ok());
  EXPECT_FALSE(framer.Feed(std::string(kMaxLineBytes + 1, 'a'), &lines).ok());
}

TEST(ParseLineTest, ClassifiesRequestsNotificationsAndResponses) {
  absl::StatusOr<Message> req = ParseLine(R"({"id":3,"method":"mining.submit","params":[]})");
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->kind, Message::Kind::kRequest);
  EXPECT_EQ(req->IntId(), 3);
  absl::StatusOr<Message> note =
      ParseLine(R"({"id":null,"method":"mining.set_difficulty","params":[2]})");
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(note->kind, Message::Kind::kNotification);
  EXPECT_EQ(note->method, "mining.set_difficulty");
  absl::StatusOr<Message> resp = ParseLine(R"({"id":"x","result":true,"error":null})");
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->kind, Message::Kind::kResponse);
  EXPECT_FALSE(resp->IntId().has_value());
  EXPECT_FALSE(resp->error.has_value());
}

TEST(ParseLineTest, ParsesErrorsAsArrayObjectOrString) {
  absl::StatusOr<Message> a = ParseLine(R"({"id":1,"result":null,"error":[21,"Job not found",null]})");
  ASSERT_TRUE(a.ok() && a->error);
  EXPECT_EQ(a->error->code, 21);
  EXPECT_EQ(a->error->message, "Job not found");
  absl::StatusOr<Message> o = ParseLine(R"({"id":1,"result":false,"error":{"code":-1,"message":"Stale"}})");
  ASSERT_TRUE(o.ok() && o->error);
  EXPECT_EQ(o->error->code, -1);
  EXPECT_EQ(o->error->message, "Stale");
  EXPECT_THAT(o->error->raw, HasSubstr("Stale"));
  absl::StatusOr<Message> s = ParseLine(R"({"id":1,"result":false,"error":"Above target"})");
  ASSERT_TRUE(s.ok() && s->error);
  EXPECT_EQ(s->error->message, "Above target");
}

TEST(ParseLineTest, BadInputNamesTheProblem) {
  struct Case {
    const char* line;
    const char* expect;
  } cases[] = {
      {"{not json", "malformed JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"id":1})", "neither method nor result"},
      {R"({"id":1,"method":5})", "method must be a string"},
      {R"({"id":1,"method":"x","params":{}})", "params must be an array"},
      {R"({"id":[1],"result":true})", "id must be"},
      {R"({"result":true})", "response without an id"},
      {R"({"id":1,"result":null,"error":[21]})", "error array malformed"},
      {R"({"id":1,"result":null,"error":5})", "error has the wrong type"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Message> m = ParseLine(c.line);
    ASSERT_FALSE(m.ok()) << c.line;
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << c.line;
    EXPECT_THAT(m.status().message(), HasSubstr(c.expect)) << c.line;
  }
}

TEST(ParseLineTest, DeepNestingAndOversizeAreRejected) {
  std::string deep = "{\"id\":1,\"result\":" + std::string(10000, '[') + std::string(10000, ']') + "}";
  EXPECT_THAT(ParseLine(deep).status().message(), HasSubstr("nested too deeply"));
  EXPECT_EQ(ParseLine(std::string(kMaxLineBytes + 1, ' ')).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(EncodeTest, RoundTripsRequestsAndResponses) {
  std::string line = EncodeRequest(7, "mining.authorize", MakeAuthorizeParams({"u", "p"}));
  ASSERT_EQ(line.back(), '\n');
  absl::StatusOr<Message> m = ParseLine(line.substr(0, line.size() - 1));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->IntId(), 7);
  absl::StatusOr<AuthorizeParams> a = ParseAuthorizeParams(m->params);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->user, "u");
  EXPECT_EQ(a->pass, "p");
  std::string resp = EncodeResponse(7, false, RpcError{23, "Low difficulty share", ""});
  absl::StatusOr<Message> r = ParseLine(resp);
  ASSERT_TRUE(r.ok() && r->error);
  EXPECT_EQ(r->error->code, 23);
  EXPECT_THAT(resp, HasSubstr(R"("error":[23,"Low difficulty share",null])"));
  absl::StatusOr<Message> n = ParseLine(EncodeNotification("client.show_message", json::array({"hi"})));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->kind, Message::Kind::kNotification);
  EXPECT_EQ(*ParseShowMessageParams(n->params), "hi");
}

TEST(SubscribeTest, ResultRoundTripAndResumeParam) {
  SubscribeResult r{{{"mining.set_difficulty", "s1"}, {"mining.notify", "s1"}}, "", {1, 2, 3, 4}, 4};
  absl::StatusOr<SubscribeResult> back = ParseSubscribeResult(MakeSubscribeResult(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->session_id, "s1");
  EXPECT_EQ(back->extranonce1, (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(back->extranonce2_size, 4);
  json single = json::parse(R"([["mining.notify","ab"],"0a0b",8])");
  EXPECT_EQ(ParseSubscribeResult(single)->session_id, "ab");
  absl::StatusOr<SubscribeParams> p = ParseSubscribeParams(MakeSubscribeParams({"synth/1", "s1"}));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->session_id, "s1");
}

TEST(SubscribeTest, AbsurdExtranonceIsRejected) {
  EXPECT_THAT(ParseSubscribeResult(json::parse(R"([[],"0a0b",1000])")).status().message(),
              HasSubstr("extranonce2_size 1000"));
  EXPECT_THAT(ParseSubscribeResult(json::parse(R"([[],"0a0b",0])")).status().message(),
              HasSubstr("extranonce2_size 0"));
  EXPECT_THAT(ParseSubscribeResult(json::parse(R"([[],"zz",4])")).status().message(),
              HasSubstr("extranonce1"));
  EXPECT_THAT(ParseSubscribeResult(json::parse(R"([[],"0a0b","4"])")).status().message(),
              HasSubstr("must be an integer"));
  EXPECT_FALSE(ParseSubscribeResult(json::parse(R"([[],"0a0b"])")).ok());
  EXPECT_FALSE(ParseSetExtranonceParams(json::parse(R"(["0a",17])")).ok());
  EXPECT_FALSE(ParseSetExtranonceParams(json::parse("[\"" + std::string(66, 'a') + "\",4]")).ok());
  absl::StatusOr<Extranonce> e = ParseSetExtranonceParams(json::parse(R"(["deadbeef",2])"));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->extranonce2_size, 2);
}

TEST(DifficultyTest, AcceptsFractionalRejectsNonPositiveNanHuge) {
  EXPECT_DOUBLE_EQ(*ParseDifficultyParams(json::array({0.0001}), "mining.set_difficulty"), 0.0001);
  EXPECT_DOUBLE_EQ(*ParseDifficultyParams(json::array({1024}), "mining.set_difficulty"), 1024);
  for (double bad : {0.0, -1.0, 1e300, std::numeric_limits<double>::quiet_NaN()}) {
    absl::StatusOr<double> d = ParseDifficultyParams(json::array({bad}), "mining.set_difficulty");
    EXPECT_FALSE(d.ok()) << bad;
  }
  EXPECT_THAT(ParseDifficultyParams(json::array({"8"}), "mining.set_difficulty").status().message(),
              HasSubstr("must be a number"));
  EXPECT_FALSE(ParseDifficultyParams(json::array(), "mining.set_difficulty").ok());
}

TEST(ConfigureTest, RoundTripsRequestAndResult) {
  ConfigureParams p{true, 0x1fffe000, 2, 0.5, true};
  absl::StatusOr<ConfigureParams> back = ParseConfigureParams(MakeConfigureParams(p));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->version_rolling);
  EXPECT_EQ(back->version_mask, 0x1fffe000u);
  EXPECT_EQ(back->version_min_bit_count, 2);
  EXPECT_DOUBLE_EQ(*back->minimum_difficulty, 0.5);
  EXPECT_TRUE(back->subscribe_extranonce);
  absl::StatusOr<ConfigureResult> r =
      ParseConfigureResult(json::parse(R"({"version-rolling":true,"version-rolling.mask":"00ffe000"})"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->version_mask, 0x00ffe000u);
  EXPECT_FALSE(ParseConfigureResult(json::parse(R"({"version-rolling":"no"})"))->version_rolling);
  EXPECT_FALSE(ParseConfigureResult(json::parse(R"({"version-rolling":true})")).ok());
  EXPECT_FALSE(ParseConfigureResult(json::parse(R"({"version-rolling":true,"version-rolling.mask":"xyz"})")).ok());
  EXPECT_FALSE(ParseConfigureResult(json::array()).ok());
}

TEST(ReconnectTest, PortAsIntOrStringAndBadValues) {
  absl::StatusOr<ReconnectParams> r = ParseReconnectParams(json::parse(R"(["pool.example.com","3334",5])"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->host, "pool.example.com");
  EXPECT_EQ(r->port, 3334);
  EXPECT_EQ(r->wait_s, 5);
  EXPECT_TRUE(ParseReconnectParams(json::array())->host.empty());
  EXPECT_FALSE(ParseReconnectParams(json::parse(R"(["h","x1"])")).ok());
  EXPECT_FALSE(ParseReconnectParams(json::parse(R"(["h",70000])")).ok());
  EXPECT_FALSE(ParseReconnectParams(json::parse(R"(["h",1,-3])")).ok());
  EXPECT_FALSE(ParseReconnectParams(json::parse(R"([5])")).ok());
}

TEST(SubmitTest, RoundTripWithAndWithoutVersionBits) {
  SubmitParams p{"w.1", "job7", {0, 0, 0, 1}, 0x5f5e1000, 0x9546a142, std::nullopt};
  json j = MakeSubmitParams(p);
  EXPECT_EQ(j.size(), 5u);
  EXPECT_EQ(j[4], "9546a142");
  EXPECT_EQ(*ParseSubmitParams(j), p);
  p.version_bits = 0x00002000;
  j = MakeSubmitParams(p);
  EXPECT_EQ(j[5], "00002000");
  EXPECT_EQ(*ParseSubmitParams(j), p);
}

TEST(SubmitTest, BadFieldsAreNamed) {
  EXPECT_THAT(ParseSubmitParams(json::parse(R"(["w","j","zz00","00000000","00000000"])")).status().message(),
              HasSubstr("extranonce2"));
  EXPECT_THAT(ParseSubmitParams(json::parse(R"(["w","j","0000","0000","00000000"])")).status().message(),
              HasSubstr("ntime"));
  EXPECT_THAT(ParseSubmitParams(json::parse(R"(["w","j","0000","00000000",5])")).status().message(),
              HasSubstr("nonce"));
  EXPECT_THAT(ParseSubmitParams(json::parse(R"(["w","j","0000","00000000","00000000","xx"])")).status().message(),
              HasSubstr("version_bits"));
  EXPECT_FALSE(ParseSubmitParams(json::parse(R"(["w","j","0000"])")).ok());
  EXPECT_FALSE(ParseSubmitParams(json::parse(R"(["w","","0000","00000000","00000000"])")).ok());
}

TEST(MiscTest, BoolResultAndVersionMask) {
  EXPECT_TRUE(*ParseBoolResult(true, "mining.authorize"));
  EXPECT_FALSE(*ParseBoolResult(nullptr, "mining.authorize"));
  EXPECT_FALSE(ParseBoolResult("yes", "mining.authorize").ok());
  EXPECT_EQ(*ParseSetVersionMaskParams(MakeSetVersionMaskParams(0x1fffe000)), 0x1fffe000u);
  EXPECT_FALSE(ParseSetVersionMaskParams(json::array({12})).ok());
  EXPECT_FALSE(ParseShowMessageParams(json::array({1})).ok());
}

}  // namespace
}  // namespace synth::stratum
