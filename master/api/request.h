// File: master/api/request.h
//
// Framing and parsing of one cgminer API request (docs/MONITORING.md "cgminer API"). A client
// connects, writes one request and reads the answer until the server closes; cgminer reads a
// single recv(), so a request has no terminator of its own:
//   - JSON: it starts with '{' (`{"command":"summary","parameter":""}`); it is complete once
//     its braces balance (strings and escapes skipped);
//   - text: `command[|parameter]`; complete as soon as any byte arrived (the first read), as in
//     cgminer. A trailing newline or NUL is ignored.
// `a+b+c` asks for several report commands at once (cgminer's joined form): blanks and repeats
// are dropped and the parameter is ignored.
//
//   if (RequestComplete(bytes)) ApiRequest r = ParseRequest(bytes);
//
// Pure functions; thread-safe.
#ifndef SYNTH_MASTER_API_REQUEST_H_
#define SYNTH_MASTER_API_REQUEST_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace synth::api {

struct ApiRequest {
  bool json = false;                  // Answer in JSON (the request was JSON), else text.
  std::vector<std::string> commands;  // The one command, or the joined ones in order.
  bool joined = false;                // The command had a '+': answer in the joined layout.
  std::string parameter;              // "" when absent (always for a joined request).
  // Non-zero when the request itself is bad: the cgminer status code to answer with (23 invalid
  // JSON, 24 missing 'command', 14 invalid command).
  int error_code = 0;
};

// True when `bytes` hold a whole request (see above). Empty input is not complete.
bool RequestComplete(absl::string_view bytes);

// Parses a complete request.
ApiRequest ParseRequest(absl::string_view bytes);

}  // namespace synth::api

#endif  // SYNTH_MASTER_API_REQUEST_H_
