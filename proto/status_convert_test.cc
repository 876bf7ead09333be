#include "proto/status_convert.h"

#include "gtest/gtest.h"
#include "synth/v1/worker.pb.h"

namespace synth::proto {
namespace {

TEST(StatusConvertTest, OkMapsToOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(StatusConvertTest, EveryCodeRoundTrips) {
  for (int code = 1; code <= 16; ++code) {
    absl::Status in(static_cast<absl::StatusCode>(code), "msg " + std::to_string(code));
    grpc::Status g = ToGrpcStatus(in);
    EXPECT_EQ(static_cast<int>(g.error_code()), code);
    EXPECT_EQ(g.error_message(), "msg " + std::to_string(code));
    EXPECT_EQ(FromGrpcStatus(g), in);
  }
}

TEST(StatusConvertTest, SpecificCodesMatchByName) {
  EXPECT_EQ(ToGrpcStatus(absl::UnauthenticatedError("x")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(FromGrpcStatus(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "y")).code(),
            absl::StatusCode::kResourceExhausted);
}

// grpc::StatusCode has no fixed underlying type, so only values its enumerators' range holds
// (DO_NOT_USE = -1 .. 16: -32..31) may be cast to it; 99 was undefined behaviour (UBSan).
TEST(StatusConvertTest, OutOfRangeCodeBecomesUnknown) {
  grpc::Status above(static_cast<grpc::StatusCode>(20), "weird");
  EXPECT_EQ(FromGrpcStatus(above).code(), absl::StatusCode::kUnknown);
  grpc::Status negative(grpc::StatusCode::DO_NOT_USE, "weirder");
  EXPECT_EQ(FromGrpcStatus(negative).code(), absl::StatusCode::kUnknown);
}

TEST(ProtoTest, GeneratedMessagesRoundTrip) {
  synth::v1::WorkerMessage m;
  m.mutable_share()->set_nonce(0x9546a142);
  std::string wire = m.SerializeAsString();
  synth::v1::WorkerMessage back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_EQ(back.share().nonce(), 0x9546a142u);
}

}  // namespace
}  // namespace synth::proto
