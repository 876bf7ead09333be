// File: common/status_macros.h
//
// The project's one pair of Status propagation macros (Debian's Abseil ships none).
//
//   absl::Status Load() {
//     RETURN_IF_ERROR(Open());
//     ASSIGN_OR_RETURN(Job job, ParseJob(text));
//     ...
//   }
#ifndef SYNTH_COMMON_STATUS_MACROS_H_
#define SYNTH_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SYNTH_STATUS_CONCAT_INNER_(a, b) a##b
#define SYNTH_STATUS_CONCAT_(a, b) SYNTH_STATUS_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status synth_status_ = (expr);             \
    if (!synth_status_.ok()) return synth_status_;     \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise moves the
// value into `lhs`, which may be a declaration (`ASSIGN_OR_RETURN(auto x, F())`).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  SYNTH_ASSIGN_OR_RETURN_IMPL_(SYNTH_STATUS_CONCAT_(synth_statusor_, __LINE__), lhs, rexpr)

#define SYNTH_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // SYNTH_COMMON_STATUS_MACROS_H_
