// File: tests/stratum/line_client.h
//
// Test-only: a blocking Stratum line client over loopback, for tests of Stratum servers
// (synth-pool, the master's downstream port). Every read has a receive timeout (5 s by
// default), so a test that waits for a line that never comes fails instead of hanging.
//
//   LineClient c(port);
//   std::optional<Message> r = c.Call(1, "mining.subscribe", json::array({"test/1"}));
//   std::optional<StratumJob> job = c.LastJob();   // from the notifications seen on the way
//   EXPECT_TRUE(c.Closed());                       // the server closed the connection
#ifndef SYNTH_TESTS_STRATUM_LINE_CLIENT_H_
#define SYNTH_TESTS_STRATUM_LINE_CLIENT_H_

#include <sys/socket.h>

#include <optional>
#include <string>
#include <vector>

#include "asio.hpp"
#include "common/stratum/codec.h"
#include "common/stratum/job.h"

namespace synth::stratum::testing {

class LineClient {
 public:
  explicit LineClient(int port, int timeout_s = 5) : socket_(io_) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
    timeval tv{timeout_s, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  // Writes `bytes` as is; false when the server has closed.
  bool Send(const std::string& bytes) {
    asio::error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
    return !ec;
  }
  // Returns the next message, or nullopt on close/timeout or a line that does not parse.
  std::optional<Message> Next() {
    while (lines_.empty()) {
      char buf[4096];
      asio::error_code ec;
      size_t n = socket_.read_some(asio::buffer(buf), ec);
      if (ec) {
        closed_ = ec == asio::error::eof || ec == asio::error::connection_reset;
        return std::nullopt;
      }
      if (!framer_.Feed(absl::string_view(buf, n), &lines_).ok()) return std::nullopt;
    }
    std::string line = lines_.front();
    lines_.erase(lines_.begin());
    absl::StatusOr<Message> m = ParseLine(line);
    return m.ok() ? std::optional<Message>(*m) : std::nullopt;
  }
  // Sends a request and returns the response to `id`, keeping the notifications on the way.
  std::optional<Message> Call(int id, const std::string& method, const nlohmann::json& params) {
    Send(EncodeRequest(id, method, params));
    while (std::optional<Message> m = Next()) {
      if (m->kind == Message::Kind::kResponse && m->IntId() == id) return m;
      notes.push_back(*m);
    }
    return std::nullopt;
  }
  // Reads until a notification `method` arrives (kept in notes) or nothing more comes.
  std::optional<Message> WaitFor(const std::string& method) {
    while (std::optional<Message> m = Next()) {
      notes.push_back(*m);
      if (m->method == method) return m;
    }
    return std::nullopt;
  }
  // True once a read saw the server close the connection.
  bool Closed() {
    while (!closed_ && Next().has_value()) {
    }
    return closed_;
  }
  std::optional<StratumJob> LastJob() const {
    for (auto it = notes.rbegin(); it != notes.rend(); ++it) {
      if (it->method == "mining.notify") return *ParseNotifyParams(it->params);
    }
    return std::nullopt;
  }
  std::vector<Message> notes;

 private:
  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  LineFramer framer_;
  std::vector<std::string> lines_;
  bool closed_ = false;
};

}  // namespace synth::stratum::testing

#endif  // SYNTH_TESTS_STRATUM_LINE_CLIENT_H_
